"""The timeline chart of a country: one lane per policy element over valid time, laid out in
Python for an inline SVG (the template only draws what is computed here).

Data: the element histories (PolicyQueries.histories) and the timeline of amendments
(PolicyQueries.timeline), both as known at one moment. A bar is a value over its half-open
interval [from, to), coloured by value (Article 15(c) levels on an ordinal scale); a marker
is an amendment that set or confirmed it. Pending amendments (no in-force date) are drawn
hollow and dashed at their announcement date; retracted ones hollow and struck through, at
the date they would have applied, on every lane their changes speak about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from api.web.describe import (
    GROUP_CATEGORIES,
    Labels,
    act_word,
    change_text,
    element_name,
    element_sort_key,
    value_key,
    value_short,
    value_text,
)
from api.web.i18n import word
from domain.words import Lang, long_date, short_date

Doc = dict[str, Any]

LABEL_WIDTH = 360
PLOT_WIDTH = 840
RIGHT = 24
TOP = 48
LANE = 32
BAR = 16
BOTTOM = 12
LABEL_LINE_CHARS = 52  # a lane label's line at 12 px (two lines at most; all of it in <title>)
MARKER_GAP = 13  # px between the centres of two markers on a lane: one marker's width

# Okabe-Ito colours for categories and yes/no; ColorBrewer OrRd (sequential) for 15(c).
PALETTE: dict[str, str] = {
    "risk_profile": "#0072b2",
    "group_persecution": "#5e3c99",
    "vulnerable_minority": "#56b4e9",
    "attention_group": "#f0e442",
    "special_policy": "#cc79a7",
    "level-none": "#fef0d9",
    "level-lower": "#fdcc8a",
    "level-higher": "#fc8d59",
    "level-most_exceptional": "#b30000",
    # A bound is no level: greys, darker for the higher bound.
    "bound-lower": "#d9d9d9",
    "bound-higher": "#969696",
    "yes": "#009e73",
    "no": "#d55e00",
    "moratorium": "#e69f00",
    "note": "#d0d7de",
    "group": "#8c959f",
}
LEGEND_KEYS: dict[str, tuple[str, ...]] = {
    "group": (
        "risk_profile",
        "group_persecution",
        "vulnerable_minority",
        "attention_group",
        "special_policy",
    ),
    "article_15c": (
        "level-none",
        "level-lower",
        "level-higher",
        "level-most_exceptional",
        "bound-lower",
        "bound-higher",
    ),
    "yes_no": ("yes", "no"),
    "other": ("moratorium", "note"),
}


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on the fill (WCAG relative luminance)."""
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    on_black = (luminance + 0.05) / 0.05
    on_white = 1.05 / (luminance + 0.05)
    return "#000000" if on_black >= on_white else "#ffffff"


def legend(lang: Lang) -> list[Doc]:
    """Swatches with their words, for the legend under the chart."""
    names = {
        "risk_profile": word("risk_profile", lang),
        "group_persecution": word("group_persecution", lang),
        "vulnerable_minority": word("vulnerable_minority", lang),
        "attention_group": word("attention_group", lang),
        "special_policy": word("special_policy", lang),
        "level-none": word("level_none", lang),
        "level-lower": word("level_lower", lang),
        "level-higher": word("level_higher", lang),
        "level-most_exceptional": word("level_most_exceptional", lang),
        "bound-lower": word("at_most_lower", lang),
        "bound-higher": word("at_most_higher", lang),
        "yes": f"{word('protect_yes', lang)} / {word('reception_yes', lang)} / "
        f"{word('ipa_yes', lang).split(':')[0]}",
        "no": f"{word('protect_no', lang)} / {word('reception_no', lang)} / "
        f"{word('ipa_no', lang).split(':')[0]}",
        "moratorium": word("section_moratoria", lang),
        "note": word("section_notes", lang),
    }
    return [
        {
            "group": group,
            "items": [{"key": k, "colour": PALETTE[k], "label": names[k]} for k in keys],
        }
        for group, keys in LEGEND_KEYS.items()
    ]


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def data_span(
    histories: Mapping[str, list[Doc]], amendments: Iterable[Doc]
) -> tuple[dt.date, dt.date]:
    """The first and last date the data speaks of (intervals and amendments)."""
    days: list[dt.date] = []
    for intervals in histories.values():
        for i in intervals:
            days += [d for d in (_date(i["valid_from"]), _date(i["valid_to"])) if d]
    for a in amendments:
        days += [d for d in (_date(a["in_force_from"]), _date(a["announced_on"])) if d]
    if not days:
        today = dt.datetime.now(dt.UTC).date()
        return today, today
    return min(days), max(days)


