"""The worked history of temporal-model.md, recorded through PolicyLedger and asked back.

Each test answers one row of the "Expected answers" table (what was the policy on D as the
ledger knew it at T), or one rule about version ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from domain.application import PolicyLedger
from domain.commands import AmendmentDraft
from domain.fold import Chronicle, State, pending_on, state_on
from domain.records import AmendmentRecord
from events.vocabulary import (
    Change,
    DesignateGroup,
    GroupCategory,
    Reaffirm,
    RelabelGroup,
    SetArticle15c,
    Source,
    SourceKind,
    ViolenceLevel,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


# The record moments #1..#5 of the worked history, and "now" (after all of them).
RECORDED = {
    1: at(2024, 11, 26, 10),
    2: at(2024, 12, 18, 9),
    3: at(2025, 1, 10, 12),
    4: at(2025, 2, 1, 8),
    5: at(2025, 3, 1, 15),
}
NOW = at(2030, 1, 1)
ONE_TICK = dt.timedelta(microseconds=1)

PTI_LABELS = {
    "label_nl": "leiders en leden van Pakistan Tehreek-e-Insaf (PTI)",
    "label_en": "leaders and members of Pakistan Tehreek-e-Insaf (PTI)",
}
PTI = {"category": "risk_profile", **PTI_LABELS}
BA_LOWER = {"level": "lower", "armed_conflict": True}


def kamerstuk(number: int, on: dt.date) -> Source:
    return Source(kind=SourceKind.KAMERSTUK, reference=f"Kamerstuk 19637, nr. {number}", date=on)


def draft(
    announced_on: dt.date, in_force_from: dt.date | None, *changes: Change, source: Source
) -> AmendmentDraft:
    return AmendmentDraft(
        announced_on=announced_on, in_force_from=in_force_from, sources=(source,), changes=changes
    )


def designate_pti(**labels: str) -> DesignateGroup:
    return DesignateGroup(
        group="pti", category=GroupCategory.RISK_PROFILE, **{**PTI_LABELS, **labels}
    )


def article_15c_ba(level: ViolenceLevel) -> SetArticle15c:
    return SetArticle15c(region="PK-BA", level=level, armed_conflict=True)


@dataclass(frozen=True)
class History:
    records: list[AmendmentRecord]
    letter_a: str
    decree_b: str
    letter_c: str

    def record(self, amendment_id: str) -> AmendmentRecord:
        return next(r for r in self.records if r.id == amendment_id)


@pytest.fixture
def history(app: PolicyLedger, clock: Any) -> History:
    """Records #1..#5 of temporal-model.md, each at its own moment."""
    nov26, dec18, jan10 = dt.date(2024, 11, 26), dt.date(2024, 12, 18), dt.date(2025, 1, 10)
    clock.set(RECORDED[1])
    a = app.record_amendment(
        "PK",
        draft(
            nov26,
            nov26,
            designate_pti(),
            article_15c_ba(ViolenceLevel.LOWER),
            source=kamerstuk(3318, nov26),
        ),
        author="editor",
        expected_version=None,
    )
    clock.set(RECORDED[2])
    b = app.record_amendment(
        "PK",
        draft(
            dec18,
            None,
            Reaffirm(element="group:pti"),
            source=Source(kind=SourceKind.WBV, reference="WBV 2024/27", date=dec18),
        ),
        author="editor",
        expected_version=a.version,
    )
    clock.set(RECORDED[3])
    c = app.record_amendment(
        "PK",
        draft(
            jan10,
            dt.date(2024, 10, 1),
            DesignateGroup(
                group="hazaras",
                category=GroupCategory.RISK_PROFILE,
                label_nl="Hazara's",
                label_en="Hazaras",
            ),
            source=kamerstuk(9999, jan10),
        ),
        author="editor",
        expected_version=b.version,
    )
    clock.set(RECORDED[4])
    d = app.record_in_force_date(
        "PK", b.amendment_id, dt.date(2025, 1, 1), author="editor", expected_version=c.version
    )
    clock.set(RECORDED[5])
    app.retract_amendment(
        "PK",
        c.amendment_id,
        reason="entered in error",
        author="editor",
        expected_version=d.version,
    )
    records = list(app.policy("PK").amendments.values())
    assert a.amendment_id is not None
    assert b.amendment_id is not None
    assert c.amendment_id is not None
    return History(records, a.amendment_id, b.amendment_id, c.amendment_id)


def elements(state: State | None) -> dict[str, dict[str, object]]:
    return {element: s.value for element, s in (state or {}).items()}


