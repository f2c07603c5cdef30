"""Domain rules, each both ways, through PolicyLedger on a SQLite file.

A rejected command raises its own error naming the input at fault, and stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from domain.application import PolicyLedger, Recorded
from domain.commands import AmendmentDraft
from domain.errors import (
    AmendmentNotFoundError,
    AmendmentRetractedError,
    GroupNotDesignatedError,
    InForceDateAlreadyKnownError,
    InvalidMoratoriumError,
    InvalidSourceError,
    LedgerError,
    NoChangesError,
    NoSourcesError,
    RegionOutsideCountryError,
    UnknownCountryCodeError,
    VersionConflictError,
)
from domain.fold import state_on
from events.vocabulary import (
    Change,
    DesignateGroup,
    GroupCategory,
    ImposeMoratorium,
    MoratoriumKind,
    Reaffirm,
    RelabelGroup,
    RevokeGroup,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
    ViolenceLevel,
)

NOV26 = dt.date(2024, 11, 26)  # letter A: pti designated as a risk profile from this day
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
KAMERSTUK = Source(kind=SourceKind.KAMERSTUK, reference="Kamerstuk 19637, nr. 3318", date=NOV26)


def draft(
    *changes: Change,
    announced_on: dt.date = NOV26,
    in_force_from: dt.date | None = NOV26,
    sources: tuple[Source, ...] = (KAMERSTUK,),
) -> AmendmentDraft:
    return AmendmentDraft(
        announced_on=announced_on, in_force_from=in_force_from, sources=sources, changes=changes
    )


def designate(group: str, category: GroupCategory = GroupCategory.RISK_PROFILE) -> DesignateGroup:
    return DesignateGroup(group=group, category=category, label_nl=group, label_en=group)


def revoke(group: str, category: GroupCategory = GroupCategory.RISK_PROFILE) -> RevokeGroup:
    return RevokeGroup(group=group, category=category)


def article_15c(region: str | None) -> SetArticle15c:
    return SetArticle15c(region=region, level=ViolenceLevel.LOWER, armed_conflict=True)


def moratorium(until: dt.date) -> ImposeMoratorium:
    return ImposeMoratorium(kind=MoratoriumKind.DECISION, until=until)


def record(app: PolicyLedger, amendment: AmendmentDraft, country: str = "PK") -> Recorded:
    return app.record_amendment(
        country, amendment, author="editor", expected_version=app.version_of(country)
    )


def assert_rejected(
    app: PolicyLedger,
    error: type[LedgerError],
    field: str | None,
    command: Callable[[], Any],
) -> None:
    """The command raises `error` naming `field`, and the store holds no new event."""
    stored = app.recorder.max_notification_id()
    with pytest.raises(error) as caught:
        command()
    assert caught.value.field == field
    assert app.recorder.max_notification_id() == stored


@pytest.fixture
def letter_a(app: PolicyLedger) -> Recorded:
    """PK with pti designated as a risk profile from 2024-11-26."""
    return record(app, draft(designate("pti"), article_15c("PK-BA")))


def group_values(app: PolicyLedger, on: dt.date) -> dict[str, Any]:
    state = state_on(list(app.policy("PK").amendments.values()), on, NOW) or {}
    return {e: s.value for e, s in state.items() if e.startswith("group:")}


# Revoking and relabelling groups ------------------------------------------------------------


def test_revoking_a_group_designated_in_that_category_is_accepted(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    record(app, draft(revoke("pti"), in_force_from=dt.date(2024, 12, 1)))
    assert group_values(app, dt.date(2024, 11, 30)).keys() == {"group:pti"}
    assert group_values(app, dt.date(2024, 12, 1)) == {}


def test_revoking_a_group_designated_in_another_category_is_rejected(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    bad = draft(revoke("pti", GroupCategory.GROUP_PERSECUTION))
    assert_rejected(app, GroupNotDesignatedError, "changes.0.group", lambda: record(app, bad))


def test_revoking_a_group_before_its_designation_is_in_force_is_rejected(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    bad = draft(revoke("pti"), in_force_from=dt.date(2024, 11, 25))
    assert_rejected(app, GroupNotDesignatedError, "changes.0.group", lambda: record(app, bad))


def test_revoking_a_group_never_designated_names_the_change_at_fault(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    bad = draft(article_15c("PK-KP"), revoke("hazaras"))
    assert_rejected(app, GroupNotDesignatedError, "changes.1.group", lambda: record(app, bad))


def test_a_pending_revocation_is_checked_on_its_announcement_date(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    early = draft(revoke("pti"), announced_on=dt.date(2024, 11, 25), in_force_from=None)
    assert_rejected(app, GroupNotDesignatedError, "changes.0.group", lambda: record(app, early))
    record(app, draft(revoke("pti"), announced_on=dt.date(2024, 12, 1), in_force_from=None))


def test_a_revocation_may_follow_the_designation_in_the_same_amendment(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    record(app, draft(designate("hazaras"), revoke("hazaras")))
    assert "group:hazaras" not in group_values(app, NOV26)


def test_revoking_a_group_whose_designation_was_retracted_is_rejected(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    assert letter_a.amendment_id is not None
    app.retract_amendment(
        "PK", letter_a.amendment_id, reason="error", author="editor", expected_version=2
    )
    bad = draft(revoke("pti"), in_force_from=dt.date(2024, 12, 1))
    assert_rejected(app, GroupNotDesignatedError, "changes.0.group", lambda: record(app, bad))


def test_relabelling_a_designated_group_is_accepted(app: PolicyLedger, letter_a: Recorded) -> None:
    record(app, draft(RelabelGroup(group="pti", label_en="PTI members")))
    assert group_values(app, NOV26)["group:pti"]["label_en"] == "PTI members"


def test_relabelling_a_group_never_designated_is_rejected(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    bad = draft(RelabelGroup(group="hazaras", label_en="Hazaras"))
    assert_rejected(app, GroupNotDesignatedError, "changes.0.group", lambda: record(app, bad))


# Regions and countries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ((article_15c("IN-MH"),), "changes.0.region"),
        (
            (
                article_15c("PK-BA"),
                SetInternalProtectionAlternative(group="pti", region="AF-KAB", available=False),
            ),
            "changes.1.region",
        ),
    ],
)
def test_a_region_of_another_country_is_rejected(
    app: PolicyLedger, letter_a: Recorded, changes: tuple[Change, ...], field: str
) -> None:
    bad = draft(*changes)
    assert_rejected(app, RegionOutsideCountryError, field, lambda: record(app, bad))


def test_regions_of_the_country_are_accepted(app: PolicyLedger, letter_a: Recorded) -> None:
    ipa = SetInternalProtectionAlternative(group="pti", region="PK-PB", available=True)
    record(app, draft(article_15c("PK-KP"), article_15c(None), ipa))


@pytest.mark.parametrize("element", ["article_15c:IN-MH", "ipa:pti:AF-KAB"])
def test_reaffirming_an_element_of_a_region_of_another_country_is_rejected(
    app: PolicyLedger, letter_a: Recorded, element: str
) -> None:
    bad = draft(Reaffirm(element=element))
    assert_rejected(app, RegionOutsideCountryError, "changes.0.element", lambda: record(app, bad))


@pytest.mark.parametrize(
    "element", ["article_15c:PK-BA", "article_15c:default", "ipa:pti:PK-PB", "ipa:pti"]
)
def test_reaffirming_an_element_of_the_country_is_accepted(
    app: PolicyLedger, letter_a: Recorded, element: str
) -> None:
    record(app, draft(Reaffirm(element=element)))


@pytest.mark.parametrize("code", ["XX", "PAK", ""])
def test_an_unknown_country_code_is_rejected(app: PolicyLedger, code: str) -> None:
    good = draft(designate("pti"))
    assert_rejected(app, UnknownCountryCodeError, "country", lambda: record(app, good, code))


def test_a_country_code_is_read_in_any_case(app: PolicyLedger) -> None:
    recorded = app.record_amendment(
        " pk", draft(designate("pti")), author="editor", expected_version=None
    )
    assert recorded.country == "PK"
    assert app.version_of("PK") == recorded.version == 2


def test_a_rejected_first_amendment_does_not_open_the_country(app: PolicyLedger) -> None:
    assert_rejected(app, NoChangesError, "changes", lambda: record(app, draft()))
    assert app.version_of("PK") is None


# Changes and sources ------------------------------------------------------------------------


def test_an_amendment_without_changes_is_rejected(app: PolicyLedger, letter_a: Recorded) -> None:
    assert_rejected(app, NoChangesError, "changes", lambda: record(app, draft()))


def test_an_amendment_without_sources_is_rejected(app: PolicyLedger, letter_a: Recorded) -> None:
    bad = draft(designate("hazaras"), sources=())
    assert_rejected(app, NoSourcesError, "sources", lambda: record(app, bad))


def ecli(reference: str) -> Source:
    return Source(kind=SourceKind.ECLI, reference=reference, date=dt.date(2024, 7, 17))


@pytest.mark.parametrize(
    "reference", ["ECLI:NL:RVS:2024", "NL:RVS:2024:2927", "ecli:nl:rvs:2024:2927"]
)
def test_a_malformed_ecli_is_rejected(
    app: PolicyLedger, letter_a: Recorded, reference: str
) -> None:
    bad = draft(designate("hazaras"), sources=(KAMERSTUK, ecli(reference)))
    assert_rejected(app, InvalidSourceError, "sources.1.reference", lambda: record(app, bad))


def test_a_well_formed_ecli_is_accepted(app: PolicyLedger, letter_a: Recorded) -> None:
    record(app, draft(designate("hazaras"), sources=(KAMERSTUK, ecli("ECLI:NL:RVS:2024:2927"))))


# Moratoria ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_force_from", "until"),
    [
        (dt.date(2025, 1, 1), dt.date(2024, 12, 31)),  # ends before it starts
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1)),  # ends the day it starts
        (None, NOV26),  # pending: ends on its announcement date
    ],
)
def test_a_moratorium_ending_on_or_before_its_start_is_rejected(
    app: PolicyLedger, letter_a: Recorded, in_force_from: dt.date | None, until: dt.date
) -> None:
    bad = draft(article_15c("PK-KP"), moratorium(until), in_force_from=in_force_from)
    assert_rejected(app, InvalidMoratoriumError, "changes.1.until", lambda: record(app, bad))


@pytest.mark.parametrize("in_force_from", [dt.date(2025, 1, 1), None])
def test_a_moratorium_ending_after_its_start_is_accepted(
    app: PolicyLedger, letter_a: Recorded, in_force_from: dt.date | None
) -> None:
    record(app, draft(moratorium(dt.date(2025, 1, 2)), in_force_from=in_force_from))


@pytest.mark.parametrize("on", [dt.date(2025, 6, 1), dt.date(2025, 7, 1)])
def test_an_in_force_date_on_or_after_a_moratorium_end_is_rejected(
    app: PolicyLedger, letter_a: Recorded, on: dt.date
) -> None:
    pending = record(app, draft(moratorium(dt.date(2025, 6, 1)), in_force_from=None))
    amendment_id = pending.amendment_id or ""
    assert_rejected(
        app, InvalidMoratoriumError, "in_force_from", lambda: learn(app, amendment_id, on)
    )


def test_an_in_force_date_before_a_moratorium_end_is_accepted(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    pending = record(app, draft(moratorium(dt.date(2025, 6, 1)), in_force_from=None))
    learn(app, pending.amendment_id or "", dt.date(2025, 5, 31))
    records = list(app.policy("PK").amendments.values())
    assert "moratorium:decision" in (state_on(records, dt.date(2025, 5, 31), NOW) or {})
    assert "moratorium:decision" not in (state_on(records, dt.date(2025, 6, 1), NOW) or {})


# Optimistic concurrency ---------------------------------------------------------------------


def test_the_version_read_is_accepted(app: PolicyLedger, letter_a: Recorded) -> None:
    recorded = app.record_amendment(
        "PK", draft(designate("hazaras")), author="editor", expected_version=letter_a.version
    )
    assert recorded.version == letter_a.version + 1


def test_a_stale_expected_version_is_rejected(app: PolicyLedger, letter_a: Recorded) -> None:
    record(app, draft(designate("hazaras")))  # someone else writes first
    assert letter_a.amendment_id is not None
    amendment_id, stale = letter_a.amendment_id, letter_a.version
    commands: list[Callable[[], Any]] = [
        lambda: app.record_amendment(
            "PK", draft(designate("ahmadis")), author="editor", expected_version=stale
        ),
        lambda: app.record_in_force_date(
            "PK", amendment_id, NOV26, author="editor", expected_version=stale
        ),
        lambda: app.retract_amendment(
            "PK", amendment_id, reason="error", author="editor", expected_version=stale
        ),
    ]
    for command in commands:
        assert_rejected(app, VersionConflictError, "expected_version", command)


def test_a_missing_expected_version_is_rejected_once_the_country_exists(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    def without_version() -> Recorded:
        return app.record_amendment(
            "PK", draft(designate("hazaras")), author="editor", expected_version=None
        )

    assert_rejected(app, VersionConflictError, "expected_version", without_version)


def test_an_expected_version_for_a_country_without_policy_is_rejected(app: PolicyLedger) -> None:
    def with_version() -> Recorded:
        return app.record_amendment(
            "PK", draft(designate("pti")), author="editor", expected_version=1
        )

    assert_rejected(app, VersionConflictError, "expected_version", with_version)


# In-force dates and retractions -------------------------------------------------------------


@pytest.fixture
def decree_b(app: PolicyLedger, letter_a: Recorded) -> str:
    """A pending amendment: announced, in-force date not known yet."""
    pending = record(app, draft(Reaffirm(element="group:pti"), in_force_from=None))
    assert pending.amendment_id is not None
    return pending.amendment_id


def learn(app: PolicyLedger, amendment_id: str, on: dt.date) -> Recorded:
    return app.record_in_force_date(
        "PK", amendment_id, on, author="editor", expected_version=app.version_of("PK") or 0
    )


def retract(app: PolicyLedger, amendment_id: str) -> Recorded:
    return app.retract_amendment(
        "PK",
        amendment_id,
        reason="error",
        author="editor",
        expected_version=app.version_of("PK") or 0,
    )


def test_an_in_force_date_for_a_pending_amendment_is_accepted_once(
    app: PolicyLedger, decree_b: str
) -> None:
    learn(app, decree_b, dt.date(2025, 1, 1))
    assert app.policy("PK").amendments[decree_b].in_force_learned == dt.date(2025, 1, 1)
    assert_rejected(
        app,
        InForceDateAlreadyKnownError,
        "in_force_from",
        lambda: learn(app, decree_b, dt.date(2025, 2, 1)),
    )


def test_an_in_force_date_for_an_amendment_that_stated_one_is_rejected(
    app: PolicyLedger, letter_a: Recorded
) -> None:
    amendment_id = letter_a.amendment_id or ""
    assert_rejected(
        app, InForceDateAlreadyKnownError, "in_force_from", lambda: learn(app, amendment_id, NOV26)
    )


def test_retracting_an_amendment_twice_is_rejected(app: PolicyLedger, decree_b: str) -> None:
    retract(app, decree_b)
    assert app.policy("PK").amendments[decree_b].retracted_at is not None
    assert_rejected(app, AmendmentRetractedError, "amendment_id", lambda: retract(app, decree_b))


def test_an_in_force_date_for_a_retracted_amendment_is_rejected(
    app: PolicyLedger, decree_b: str
) -> None:
    retract(app, decree_b)
    assert_rejected(
        app,
        AmendmentRetractedError,
        "amendment_id",
        lambda: learn(app, decree_b, dt.date(2025, 1, 1)),
    )


def test_an_unknown_amendment_id_is_rejected(app: PolicyLedger, decree_b: str) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_rejected(app, AmendmentNotFoundError, "amendment_id", lambda: retract(app, unknown))
    assert_rejected(app, AmendmentNotFoundError, "amendment_id", lambda: learn(app, unknown, NOV26))


# Recording in bulk --------------------------------------------------------------------------


def test_bulk_recording_stores_every_draft_each_checked_after_the_ones_before(
    app: PolicyLedger,
) -> None:
    recorded = app.record_amendments(
        [
            ("PK", draft(designate("pti"))),
            ("PK", draft(revoke("pti"), in_force_from=dt.date(2025, 1, 1))),
            ("af", draft(designate("hazaras"))),
        ],
        author="editor",
    )
    assert [r.country for r in recorded] == ["PK", "PK", "AF"]
    assert len(app.policy("PK").amendments) == 2
    assert len(app.policy("AF").amendments) == 1
    assert group_values(app, dt.date(2025, 1, 1)) == {}


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (("PK", draft(revoke("hazaras"))), GroupNotDesignatedError),
        (("PK", draft(article_15c("IN-MH"))), RegionOutsideCountryError),
        (("XX", draft(designate("pti"))), UnknownCountryCodeError),
    ],
)
def test_bulk_recording_stores_nothing_when_one_draft_is_bad(
    app: PolicyLedger, letter_a: Recorded, bad: tuple[str, AmendmentDraft], error: type[LedgerError]
) -> None:
    drafts = [("PK", draft(designate("ahmadis"))), ("AF", draft(designate("pti"))), bad]
    stored = app.recorder.max_notification_id()
    with pytest.raises(error):
        app.record_amendments(drafts, author="editor")
    assert app.recorder.max_notification_id() == stored
    assert app.version_of("PK") == letter_a.version
    assert app.version_of("AF") is None