def shifted(day: dt.date, days: int) -> dt.date:
    """`day` moved by `days`, kept within the calendar (0001-01-01 to 9999-12-31)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.min if days < 0 else dt.date.max


def default_range(
    first: dt.date, last: dt.date, today: dt.date, *, to_today: bool
) -> tuple[dt.date, dt.date]:
    """A period around the data (and up to today when asked), with a margin each side."""
    end = max(last, today) if to_today else last
    pad = max(3, (end - first).days // 20)
    return shifted(first, -pad), shifted(end, pad)


def ticks(start: dt.date, end: dt.date, lang: Lang) -> list[tuple[dt.date, str]]:
    """Round dates on the axis, at most about nine: days, weeks, months, or years."""
    span = (end - start).days
    if span <= 70:
        step = next(s for s in (1, 2, 7, 14, 28) if span / s <= 9)
        day = shifted(start, (-start.weekday()) % 7) if step >= 7 else start
        out = []
        while day <= end:
            out.append((day, short_date(day, lang, with_day=True)))
            if day == dt.date.max:
                break
            day = shifted(day, step)
        return out
    months = span / 30.44
    if months > 8 * 24:  # years apart: step through years, not months
        years = months / 12
        step = next((s for s in (5, 10, 20, 50, 100, 200, 500, 1000, 2000) if years / s <= 8), 5000)
        first = max(-(-start.year // step) * step, step)  # the first round year in the period
        if dt.date(first, 1, 1) < start:
            first += step
        return [
            (dt.date(year, 1, 1), str(year))
            for year in range(first, end.year + 1, step)
            if start <= dt.date(year, 1, 1) <= end
        ]
    step = next(s for s in (1, 2, 3, 6, 12, 24) if months / s <= 8)
    out = []
    year, month = start.year, start.month
    while True:
        day = dt.date(year, month, 1)
        if day > end:
            return out
        if (
            day >= start
            and (month - 1) % min(step, 12) == 0
            and (step < 12 or year % (step // 12) == 0)
        ):
            label = str(year) if step >= 12 else short_date(day, lang, with_day=False)
            out.append((day, label))
        if year == dt.MAXYEAR and month == 12:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def spread(xs: list[float], *, gap: float, low: float, high: float) -> list[float]:
    """Marker positions at least `gap` apart, each as near its date as that allows: markers
    of amendments a day apart would otherwise be drawn as one. A run of markers that crowd
    each other is spread evenly about the run's middle, within [low, high]; the order is
    kept (ties in the order given)."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    placed: list[float] = []
    runs: list[list[int]] = []  # runs of positions in `placed`, spread together
    for i in order:
        x = xs[i]
        if placed and x - placed[-1] < gap:
            runs[-1].append(len(placed))
        else:
            runs.append([len(placed)])
        placed.append(x)
        while True:  # spread the last run about its middle; merge with the one before if close
            run = runs[-1]
            middle = sum(xs[order[k]] for k in run) / len(run)
            first = middle - gap * (len(run) - 1) / 2
            first = min(max(first, low), high - gap * (len(run) - 1))
            for n, k in enumerate(run):
                placed[k] = first + gap * n
            if len(runs) > 1 and placed[run[0]] - placed[runs[-2][-1]] < gap:
                runs[-2] += runs.pop()
                continue
            break
    out = [0.0] * len(xs)
    for k, i in enumerate(order):
        out[i] = round(placed[k], 2)
    return out


