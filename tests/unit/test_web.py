"""The pages' building blocks: words in both languages, dates as people read them, values in
words, and the chart's axis and colours."""

from __future__ import annotations

import datetime as dt
import itertools
import string

import pytest

from api.web.chart import PALETTE, default_range, label_lines, spread, text_colour, ticks
from api.web.describe import change_text, direction, element_name, value_text
from api.web.i18n import WORDS, local_region_name
from domain.words import long_date, long_moment


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_word_has_both_languages_with_the_same_fields() -> None:
    for key, (english, dutch) in WORDS.items():
        assert english.strip(), key
        assert dutch.strip(), key
        assert _fields(english) == _fields(dutch), key


def test_dates_read_as_people_write_them() -> None:
    assert long_date("2024-11-26", "en") == "26 November 2024"
    assert long_date("2024-11-26", "nl") == "26 november 2024"
    assert long_date(dt.date(2025, 3, 1), "nl") == "1 maart 2025"
    assert long_date(None, "en") == "—"
    # Moments in Amsterdam time, summer and winter.
    assert long_moment("2024-11-26T09:00:00+00:00", "en") == "26 November 2024, 10:00"
    assert long_moment("2024-07-01T22:30:00Z", "nl") == "2 juli 2024, 00:30"
    # The last hour of 9999 in UTC is past the last representable day in Amsterdam.
    assert long_moment("9999-12-31T22:59:59Z", "en") == "31 December 9999, 23:59"
    assert long_moment("9999-12-31T23:59:59.999999Z", "en") == "1 January 10000, 00:59"
    assert long_moment(dt.datetime.max.replace(tzinfo=dt.UTC), "nl") == "1 januari 10000, 00:59"


def test_regions_and_elements_in_both_languages() -> None:
    assert local_region_name("PK-BA", "en") == "Balochistan"
    assert local_region_name("PK-BA", "nl") == "Beloetsjistan"
    labels = {"pti": {"label_en": "PTI members", "label_nl": "PTI-leden"}}
    assert element_name("group:pti", "nl", labels) == "Groep: PTI-leden"
    assert element_name("article_15c:PK-BA", "en", {}) == "Article 15(c): Balochistan (PK-BA)"
    assert element_name("article_15c:default", "en", {}) == "Article 15(c): Rest of the country"
    assert element_name("ipa:pti:PK-BA", "en", labels) == (
        "Internal protection alternative (PTI members, Balochistan (PK-BA))"
    )
    assert element_name("note:article_1f", "nl", {}) == "Notitie: artikel 1F"
    level = {"level": "higher", "armed_conflict": True}
    assert value_text("article_15c:PK-BA", level, "en") == (
        "Higher level of indiscriminate violence; armed conflict"
    )
    assert value_text("moratorium:decision", {"until": "2025-03-01"}, "en") == (
        "In place up to and including 28 February 2025; 1 March 2025 is the first day without it"
    )


def test_article_15c_levels_move_on_an_ordinal_scale() -> None:
    none, lower = {"level": "none"}, {"level": "lower"}
    assert direction("article_15c:PK-BA", none, lower) == "raised"
    assert direction("article_15c:PK-BA", lower, none) == "lowered"
    assert direction("article_15c:PK-BA", lower, lower) is None
    assert direction("group:pti", None, {"category": "risk_profile"}) is None


def test_a_change_reads_in_words() -> None:
    change = {
        "type": "set_article_15c",
        "region": "PK-KP",
        "level": "lower",
        "armed_conflict": True,
    }
    text = change_text(change, "nl", {})
    assert text["element"] == "article_15c:PK-KP"
    assert (
        text["text"]
        == "vastgesteld: Relatief lager niveau van willekeurig geweld; gewapend conflict"
    )
    relabel = {"type": "relabel_group", "group": "lgbti", "label_en": "LGBTIQ+"}
    assert change_text(relabel, "en", {})["text"] == "relabelled: LGBTIQ+"


@pytest.mark.parametrize("days", [1, 10, 40, 69, 71, 200, 800, 4000, 20000, 100_000])
def test_the_axis_has_few_round_ticks_inside_the_period(days: int) -> None:
    start = dt.date(2024, 11, 20)
    end = start + dt.timedelta(days=days)
    marks = ticks(start, end, "en")
    assert 1 <= len(marks) <= 10
    assert all(start <= day <= end for day, _ in marks)
    assert [day for day, _ in marks] == sorted(day for day, _ in marks)


def test_the_default_period_reaches_today_when_asked() -> None:
    first, last, today = dt.date(2024, 11, 25), dt.date(2024, 12, 18), dt.date(2026, 11, 29)
    start, end = default_range(first, last, today, to_today=True)
    assert start < first
    assert end > today
    start, end = default_range(first, last, today, to_today=False)
    assert last < end < today


def test_bar_labels_contrast_with_their_colour() -> None:
    assert text_colour(PALETTE["risk_profile"]) == "#ffffff"
    assert text_colour(PALETTE["level-none"]) == "#000000"
    assert text_colour(PALETTE["level-most_exceptional"]) == "#ffffff"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date.min, dt.date.max),
        (dt.date.min, dt.date(1, 1, 2)),
        (dt.date(9999, 12, 1), dt.date.max),
        (dt.date(9999, 12, 30), dt.date.max),
        (dt.date(9990, 3, 1), dt.date.max),
        (dt.date.min, dt.date(1, 12, 31)),
    ],
)
def test_the_axis_reaches_the_ends_of_the_calendar(start: dt.date, end: dt.date) -> None:
    for lang in ("en", "nl"):
        marks = ticks(start, end, lang)
        assert len(marks) <= 10
        assert all(start <= day <= end for day, _ in marks)


def test_the_default_period_stays_within_the_calendar() -> None:
    assert default_range(dt.date.min, dt.date.max, dt.date(2026, 1, 1), to_today=True) == (
        dt.date.min,
        dt.date.max,
    )
    start, end = default_range(dt.date.min, dt.date(1, 1, 5), dt.date(2026, 1, 1), to_today=False)
    assert start == dt.date.min
    assert end > dt.date(1, 1, 5)


def test_markers_a_day_apart_are_drawn_apart() -> None:
    # 25 and 26 November 2024 on two years of 840 px: one pixel apart.
    placed = spread([300.0, 301.15, 332.0, 700.0], gap=13, low=290, high=1130)
    assert all(b - a >= 13 - 0.01 for a, b in itertools.pairwise(placed))
    assert placed[3] == 700.0  # a marker far from the others stays on its date
    assert abs((placed[0] + placed[1]) / 2 - 300.575) < 7  # the run stays about its dates
    # At the plot's edge the run is pushed inside; the order of equal dates is kept.
    assert spread([290.0, 290.0, 290.0], gap=13, low=290, high=1130) == [290.0, 303.0, 316.0]
    assert spread([1130.0, 1129.0], gap=13, low=290, high=1130) == [1130.0, 1117.0]
    assert spread([], gap=13, low=0, high=10) == []


def test_lane_labels_wrap_instead_of_being_cut() -> None:
    name = "Group: Leaders and members of Pakistan Tehreek-e-Insaf (PTI)"
    lines = label_lines(name, 40)
    assert len(lines) == 2
    assert " ".join(lines) == name
    assert label_lines("Group: Ahmadis", 40) == ["Group: Ahmadis"]
    long = label_lines("word " * 40, 20)
    assert len(long) == 2
    assert long[1].endswith("…")
    assert all(len(line) <= 20 for line in long)
