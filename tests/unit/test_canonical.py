"""Hashed bytes are RFC 8785: the assembled documents equal rfc8785.dumps of the whole."""

from __future__ import annotations

import datetime as dt

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.canonical import canonical_json
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


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**53) + 1, 2**53 - 1),
        st.text(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(value=json_values)
def test_the_fast_canonical_json_equals_rfc8785(value) -> None:
    """orjson on the fast path, rfc8785 for the rest (non-ASCII names): the same bytes, or
    the same refusal (a lone surrogate)."""
    try:
        expected = rfc8785.dumps(value)
    except Exception as error:
        with pytest.raises(type(error)):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_the_fast_canonical_json_leaves_floats_and_large_integers_to_rfc8785() -> None:
    assert canonical_json({"x": 1.5}) == rfc8785.dumps({"x": 1.5})
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"x": 2**60})


@settings(max_examples=300, deadline=None)
@given(
    value=st.dictionaries(st.sampled_from(["label_nl", "level", "note"]), json_values, max_size=3),
    acts=st.lists(st.tuples(st.text(), st.sampled_from(["reaffirm", "note"])), max_size=4),
    day=st.dates(min_value=dt.date(1, 1, 1)),
)
def test_an_element_assembles_its_annotated_bytes_as_rfc8785_does(value, acts, day) -> None:
    element = ElementState(value, day, tuple(Act(a, day, action) for a, action in acts), ("a", 0))
    assert element.canonical() == (rfc8785.dumps(value), rfc8785.dumps(element.to_json()))