def label_lines(name: str, width: int = LABEL_LINE_CHARS) -> list[str]:
    """A lane label in at most two lines of about `width` characters, broken between words;
    what does not fit ends in an ellipsis (the whole name is the label's title)."""
    lines: list[str] = []
    for word_ in name.split():
        if lines and len(lines[-1]) + 1 + len(word_) <= width:
            lines[-1] += " " + word_
        else:
            lines.append(word_)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def timeline_chart(
    histories: Mapping[str, list[Doc]],
    amendments: list[Doc],
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    lang: Lang,
    labels: Labels,
    amendment_href: Callable[[str], str],
) -> Doc:
    """Everything the SVG and its table need, in pixels and words."""
    days = max(1, (end - start).days)

    def x(day: dt.date) -> float:
        clipped = min(max(day, start), end)
        return round(LABEL_WIDTH + PLOT_WIDTH * (clipped - start).days / days, 2)

    by_id = {a["id"]: a for a in amendments}
    touched: dict[str, list[Doc]] = {}  # element -> amendments whose changes speak of it
    for a in amendments:
        for change in a["changes"]:
            for element in change_text(change, lang, labels)["elements"]:
                if a not in touched.setdefault(element, []):
                    touched[element].append(a)
    elements = sorted(set(histories) | set(touched), key=lambda e: _lane_order(e, histories))

    lanes = []
    for n, element in enumerate(elements):
        y = TOP + LANE * (n + 1)
        intervals = histories.get(element, [])
        lanes.append(
            _lane(
                element,
                intervals,
                touched.get(element, []),
                y,
                x,
                start,
                end,
                lang,
                labels,
                amendment_href,
            )
        )
    amendment_lane = {
        "y": TOP,
        "label": word("chart_amendments_lane", lang),
        "markers": _spread_markers(
            [
                _amendment_marker(a, x, TOP, lang, amendment_href)
                for a in amendments
                if start <= _marker_day(a) <= end
            ]
        ),
    }
    bottom = TOP + LANE * (len(elements) + 1)
    axis = [
        {"x": x(day), "label": label, "date": day.isoformat()}
        for day, label in ticks(start, end, lang)
    ]
    return {
        "width": LABEL_WIDTH + PLOT_WIDTH + RIGHT,
        "height": bottom + BOTTOM,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + PLOT_WIDTH,
        "top": TOP,
        "bottom": bottom,
        "lane_height": LANE,
        "bar_height": BAR,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "axis": axis,
        "today": {"x": x(today), "label": word("chart_today", lang), "date": today.isoformat()}
        if start <= today <= end
        else None,
        "amendments": amendment_lane,
        "lanes": lanes,
        "legend": legend(lang),
        "description": word(
            "chart_desc",
            lang,
            lanes=len(lanes),
            start=long_date(start, lang),
            end=long_date(end, lang),
            amendments=len(by_id),
        ),
    }


def _lane_order(element: str, histories: Mapping[str, list[Doc]]) -> tuple[Any, ...]:
    kind, rank, rest = element_sort_key(element)
    category = ""
    if element.startswith("group:"):
        values = [i["value"] for i in histories.get(element, []) if i["value"]]
        category = str(values[-1].get("category", "")) if values else ""
        order = GROUP_CATEGORIES
        return kind, order.index(category) if category in order else len(order), rank, rest
    return kind, 0, rank, rest


def _lane(
    element: str,
    intervals: list[Doc],
    touching: list[Doc],
    y: int,
    x: Callable[[dt.date], float],
    start: dt.date,
    end: dt.date,
    lang: Lang,
    labels: Labels,
    amendment_href: Callable[[str], str],
) -> Doc:
    name = element_name(element, lang, labels)
    bars: list[Doc] = []
    for interval in _merged(intervals):
        if interval["value"] is None:
            continue
        first = dt.date.fromisoformat(interval["valid_from"])
        last = _date(interval["valid_to"])
        if first >= end or (last is not None and last <= start):
            continue
        x0, x1 = x(first), x(last or end)
        key = value_key(element, interval["value"])
        fill = PALETTE.get(key, PALETTE["note"])
        text = value_text(element, interval["value"], lang)
        until = long_date(last, lang) if last else word("open_ended", lang)
        width = round(x1 - x0, 2)
        short = value_short(element, interval["value"], lang)
        bars.append(
            {
                "x": x0,
                "width": max(width, 1.0),
                "fill": fill,
                "text_fill": text_colour(fill),
                "key": key,
                "from": interval["valid_from"],
                "to": interval["valid_to"] or "",
                "title": f"{name}: {text} ({long_date(first, lang)} \u2013 {until})",
                "label": short if width >= 7.5 * len(short) + 12 else "",
            }
        )
    markers = []
    for interval in intervals:
        day = dt.date.fromisoformat(interval["valid_from"])
        if not start <= day <= end:
            continue
        summary = interval["amendment"]
        markers.append(
            {
                "x": x(day),
                "kind": "reaffirm" if interval["action"] == "reaffirm" else "set",
                "href": amendment_href(summary["id"]),
                "amendment": summary["id"],
                "date": interval["valid_from"],
                "title": _marker_title(summary, _act_on(interval["action"], day, lang), lang),
            }
        )
    for a in touching:
        if a["status"] == "in_force":
            continue  # its acts on this element are in the history
        day = _marker_day(a)
        if not start <= day <= end:
            continue
        markers.append(
            {
                "x": x(day),
                "kind": a["status"],
                "href": amendment_href(a["id"]),
                "amendment": a["id"],
                "date": day.isoformat(),
                "title": _marker_title(a, _status_phrase(a, lang), lang),
            }
        )
    return {
        "element": element,
        "name": name,
        "label": label_lines(name),
        "y": y,
        "bars": bars,
        "markers": _spread_markers(markers),
        "intervals": [_table_row(element, i, lang, amendment_href) for i in intervals],
        "others": [
            {
                "title": a["title"] or a["id"],
                "href": amendment_href(a["id"]),
                "status": _status_phrase(a, lang),
            }
            for a in touching
            if a["status"] != "in_force"
        ],
    }


