"""Record time as the read model stores it: microseconds since 1970 in UTC (an integer
compares and indexes the same on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
# Later than any record time: as the moment of knowledge, it sees every record there is.
END_OF_TIME = dt.datetime.max.replace(tzinfo=dt.UTC)


def in_utc(moment: dt.datetime) -> dt.datetime:
    """The moment in UTC; one without a time zone is taken as UTC. Raises OverflowError for
    a moment whose UTC equivalent is out of range."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def iso(value: dt.date | None) -> str | None:
    """A date or moment as ISO 8601 text; None stays None."""
    return value.isoformat() if value is not None else None


def to_micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)
