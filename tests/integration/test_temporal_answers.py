"""The "Expected answers" of temporal-model.md, asked of the read model on both stores.

The worked history (#1..#5) is recorded through the ledger's commands at the clock's moments,
projected with the pull catch-up, and every answer is read from `PolicyQueries.policy`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from api.bootstrap import Services
from integration.worked_history import (
    NOW,
    ONE_TICK,
    RECORDED,
    WorkedHistory,
    at,
    record_worked_history,
)

Doc = dict[str, Any]


@pytest.fixture
def history(ledger: Services, clock: Any) -> WorkedHistory:
    recorded = record_worked_history(ledger, clock)
    ledger.catch_up.run()
    return recorded


def answer(ledger: Services, on: dt.date, known_at: dt.datetime) -> Doc:
    return ledger.reads.as_projected.policy("PK", on, known_at)


def group_ids(doc: Doc) -> list[str]:
    return [g["id"] for g in doc["groups"]]


def pending_ids(doc: Doc) -> list[str]:
    return [p["id"] for p in doc["pending"]]


def acts_on_group(doc: Doc, group: str) -> list[tuple[str, str, str]]:
    found = next(g for g in doc["groups"] if g["id"] == group)
    return [(a["amendment"], a["on"], a["action"]) for a in found["amendments"]]


# The rows of the table ---------------------------------------------------------------------


def test_before_anything_was_in_force_the_answer_is_no_coverage_not_an_empty_policy(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 9, 1), NOW)
    assert doc["coverage"] is False
    assert doc["version_id"] is None
    assert group_ids(doc) == []
    assert pending_ids(doc) == []


def test_pti_is_a_risk_profile_on_the_first_day_of_letter_a(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 11, 26), NOW)
    assert doc["coverage"] is True
    assert group_ids(doc) == ["pti"]
    assert doc["groups"][0]["category"] == "risk_profile"
    assert doc["article_15c"]["regions"]["PK-BA"]["level"] == "lower"
    assert pending_ids(doc) == []


def test_pti_is_not_a_risk_profile_the_day_before_letter_a(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 11, 25), NOW)
    assert "pti" not in group_ids(doc)
    assert doc["coverage"] is False


def test_retroactive_letter_c_designates_hazaras_in_october_as_known_in_february(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 10, 15), at(2025, 2, 15))
    assert doc["coverage"] is True
    assert group_ids(doc) == ["hazaras"]
    assert acts_on_group(doc, "hazaras") == [(history.letter_c, "2024-10-01", "designate_group")]


def test_hazaras_are_absent_in_october_as_known_in_december_before_letter_c_was_recorded(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 10, 15), at(2024, 12, 31))
    assert doc["coverage"] is False
    assert group_ids(doc) == []


def test_hazaras_are_absent_in_october_as_known_now_because_letter_c_was_retracted(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 10, 15), NOW)
    assert doc["coverage"] is False
    assert group_ids(doc) == []


def test_a_retraction_deletes_nothing_the_timeline_still_lists_letter_c(
    ledger: Services, history: WorkedHistory
) -> None:
    timeline = ledger.reads.as_projected.timeline("PK", NOW)["amendments"]
    assert [a["id"] for a in timeline] == [history.letter_a, history.decree_b, history.letter_c]
    assert timeline[2]["status"] == "retracted"
    assert timeline[2]["retraction_reason"] == "entered in error"


def test_decree_b_is_not_applied_before_its_in_force_date(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 12, 20), NOW)
    assert history.decree_b not in [a for a, _, _ in acts_on_group(doc, "pti")]
    assert pending_ids(doc) == []


def test_decree_b_applies_from_its_in_force_date_on_without_changing_the_version(
    ledger: Services, history: WorkedHistory
) -> None:
    before = answer(ledger, dt.date(2024, 12, 20), NOW)
    doc = answer(ledger, dt.date(2025, 1, 15), NOW)
    assert (history.decree_b, "2025-01-01", "reaffirm") in acts_on_group(doc, "pti")
    assert pending_ids(doc) == []
    assert doc["version_id"] == before["version_id"]  # a reaffirmation changes no value


def test_decree_b_is_pending_not_applied_as_known_in_january(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2025, 1, 15), at(2025, 1, 20))
    assert pending_ids(doc) == [history.decree_b]
    assert history.decree_b not in [a for a, _, _ in acts_on_group(doc, "pti")]


def test_between_letter_a_and_decree_b_as_known_in_february_both_letters_hold(
    ledger: Services, history: WorkedHistory
) -> None:
    """Not a row of the table: the segment that #4 (B from 2025-01-01) cut short."""
    doc = answer(ledger, dt.date(2024, 12, 20), at(2025, 2, 15))
    assert doc["coverage"] is True
    assert group_ids(doc) == ["hazaras", "pti"]