def _merged(intervals: list[Doc]) -> list[Doc]:
    """Neighbouring intervals with the same value as one bar (a reaffirmation keeps it)."""
    merged: list[Doc] = []
    for i in intervals:
        if (
            merged
            and merged[-1]["value"] == i["value"]
            and merged[-1]["valid_to"] == i["valid_from"]
        ):
            merged[-1] = {**merged[-1], "valid_to": i["valid_to"]}
        else:
            merged.append(dict(i))
    return merged


def _table_row(
    element: str, interval: Doc, lang: Lang, amendment_href: Callable[[str], str]
) -> Doc:
    summary = interval["amendment"]
    return {
        "from": interval["valid_from"],
        "to": interval["valid_to"],
        "value": value_text(element, interval["value"], lang),
        "action": act_phrase(interval["action"], lang),
        "amendment": summary["title"] or summary["id"],
        "href": amendment_href(summary["id"]),
    }


def act_phrase(action: str, lang: Lang) -> str:
    return _cap(act_word(action, lang))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _act_on(action: str, day: dt.date, lang: Lang) -> str:
    return f"{act_phrase(action, lang)}, {word('in_force_on', lang, date=long_date(day, lang))}"


def _status_phrase(a: Doc, lang: Lang) -> str:
    if a["status"] == "retracted":
        return _cap(word("retracted_on", lang, date=long_date(a["retracted_at"], lang)))
    if a["status"] == "pending":
        return word("pending_since", lang, date=long_date(a["announced_on"], lang))
    return word("in_force_on", lang, date=long_date(a["in_force_from"], lang))


def _marker_title(a: Mapping[str, Any], what: str, lang: Lang) -> str:
    sources = "; ".join(
        f"{s['reference']} ({long_date(s['date'], lang)})" for s in a.get("sources", [])
    )
    return f"{a['title'] or a['id']}\n{what}\n{word('sources', lang)}: {sources or '—'}"


def _amendment_marker(
    a: Doc, x: Callable[[dt.date], float], y: int, lang: Lang, amendment_href: Callable[[str], str]
) -> Doc:
    day = _marker_day(a)
    return {
        "x": x(day),
        "kind": a["status"],
        "href": amendment_href(a["id"]),
        "amendment": a["id"],
        "date": day.isoformat(),
        "title": _marker_title(a, _status_phrase(a, lang), lang),
    }


def _spread_markers(markers: list[Doc]) -> list[Doc]:
    """Markers of one lane apart (see `spread`): each keeps its date's place in `at`, and is
    drawn at `x`, joined to `at` by a short line where the two differ."""
    xs = spread(
        [m["x"] for m in markers], gap=MARKER_GAP, low=LABEL_WIDTH, high=LABEL_WIDTH + PLOT_WIDTH
    )
    return [{**m, "at": m["x"], "x": x} for m, x in zip(markers, xs, strict=True)]


def _marker_day(a: Mapping[str, Any]) -> dt.date:
    """Where an amendment is drawn: its in-force date, else (pending) its announcement."""
    return _date(a["in_force_from"]) or dt.date.fromisoformat(a["announced_on"])
