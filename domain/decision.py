"""A past decision as an audit receives it, checked, and made into the `Case` an auditor
reads (domain.facts holds the rules the audit applies)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from domain.countries import check_region, country_code
from domain.facts import Case
from domain.instants import in_utc, to_micros
from events.vocabulary import Day, Frozen, GroupId, RegionCode

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
    unaccompanied_minor: bool = False
    cited_version_id: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=200)

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
        )


def end_of_day(day: dt.date) -> dt.datetime:
    """When a decision taken on `day` is taken, unless it says: the end of that day in
    Europe/Amsterdam, in UTC."""
    end = dt.datetime.combine(day, dt.time.max, tzinfo=AMSTERDAM)
    try:
        return end.astimezone(dt.UTC)
    except OverflowError:  # the last day of 9999 in Amsterdam: as late as UTC goes
        return dt.datetime.max.replace(tzinfo=dt.UTC)
