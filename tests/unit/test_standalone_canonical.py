"""The standalone verifier's own RFC 8785 (standard library only) writes the same bytes as
the rfc8785 package for every JSON value the ledger can hold, and refuses the rest."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

TOOL = Path(__file__).parents[2] / "tools" / "verify_export.py"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_export", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_export"] = module
    spec.loader.exec_module(module)
    return module


tool = load_tool()

SAFE = 2**53 - 1
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(value=json_values)
def test_the_standalone_canonical_form_is_rfc8785(value: object) -> None:
    assert tool.canonical(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "text",
    ["\u2028\u2029", "\x7f\x85", "\x00\x01\x1f", '"\\/', "\b\f\n\r\t", "é€😀", ""],
)
def test_strings_escape_as_rfc8785_does(text: str) -> None:
    assert tool.canonical(text) == rfc8785.dumps(text)


def test_members_are_ordered_by_utf16_code_units_not_code_points() -> None:
    value = {"\uffff": 1, "\U0001f600": 2, "a": 3}

    assert tool.canonical(value) == rfc8785.dumps(value)
    assert tool.canonical(value).index("😀".encode()) < tool.canonical(value).index(
        "\uffff".encode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "float"),
        ({"a": [0.0]}, "float"),
        (2**53, "outside the range"),
        ("\ud800", "surrogate"),
    ],
)
def test_values_the_ledger_never_holds_are_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tool.canonical(value)
