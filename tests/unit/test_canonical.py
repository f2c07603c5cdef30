"""Hashed bytes are RFC 8785: the assembled documents equal rfc8785.dumps of the whole."""

from __future__ import annotations

import datetime as dt

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.effects import Act, ElementState
from domain.fold import annotated_document, canonical_documents, values_document

element_ids = st.sampled_from(
    ["group:pti", "group:a-b", "article_15c:PK-BA", "article_15c:default", "note:x", "ipa:g:PK-KP"]
)
values = st.dictionaries(
    st.sampled_from(["label_nl", "label_en", "level", "note", "adequate", "until"]),
    st.one_of(st.text(), st.booleans(), st.none(), st.integers(-(2**40), 2**40)),
    max_size=4,
)
states = st.dictionaries(
    element_ids,
    st.builds(
        lambda value, day, action: ElementState(value, day, (Act("a1", day, action),), ("a1", 0)),
        values,
        st.dates(min_value=dt.date(1, 1, 1)),
        st.sampled_from(["designate_group", "reaffirm"]),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(country=st.sampled_from(["PK", "AF", "NL"]), state=states)
def test_assembled_canonical_bytes_equal_rfc8785_of_the_documents(country, state) -> None:
    values_bytes, annotated_bytes = canonical_documents(country, state)

    assert values_bytes == rfc8785.dumps(values_document(country, state))
    assert annotated_bytes == rfc8785.dumps(annotated_document(country, state))


def test_a_changed_state_does_not_keep_the_canonical_bytes_of_the_old_one() -> None:
    from dataclasses import replace

    first = ElementState({"level": "lower"}, dt.date(2024, 1, 1), (), ("a", 0))
    first.canonical()
    second = replace(first, value={"level": "higher"})

    assert second.canonical()[0] == rfc8785.dumps({"level": "higher"})
