"""Frozen models (events.vocabulary.Frozen) share one set of given fields per distinct set,
and what was given, copies with updates and unset dumps still behave as pydantic's own."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from pydantic import ValidationError

from events.vocabulary import Source, SourceKind


def source(reference: str) -> Source:
    return Source(kind=SourceKind.KAMERSTUK, reference=reference, date=dt.date(2024, 11, 25))


def test_models_given_the_same_fields_share_one_set() -> None:
    first, second = source("Kamerstuk 19637, nr. 3318"), source("Kamerstuk 19637, nr. 3319")

    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == {"kind", "reference", "date"}


def test_what_was_given_still_decides_an_unset_dump() -> None:
    given = source("Kamerstuk 19637, nr. 3318")
    bare = Source(kind=SourceKind.KAMERSTUK, reference="Kamerstuk 19637, nr. 3318")

    assert "url" not in given.model_dump(exclude_unset=True)
    assert "date" in given.model_dump(exclude_unset=True)
    assert "date" not in bare.model_dump(exclude_unset=True)


def test_a_copy_with_updates_leaves_the_shared_set_alone() -> None:
    original, other = source("Kamerstuk 19637, nr. 3318"), source("Kamerstuk 19637, nr. 3319")

    updated = original.model_copy(update={"url": "https://example.org/3318"})
    deep = copy.deepcopy(original)

    assert updated.url == "https://example.org/3318"
    assert "url" in updated.model_fields_set
    assert "url" not in original.model_fields_set
    assert "url" not in other.model_fields_set
    assert deep == original


def test_assignment_is_still_refused() -> None:
    given = source("Kamerstuk 19637, nr. 3318")

    with pytest.raises(ValidationError):
        given.url = "https://example.org/3318"  # type: ignore[misc]
    assert "url" not in given.model_fields_set
