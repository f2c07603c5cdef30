"""The worked history of temporal-model.md, recorded through the ledger's commands.

Moments #1..#5 are the record moments (knowledge time) of the model's table; `NOW` is a
moment after all of them. The helpers at the end read the whole read model, to compare an
incremental projection with a rebuild from the log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.bootstrap import Services
from domain.commands import AmendmentDraft
from events.vocabulary import (
    Change,
    DesignateGroup,
    GroupCategory,
    Reaffirm,
    SetArticle15c,
    Source,
    SourceKind,
    ViolenceLevel,
)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


RECORDED = {
    1: at(2024, 11, 26, 10),
    2: at(2024, 12, 18, 9),
    3: at(2025, 1, 10, 12),
    4: at(2025, 2, 1, 8),
    5: at(2025, 3, 1, 15),
}
NOW = at(2030, 1, 1)
ONE_TICK = dt.timedelta(microseconds=1)
AUTHOR = "editor"


def source(kind: SourceKind, reference: str, on: dt.date) -> Source:
    return Source(kind=kind, reference=reference, date=on)


def draft(
    announced_on: dt.date, in_force_from: dt.date | None, *changes: Change, cites: Source
) -> AmendmentDraft:
    return AmendmentDraft(
        announced_on=announced_on, in_force_from=in_force_from, sources=(cites,), changes=changes
    )


def designate(group: str, label: str) -> DesignateGroup:
    return DesignateGroup(
        group=group, category=GroupCategory.RISK_PROFILE, label_nl=label, label_en=label
    )


def letter_a() -> AmendmentDraft:
    nov26 = dt.date(2024, 11, 26)
    return draft(
        nov26,
        nov26,
        designate("pti", "PTI"),
        SetArticle15c(region="PK-BA", level=ViolenceLevel.LOWER, armed_conflict=True),
        cites=source(SourceKind.KAMERSTUK, "Kamerstuk 19637, nr. 3318", nov26),
    )


def decree_b() -> AmendmentDraft:
    dec18 = dt.date(2024, 12, 18)
    return draft(
        dec18,
        None,
        Reaffirm(element="group:pti"),
        cites=source(SourceKind.WBV, "WBV 2024/27", dec18),
    )


def letter_c() -> AmendmentDraft:
    jan10 = dt.date(2025, 1, 10)
    return draft(
        jan10,
        dt.date(2024, 10, 1),
        designate("hazaras", "Hazaras"),
        cites=source(SourceKind.KAMERSTUK, "Kamerstuk 19637, nr. 9999", jan10),
    )


@dataclass(frozen=True)
class WorkedHistory:
    letter_a: str
    decree_b: str
    letter_c: str


def record_worked_history(
    ledger: Services, clock: Any, between: Callable[[], object] = lambda: None
) -> WorkedHistory:
    """Records #1..#5 on PK, each at its moment; calls `between` after each one."""
    app = ledger.app
    clock.set(RECORDED[1])
    a = app.record_amendment("PK", letter_a(), author=AUTHOR, expected_version=None)
    between()
    clock.set(RECORDED[2])
    b = app.record_amendment("PK", decree_b(), author=AUTHOR, expected_version=a.version)
    between()
    clock.set(RECORDED[3])
    c = app.record_amendment("PK", letter_c(), author=AUTHOR, expected_version=b.version)
    between()
    clock.set(RECORDED[4])
    assert a.amendment_id is not None
    assert b.amendment_id is not None
    assert c.amendment_id is not None
    d = app.record_in_force_date(
        "PK", b.amendment_id, dt.date(2025, 1, 1), author=AUTHOR, expected_version=c.version
    )
    between()
    clock.set(RECORDED[5])
    app.retract_amendment(
        "PK", c.amendment_id, reason="entered in error", author=AUTHOR, expected_version=d.version
    )
    between()
    return WorkedHistory(a.amendment_id, b.amendment_id, c.amendment_id)


def record_afghanistan(ledger: Services, clock: Any, moment: dt.datetime) -> None:
    """A second country, so the read model holds more than one."""
    clock.set(moment)
    mar1 = dt.date(2025, 3, 1)
    ledger.app.record_amendment(
        "AF",
        draft(
            mar1,
            mar1,
            designate("hazaras", "Hazaras"),
            cites=source(SourceKind.KAMERSTUK, "Kamerstuk 19637, nr. 4000", mar1),
        ),
        author=AUTHOR,
        expected_version=ledger.app.version_of("AF"),
    )


# The read model, whole ------------------------------------------------------------------


def read_model(ledger: Services) -> dict[str, list[Any]]:
    """Every row of the projection's tables, in a stable order."""
    view = ledger.view
    countries = view.countries()
    return {
        "segments": view.all_segment_rows(),
        "countries": countries,
        "amendments": [r for c in countries for r in view.amendment_rows(c["country"])],
        # Whole states: what each is stored against depends on what the projecting process
        # held in memory, not on the log.
        "states": view.all_states(),
        "elements": view._all("SELECT * FROM {p}policy_elements ORDER BY element_id"),
    }


def rebuild(ledger: Services, until: int | None = None) -> dict[str, list[Any]]:
    """Drops the projection, projects the log again from the start, and reads it back."""
    ledger.view.drop_policy_rows(ledger.app.name)
    ledger.projection.forget()
    ledger.catch_up.run(until=until)
    return read_model(ledger)


def khyber_pakhtunkhwa_lower() -> AmendmentDraft:
    """A later amendment in force on letter A's own date: it changes that segment's state."""
    nov26 = dt.date(2024, 11, 26)
    return draft(
        nov26,
        nov26,
        SetArticle15c(region="PK-KP", level=ViolenceLevel.LOWER, armed_conflict=True),
        cites=source(SourceKind.KAMERSTUK, "Kamerstuk 19637, nr. 3318", nov26),
    )
