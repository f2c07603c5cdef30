"""Words for people: counts with their nouns in the right number, and dates in words as
people read them, in English and Dutch (the one definition for the CLI's messages, the
pages, whose other words are in api.web.i18n, and the audit report)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from domain.decision import AMSTERDAM


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 event', '4 events', '0 events'; `plural` where an added s is wrong ('countries')."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


Lang = Literal["en", "nl"]
LANGS: tuple[Lang, ...] = ("en", "nl")

MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
}
SHORT_MONTHS = {
    "en": tuple(m[:3] for m in MONTHS["en"]),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}


def long_date(value: str | dt.date | None, lang: Lang) -> str:
    """26 November 2024 / 26 november 2024; '—' for nothing."""
    if not value:
        return "—"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def short_date(day: dt.date, lang: Lang, *, with_day: bool) -> str:
    """Axis labels: 26 Nov 2024, or Nov 2024."""
    month = SHORT_MONTHS[lang][day.month - 1]
    return f"{day.day} {month} {day.year}" if with_day else f"{month} {day.year}"


def long_moment(value: str | dt.datetime | None, lang: Lang) -> str:
    """A moment in Amsterdam time: 26 November 2024, 10:00."""
    if not value:
        return "—"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    try:
        local = moment.astimezone(AMSTERDAM)
    except OverflowError:  # the last hour(s) of 9999 in UTC are in the year 10000 there
        earlier = (moment - dt.timedelta(days=1)).astimezone(AMSTERDAM)
        return f"1 {MONTHS[lang][0]} {dt.MAXYEAR + 1}, {earlier:%H:%M}"
    return f"{long_date(local.date(), lang)}, {local:%H:%M}"


def month_name(month: str, lang: Lang) -> str:
    """A month of the form YYYY-MM in words: November 2024 / november 2024."""
    return f"{MONTHS[lang][int(month[5:7]) - 1]} {month[:4]}"
