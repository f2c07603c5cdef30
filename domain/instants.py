"""Record time as the read model stores it: microseconds since 1970 in UTC (an integer
compares and indexes the same on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def to_micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)
