"""A past decision as an audit receives it, checked, and made into the `Case` an auditor
reads (domain.facts holds the rules the audit applies)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from domain.countries import check_region, country_code
from domain.facts import Case
from domain.instants import in_utc, to_micros
from events.vocabulary import ApplicationType, AreaId, Day, Frozen, GroupId, RegionCode

Cited = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ADULT = 18

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Decision(Frozen):
    """A past decision on an asylum application, as an audit receives it."""

    id: str = Field(min_length=1, max_length=200)
    country: str
    decided_on: Day
    recorded_at: dt.datetime | None = Field(
        default=None,
        description="When the decision was taken; default: end of decided_on in Europe/Amsterdam.",
    )
    groups: tuple[GroupId, ...] = Field(default=(), max_length=50)
    region: RegionCode | None = None
    areas: tuple[AreaId, ...] = Field(
        default=(), max_length=20, description="Defined areas the applicant is from."
    )
    unaccompanied_minor: bool = False
    age: int | None = Field(default=None, ge=0, le=130, description="Age on the decision date.")
    applied_on: Day | None = Field(default=None, description="When the application was made.")
    application_type: ApplicationType | None = None
    cited_version_id: str | None = Field(default=None, max_length=64)
    cited: tuple[Cited, ...] = Field(
        default=(),
        max_length=20,
        description="The policy texts the decision cites, e.g. 'WBV 2024/27'.",
    )
    outcome: str | None = Field(default=None, max_length=200)

    @field_validator("age")
    @classmethod
    def _minor_age(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value >= ADULT and info.data.get("unaccompanied_minor"):
            raise ValueError(f"an unaccompanied minor is under {ADULT}")
        return value

    @field_validator("applied_on")
    @classmethod
    def _applied_first(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        decided = info.data.get("decided_on")
        if value is not None and decided is not None and value > decided:
            raise ValueError("the application cannot follow the decision (decided_on)")
        return value

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        return country_code(value)

    @field_validator("recorded_at")
    @classmethod
    def _in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        try:
            return in_utc(value)
        except OverflowError:
            raise ValueError("has no UTC equivalent (out of range)") from None

    def moment(self) -> dt.datetime:
        """When the decision was taken, in UTC."""
        return self.recorded_at if self.recorded_at is not None else end_of_day(self.decided_on)

    def check_region(self) -> None:
        if self.region is not None:
            check_region(self.country, self.region, field="region")

    def case(self) -> Case:
        """The decision as an audit reads it; raises LedgerError for a region of another
        country."""
        self.check_region()
        moment = self.moment()
        return Case(
            id=self.id,
            country=self.country,
            decided_on=self.decided_on.isoformat(),
            recorded_at=moment.isoformat(),
            micros=to_micros(moment),
            groups=tuple(sorted(set(self.groups))),
            region=self.region,
            unaccompanied_minor=self.unaccompanied_minor,
            cited_version_id=self.cited_version_id,
            outcome=self.outcome,
            areas=tuple(dict.fromkeys(self.areas)),
            applied_on=self.applied_on.isoformat() if self.applied_on else None,
            application_type=self.application_type.value if self.application_type else None,
            age=self.age,
            cited=self.cited,
        )


def end_of_day(day: dt.date) -> dt.datetime:
    """When a decision taken on `day` is taken, unless it says: the end of that day in
    Europe/Amsterdam, in UTC."""
    end = dt.datetime.combine(day, dt.time.max, tzinfo=AMSTERDAM)
    try:
        return end.astimezone(dt.UTC)
    except OverflowError:  # the last day of 9999 in Amsterdam: as late as UTC goes
        return dt.datetime.max.replace(tzinfo=dt.UTC)
