"""Answers assembled from per-element fragments are the bytes of the arranged document."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from projections.fragments import assemble_sections, fragment_of, load_fragment
from projections.queries import arrange_sections

GROUPS = ["pti", "ahmadis", "christians", "lgbti"]
REGIONS = ["PK-BA", "PK-IS", "PK-KP", "PK-PB", "PK-SD"]

provenance = st.fixed_dictionaries(
    {
        "since": st.sampled_from(["2020-01-01", "2024-11-26"]),
        "amendments": st.lists(
            st.fixed_dictionaries({"amendment": st.uuids().map(str), "action": st.just("set")}),
            max_size=2,
        ),
        "sources": st.lists(st.fixed_dictionaries({"reference": st.text(max_size=8)}), max_size=2),
    }
)


def element(value: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(value, provenance).map(lambda pair: {**pair[0], **pair[1]})


flag_value = st.booleans() | st.none()
ELEMENTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    **{
        f"group:{g}": element(st.fixed_dictionaries({"category": st.sampled_from(["a", "b"])}))
        for g in GROUPS
    },
    **{
        f"protection:{g}": element(st.fixed_dictionaries({"authorities_protect": flag_value}))
        for g in [*GROUPS, "general"]
    },
    **{
        f"ipa:{g}{suffix}": element(st.fixed_dictionaries({"available": flag_value}))
        for g in [*GROUPS, "general"]
        for suffix in ["", ":PK-KP"]
    },
    **{
        f"article_15c:{r}": element(
            st.fixed_dictionaries({"level": st.sampled_from(["none", "high"])})
        )
        for r in [*REGIONS, "default"]
    },
    "unaccompanied_minors": element(st.fixed_dictionaries({"adequate": st.booleans()})),
    "moratorium:decision": element(st.fixed_dictionaries({"until": st.none()})),
    "moratorium:departure": element(st.fixed_dictionaries({"until": st.none()})),
    "note:security": element(st.fixed_dictionaries({"text": st.text(max_size=20)})),
    "note:women": element(st.fixed_dictionaries({"text": st.text(max_size=20)})),
}


@st.composite
def states(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    keys = draw(st.sets(st.sampled_from(sorted(ELEMENTS))))
    return {k: draw(ELEMENTS[k]) for k in sorted(keys)}


@given(states())
def test_assembled_fragments_are_the_bytes_of_the_arranged_sections(
    docs: dict[str, dict[str, Any]],
) -> None:
    fragments = [load_fragment(k, fragment_of(k, doc)) for k, doc in docs.items()]

    assembled = assemble_sections(fragments)

    assert assembled == orjson.dumps(arrange_sections(docs))[1:-1]


def test_a_group_reads_its_own_protection_before_the_general_one() -> None:
    docs = {
        "group:pti": {"category": "risk_profile", "since": "2024-01-01"},
        "protection:general": {"authorities_protect": True},
        "protection:pti": {"authorities_protect": False},
    }

    sections = orjson.loads(b"{" + assemble_sections(_fragments(docs)) + b"}")

    assert sections["groups"][0]["authorities_protect"] is False
    assert sections["groups"][0]["internal_protection_alternative"] is None


def _fragments(docs: dict[str, dict[str, Any]]) -> list[Any]:
    return [load_fragment(k, fragment_of(k, doc)) for k, doc in sorted(docs.items())]