# The rules behind them ---------------------------------------------------------------------


def test_before_anything_was_recorded_no_date_has_coverage(
    ledger: Services, history: WorkedHistory
) -> None:
    before_first = RECORDED[1] - dt.timedelta(hours=1)
    for on in (dt.date(2024, 9, 1), dt.date(2024, 11, 26), dt.date(2030, 1, 1)):
        doc = answer(ledger, on, before_first)
        assert (doc["coverage"], group_ids(doc), pending_ids(doc)) == (False, [], [])


def test_a_pending_amendment_is_listed_only_from_its_announcement_date(
    ledger: Services, history: WorkedHistory
) -> None:
    known_at = at(2025, 1, 20)
    assert pending_ids(answer(ledger, dt.date(2024, 12, 17), known_at)) == []
    assert pending_ids(answer(ledger, dt.date(2024, 12, 18), known_at)) == [history.decree_b]


def test_a_retraction_counts_from_its_own_moment_and_not_before(
    ledger: Services, history: WorkedHistory
) -> None:
    october = dt.date(2024, 10, 15)
    assert group_ids(answer(ledger, october, RECORDED[5] - ONE_TICK)) == ["hazaras"]
    assert group_ids(answer(ledger, october, RECORDED[5])) == []


def test_a_retroactive_amendment_counts_from_its_recording_moment_and_not_before(
    ledger: Services, history: WorkedHistory
) -> None:
    october = dt.date(2024, 10, 15)
    assert answer(ledger, october, RECORDED[3] - ONE_TICK)["coverage"] is False
    assert group_ids(answer(ledger, october, RECORDED[3])) == ["hazaras"]


def test_an_in_force_date_counts_from_the_moment_it_was_recorded(
    ledger: Services, history: WorkedHistory
) -> None:
    on = dt.date(2025, 1, 15)
    just_before = answer(ledger, on, RECORDED[4] - ONE_TICK)
    from_then = answer(ledger, on, RECORDED[4])
    assert pending_ids(just_before) == [history.decree_b]
    assert pending_ids(from_then) == []
    assert history.decree_b in [a for a, _, _ in acts_on_group(from_then, "pti")]


def test_letter_a_counts_as_known_at_the_very_moment_it_was_recorded(
    ledger: Services, history: WorkedHistory
) -> None:
    doc = answer(ledger, dt.date(2024, 11, 26), RECORDED[1])
    assert group_ids(doc) == ["pti"]


# Publication time (published_by) -------------------------------------------------------------
# The worked history states no publication dates for #4 and #5: they count as published the
# day they were recorded (2025-02-01 and 2025-03-01); amendments by their announced_on.


def published(ledger: Services, on: dt.date, by: dt.date, known_at: dt.datetime = NOW) -> Doc:
    doc = ledger.reads.policy("PK", on, known_at, published_by=by).doc
    assert doc is not None
    return doc


def test_an_in_force_date_counts_from_its_publication_the_day_it_was_recorded(
    ledger: Services, history: WorkedHistory
) -> None:
    on = dt.date(2025, 1, 15)
    before = published(ledger, on, dt.date(2025, 1, 31))
    assert pending_ids(before) == [history.decree_b]
    assert history.decree_b not in [a for a, _, _ in acts_on_group(before, "pti")]
    after = published(ledger, on, dt.date(2025, 2, 1))
    assert pending_ids(after) == []
    assert history.decree_b in [a for a, _, _ in acts_on_group(after, "pti")]
    assert (before["published_by"], after["published_by"]) == ("2025-01-31", "2025-02-01")