def acts_on(state: State | None, element: str) -> list[tuple[str, dt.date, str]]:
    if state is None or element not in state:
        return []
    return [(a.amendment_id, a.on, a.action) for a in state[element].acts]


# The history as stored ---------------------------------------------------------------------


def test_each_fact_is_stamped_with_the_clock_moment_it_was_recorded_at(history: History) -> None:
    b, c = history.record(history.decree_b), history.record(history.letter_c)
    assert b.recorded_at == RECORDED[2]
    assert c.recorded_at == RECORDED[3]
    assert b.in_force_learned == dt.date(2025, 1, 1)
    assert b.in_force_learned_at == RECORDED[4]
    assert c.retracted_at == RECORDED[5]


def test_the_first_amendment_of_a_country_is_recorded_at_the_clock_moment(
    history: History,
) -> None:
    a = history.record(history.letter_a)
    assert a.recorded_at == RECORDED[1]
    assert "group:pti" in elements(state_on(history.records, dt.date(2024, 11, 26), RECORDED[1]))


def test_a_retraction_deletes_nothing(history: History) -> None:
    c = history.record(history.letter_c)
    assert len(history.records) == 3
    assert c.retraction_reason == "entered in error"
    assert c.changes[0].type == "designate_group"


# The expected answers ----------------------------------------------------------------------


def test_before_anything_was_in_force_there_is_no_coverage_rather_than_an_empty_policy(
    history: History,
) -> None:
    assert state_on(history.records, dt.date(2024, 9, 1), NOW) is None
    assert pending_on(history.records, dt.date(2024, 9, 1), NOW) == []


def test_before_anything_was_recorded_nothing_is_known_on_any_date(history: History) -> None:
    before_first = RECORDED[1] - dt.timedelta(hours=1)
    for on in (dt.date(2024, 9, 1), dt.date(2024, 11, 26), dt.date(2030, 1, 1)):
        assert state_on(history.records, on, before_first) is None
        assert pending_on(history.records, on, before_first) == []


def test_pti_is_a_risk_profile_on_the_first_day_of_letter_a(history: History) -> None:
    state = elements(state_on(history.records, dt.date(2024, 11, 26), NOW))
    assert state == {"group:pti": PTI, "article_15c:PK-BA": BA_LOWER}


def test_pti_is_not_a_risk_profile_the_day_before_letter_a(history: History) -> None:
    assert "group:pti" not in elements(state_on(history.records, dt.date(2024, 11, 25), NOW))


def test_retroactive_letter_c_designates_hazaras_in_october_as_known_in_february(
    history: History,
) -> None:
    state = elements(state_on(history.records, dt.date(2024, 10, 15), at(2025, 2, 15)))
    assert state == {
        "group:hazaras": {"category": "risk_profile", "label_nl": "Hazara's", "label_en": "Hazaras"}
    }


def test_hazaras_are_absent_in_october_as_known_in_december_before_letter_c_was_recorded(
    history: History,
) -> None:
    assert state_on(history.records, dt.date(2024, 10, 15), at(2024, 12, 31)) is None


def test_hazaras_are_absent_in_october_as_known_now_because_letter_c_was_retracted(
    history: History,
) -> None:
    assert state_on(history.records, dt.date(2024, 10, 15), NOW) is None


def test_a_retraction_counts_from_its_own_moment_and_not_before(history: History) -> None:
    october = dt.date(2024, 10, 15)
    assert "group:hazaras" in elements(state_on(history.records, october, RECORDED[5] - ONE_TICK))
    assert state_on(history.records, october, RECORDED[5]) is None


def test_a_retroactive_amendment_counts_from_its_recording_moment_and_not_before(
    history: History,
) -> None:
    october = dt.date(2024, 10, 15)
    assert state_on(history.records, october, RECORDED[3] - ONE_TICK) is None
    assert "group:hazaras" in elements(state_on(history.records, october, RECORDED[3]))


def test_decree_b_does_not_apply_before_its_in_force_date(history: History) -> None:
    for on in (dt.date(2024, 12, 20), dt.date(2024, 12, 31)):
        state = state_on(history.records, on, NOW)
        assert history.decree_b not in [a for a, _, _ in acts_on(state, "group:pti")]
        assert pending_on(history.records, on, NOW) == []


@pytest.mark.parametrize("on", [dt.date(2025, 1, 1), dt.date(2025, 1, 15)])
def test_decree_b_applies_from_its_in_force_date_on(history: History, on: dt.date) -> None:
    state = state_on(history.records, on, NOW)
    assert (history.decree_b, dt.date(2025, 1, 1), "reaffirm") in acts_on(state, "group:pti")
    assert elements(state)["group:pti"] == PTI  # a reaffirmation changes no value


