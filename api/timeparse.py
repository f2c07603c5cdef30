"""How the faces read dates and moments typed by people (CLI options, query strings)."""

from __future__ import annotations

import datetime as dt
import re

from domain.instants import in_utc

EXTENDED = re.compile(r"\d{4}-\d{2}-\d{2}")


class MomentError(ValueError):
    """A date or timestamp that cannot be read."""


def parse_date(text: str, *, name: str) -> dt.date:
    try:
        if not EXTENDED.fullmatch(text.strip()):
            raise ValueError(text)
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise MomentError(f"{name}: '{text}' is not a date (YYYY-MM-DD)") from None


def parse_moment(text: str, *, name: str) -> dt.datetime:
    """An ISO 8601 timestamp; without an offset it is UTC.

    A bare date means the end of that day (UTC): "as known on 1 December" includes
    everything recorded that day.
    """
    raw = text.strip()
    if not EXTENDED.match(raw):  # no basic format: "20241126" is too easily a number
        raise MomentError(
            f"{name}: '{text}' is not an ISO 8601 timestamp (e.g. 2024-12-01T12:00:00Z)"
        )
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        return in_utc(dt.datetime.fromisoformat(raw))
    except (ValueError, OverflowError):
        raise MomentError(
            f"{name}: '{text}' is not an ISO 8601 timestamp (e.g. 2024-12-01T12:00:00Z)"
        ) from None


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


DURATION = re.compile(r"(\d{1,6})\s*([mhdw])")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(text: str, at: dt.datetime, *, name: str) -> dt.datetime:
    """When something given at `at` stops working: a duration from then (`30m`, `12h`,
    `90d`, `2w`), a date (its first moment, UTC: the first day without it) or an ISO 8601
    timestamp; it must lie after `at`."""
    raw = text.strip().lower()
    duration = DURATION.fullmatch(raw)
    if duration is not None:
        try:
            ends = at + dt.timedelta(**{UNITS[duration[2]]: int(duration[1])})
        except OverflowError:
            raise MomentError(f"{name}: '{text}' ends after the year 9999") from None
    elif len(raw) == 10:
        day = parse_date(raw, name=name)
        ends = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
    else:
        try:
            ends = parse_moment(text, name=name)
        except MomentError:
            raise MomentError(
                f"{name}: '{text}' is neither a duration (30m, 12h, 90d, 2w), a date "
                "(YYYY-MM-DD) nor an ISO 8601 timestamp"
            ) from None
    if ends <= at:
        raise MomentError(f"{name}: '{text}' is not in the future")
    return ends