def test_an_amendment_counts_from_its_announcement_and_a_retraction_from_its_own(
    ledger: Services, history: WorkedHistory
) -> None:
    october = dt.date(2024, 10, 15)
    assert published(ledger, october, dt.date(2025, 1, 9))["coverage"] is False  # C unpublished
    assert group_ids(published(ledger, october, dt.date(2025, 1, 10))) == ["hazaras"]
    assert group_ids(published(ledger, october, dt.date(2025, 2, 28))) == ["hazaras"]
    assert group_ids(published(ledger, october, dt.date(2025, 3, 1))) == []  # retracted
    assert published(ledger, dt.date(2024, 11, 26), dt.date(2024, 11, 25))["coverage"] is False


def test_both_filters_hold_at_once(ledger: Services, history: WorkedHistory) -> None:
    """Published by the end of March, but as recorded on 31 December: C was not yet known."""
    october = dt.date(2024, 10, 15)
    doc = published(ledger, october, dt.date(2025, 3, 31), known_at=at(2024, 12, 31))
    assert (doc["coverage"], group_ids(doc)) == (False, [])
    doc = published(ledger, october, dt.date(2025, 2, 28), known_at=at(2025, 2, 15))
    assert group_ids(doc) == ["hazaras"]


def test_published_by_a_late_date_is_the_recorded_answer_plus_the_field(
    ledger: Services, history: WorkedHistory
) -> None:
    """The folded answer and the segment rows agree wherever publication filters nothing."""
    for on in (dt.date(2024, 10, 15), dt.date(2024, 11, 26), dt.date(2025, 1, 15)):
        for known_at in (at(2024, 12, 31), at(2025, 2, 15), NOW):
            rows = answer(ledger, on, known_at)
            folded = published(ledger, on, dt.date(2030, 1, 1), known_at)
            assert folded.pop("published_by") == "2030-01-01"
            assert folded == rows
            assert "published_by" not in rows


def test_every_read_takes_published_by(ledger: Services, history: WorkedHistory) -> None:
    queries = ledger.reads.as_projected
    by = dt.date(2025, 1, 31)  # C published, B's in-force date and C's retraction not yet
    timeline = queries.timeline("PK", NOW, by)
    assert timeline["published_by"] == "2025-01-31"
    statuses = {a["id"]: a["status"] for a in timeline["amendments"]}
    assert statuses == {
        history.letter_a: "in_force",
        history.decree_b: "pending",
        history.letter_c: "in_force",
    }
    assert [a["id"] for a in queries.timeline("PK", NOW, dt.date(2024, 12, 1))["amendments"]] == [
        history.letter_a
    ]
    [interval] = queries.history("PK", "group:hazaras", NOW, by)["intervals"]
    assert (interval["valid_from"], interval["amendment"]["id"]) == ("2024-10-01", history.letter_c)
    assert queries.history("PK", "group:hazaras", NOW)["intervals"] == []
    changes = queries.diff("PK", dt.date(2024, 9, 30), dt.date(2024, 10, 1), NOW, by)["changes"]
    assert [(c["element"], c["kind"]) for c in changes] == [("group:hazaras", "added")]
    versions = queries.versions("PK", NOW, by)
    assert versions["published_by"] == "2025-01-31"
    assert [v["valid_from"] for v in versions["versions"]] == ["2024-10-01", "2024-11-26"]
    late = queries.versions("PK", NOW, dt.date(2030, 1, 1))
    assert late["versions"] == queries.versions("PK", NOW)["versions"]
    # Without published_by nothing in the answers changed shape.
    for doc in (queries.timeline("PK", NOW), queries.versions("PK", NOW)):
        assert "published_by" not in doc