def test_decree_b_is_pending_not_applied_as_known_in_january(history: History) -> None:
    on, known_at = dt.date(2025, 1, 15), at(2025, 1, 20)
    state = state_on(history.records, on, known_at)
    assert history.decree_b not in [a for a, _, _ in acts_on(state, "group:pti")]
    assert [r.id for r in pending_on(history.records, on, known_at)] == [history.decree_b]


def test_a_pending_amendment_is_listed_only_from_its_announcement_date(history: History) -> None:
    known_at = at(2025, 1, 20)
    assert pending_on(history.records, dt.date(2024, 12, 17), known_at) == []
    assert [r.id for r in pending_on(history.records, dt.date(2024, 12, 18), known_at)] == [
        history.decree_b
    ]


def test_an_in_force_date_counts_from_the_moment_it_was_recorded(history: History) -> None:
    on = dt.date(2025, 1, 15)
    just_before = RECORDED[4] - ONE_TICK
    assert [r.id for r in pending_on(history.records, on, just_before)] == [history.decree_b]
    assert pending_on(history.records, on, RECORDED[4]) == []
    applied = acts_on(state_on(history.records, on, RECORDED[4]), "group:pti")
    assert history.decree_b in [a for a, _, _ in applied]


# Version ids -------------------------------------------------------------------------------


def test_a_reaffirmation_starts_a_new_segment_but_not_a_new_version(history: History) -> None:
    segments = Chronicle.build("PK", history.records, NOW).segments
    assert [(s.valid_from, s.valid_to) for s in segments] == [
        (dt.date(2024, 11, 26), dt.date(2025, 1, 1)),
        (dt.date(2025, 1, 1), None),
    ]
    assert segments[0].version_id == segments[1].version_id
    assert segments[0].state_id != segments[1].state_id


def test_the_same_state_known_at_different_moments_has_the_same_version_id(
    history: History,
) -> None:
    before_c = Chronicle.build("PK", history.records, at(2024, 12, 31)).segments
    now = Chronicle.build("PK", history.records, NOW).segments
    assert [(s.valid_from, s.valid_to) for s in before_c] == [(dt.date(2024, 11, 26), None)]
    assert before_c[0].version_id == now[0].version_id


def test_different_states_have_different_version_ids(history: History) -> None:
    february = Chronicle.build("PK", history.records, at(2025, 2, 15)).segments
    now = Chronicle.build("PK", history.records, NOW).segments
    # As known in February, letter C adds hazaras to every date from 2024-10-01 on.
    assert [s.valid_from for s in february] == [
        dt.date(2024, 10, 1),
        dt.date(2024, 11, 26),
        dt.date(2025, 1, 1),
    ]
    assert february[1].version_id != now[0].version_id
    assert february[0].version_id != february[1].version_id
    assert len({february[0].version_id, february[1].version_id, now[0].version_id}) == 3


def test_the_same_state_reached_by_another_path_has_the_same_version_id(
    history: History,
    make_app: Callable[[Any], PolicyLedger],
    clock: Any,
) -> None:
    """Another ledger gets to letter A's policy in two steps: a first draft, then a fix."""
    other = make_app(clock)
    nov20, nov26 = dt.date(2024, 11, 20), dt.date(2024, 11, 26)
    clock.set(at(2025, 6, 1))
    first = other.record_amendment(
        "PK",
        draft(
            nov20,
            nov20,
            designate_pti(label_en="PTI"),
            article_15c_ba(ViolenceLevel.HIGHER),
            source=kamerstuk(3300, nov20),
        ),
        author="editor",
        expected_version=None,
    )
    clock.set(at(2025, 6, 2))
    other.record_amendment(
        "PK",
        draft(
            nov26,
            nov26,
            RelabelGroup(group="pti", label_en=PTI_LABELS["label_en"]),
            article_15c_ba(ViolenceLevel.LOWER),
            source=kamerstuk(3318, nov26),
        ),
        author="editor",
        expected_version=first.version,
    )
    records = list(other.policy("PK").amendments.values())
    december = dt.date(2024, 12, 1)
    assert elements(state_on(records, december, NOW)) == elements(
        state_on(history.records, december, NOW)
    )
    theirs = Chronicle.build("PK", records, NOW).segments
    ours = Chronicle.build("PK", history.records, NOW).segments
    assert theirs[-1].version_id == ours[0].version_id == ours[1].version_id
    assert theirs[0].version_id != ours[0].version_id
