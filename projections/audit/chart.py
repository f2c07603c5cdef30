"""The audit report's chart: verdicts per month of decision, laid out for an inline SVG
(the page draws it from this layout, projections/audit/templates/audit_report.html).

Cold code, run once a report: not compiled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from domain.facts import Verdict
from domain.words import SHORT_MONTHS, counted, month_name

Doc = dict[str, Any]

VERDICT_LABELS = {
    Verdict.UNCHANGED.value: "Unchanged",
    Verdict.IN_FAVOUR.value: "Changed in favour",
    Verdict.AGAINST.value: "Changed against",
    Verdict.MIXED.value: "Changed both ways",
    Verdict.INDETERMINATE.value: "Indeterminate (stated on one side only)",
}
# Okabe-Ito colours: told apart with any colour vision, and each also named in the legend.
VERDICT_COLOURS = {
    Verdict.UNCHANGED.value: "#a3a3a3",
    Verdict.IN_FAVOUR.value: "#0072b2",
    Verdict.AGAINST.value: "#d55e00",
    Verdict.MIXED.value: "#cc79a7",
    Verdict.INDETERMINATE.value: "#e69f00",
}
MAX_BARS = 120  # bar groups at most: decisions centuries apart are binned, not drawn by month
# (name, years per bar) of the periods a bar may stand for beyond a month, shortest first.
PERIODS = (("year", 1), ("decade", 10), ("century", 100))
CHART = {
    "left": 64,
    "right": 24,
    "top": 56,
    "bottom": 64,
    "plot_height": 240,
    "min_plot_width": 480,
}


def verdict_chart(months: Mapping[str, Mapping[str, int]]) -> Doc | None:
    """Stacked bars of verdicts per month of decision, laid out for an inline SVG.

    Every month from the first to the last is a bar group (empty where nothing was decided),
    so the axis reads as time. Over more than MAX_BARS months a bar is a year, a decade or
    a century, the shortest of them that keeps to MAX_BARS (decisions on 0001-01-01 and
    9999-12-31 make 100 bars, not 120,000).
    """
    if not months:
        return None
    period, years = _period(min(months), max(months))
    if years:
        first, last = int(min(months)[:4]) // years, int(max(months)[:4]) // years
        span = [_bin(n * years, years) for n in range(first, last + 1)]
        months = _binned(months, years)
    else:
        span = _month_span(min(months), max(months))
    verdicts = list(VERDICT_LABELS) + sorted(
        {v for counts in months.values() for v in counts} - set(VERDICT_LABELS)
    )
    totals = {m: sum(months.get(m, {}).values()) for m in span}
    top, step_y = _nice_scale(max(totals.values()))
    step = max(4.0, min(64.0, 720 / len(span)))
    bar = round(step * 0.72, 2)
    plot_width = max(CHART["min_plot_width"], step * len(span))
    offset = (plot_width - step * len(span)) / 2
    left, height = CHART["left"], CHART["plot_height"]
    base = CHART["top"] + height
    spacing = math.ceil(64 / step)  # bars between labels, so that labels never overlap

    groups = []
    for n, month in enumerate(span):
        counts = months.get(month, {})
        x = left + offset + n * step + (step - bar) / 2
        y = float(base)
        bars = []
        for verdict in verdicts:
            count = counts.get(verdict, 0)
            if not count:
                continue
            h = height * count / top
            y -= h
            bars.append(
                {
                    "verdict": verdict,
                    "label": VERDICT_LABELS.get(verdict, verdict),
                    "count": count,
                    "colour": VERDICT_COLOURS.get(verdict, "#444444"),
                    "y": round(y, 2),
                    "height": round(h, 2),
                }
            )
        groups.append(
            {
                "month": month,
                "name": _period_name(month),
                "total": totals[month],
                "x": round(x, 2),
                "centre": round(x + bar / 2, 2),
                "label": _bin_label(month, n, spacing) if years else _axis_label(month, spacing),
                "counts": {v: counts.get(v, 0) for v in verdicts},
                "bars": bars,
            }
        )
    ticks = [
        {"value": v, "y": round(base - height * v / top, 2)} for v in range(0, top + 1, step_y)
    ]
    legend = []
    x = float(left)
    for verdict in verdicts:
        label = VERDICT_LABELS.get(verdict, verdict)
        colour = VERDICT_COLOURS.get(verdict, "#444444")
        legend.append({"verdict": verdict, "label": label, "colour": colour, "x": round(x, 2)})
        x += 36 + 7 * len(label)
    width = left + plot_width + CHART["right"]
    overall = {v: sum(c.get(v, 0) for c in months.values()) for v in verdicts}
    described = ", ".join(
        f"{n} {VERDICT_LABELS.get(v, v).lower()}" for v, n in overall.items() if n
    )
    busiest = max(span, key=lambda m: totals[m])
    return {
        "width": round(max(width, x + CHART["right"]), 2),
        "height": base + CHART["bottom"],
        "left": left,
        "right": round(left + plot_width, 2),
        "top": CHART["top"],
        "base": base,
        "bar": bar,
        "groups": groups,
        "ticks": ticks,
        "legend": legend,
        "period": period,
        "first": _period_name(span[0]),
        "last": _period_name(span[-1]),
        "description": (
            f"Stacked bars, one per {period} of decision from {_period_name(span[0])} to "
            f"{_period_name(span[-1])}; each bar's height is the number of decisions that "
            f"{period}, split by verdict. In all: {described}. The busiest {period} is "
            f"{_period_name(busiest)} with {counted(totals[busiest], 'decision')}."
        ),
    }


def _axis_label(month: str, spacing: int) -> str | None:
    """The label under a month's bar, or None: every month when there is room, else the
    months of quarters or half-years, else only the year at January."""
    year, number = int(month[:4]), int(month[5:7])
    if spacing <= 1:
        return _month_label(month)
    if spacing <= 6:
        every = next(e for e in (2, 3, 4, 6) if e >= spacing)
        return _month_label(month) if (number - 1) % every == 0 else None
    years = math.ceil(spacing / 12)
    return str(year) if number == 1 and year % years == 0 else None


def _period(first: str, last: str) -> tuple[str, int]:
    """What one bar stands for between the months `first` and `last`: ("month", 0) or a
    period of years."""
    count = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7]) + 1
    if count <= MAX_BARS:
        return "month", 0
    first_year, last_year = int(first[:4]), int(last[:4])
    for name, years in PERIODS:
        if (last_year // years) - (first_year // years) + 1 <= MAX_BARS:
            return name, years
    return PERIODS[-1]  # unreachable: 0001-9999 is 100 centuries


def _bin(year: int, years: int) -> str:
    """The key of the bin of `years` years that holds `year`: 2024, 2020-2029, 2000-2099
    (the first bin starts at year 1, there being no year 0)."""
    start = max(1, year - year % years)
    if years == 1:
        return f"{start:04d}"
    return f"{start:04d}-{year - year % years + years - 1:04d}"


def _binned(months: Mapping[str, Mapping[str, int]], years: int) -> dict[str, dict[str, int]]:
    """The counts per month summed into bins of `years` years."""
    bins: dict[str, dict[str, int]] = {}
    for month, counts in months.items():
        into = bins.setdefault(_bin(int(month[:4]), years), {})
        for verdict, count in counts.items():
            into[verdict] = into.get(verdict, 0) + count
    return bins


def _bin_label(key: str, n: int, spacing: int) -> str | None:
    """Every `spacing`-th bin is labelled with its first year."""
    return str(int(key[:4])) if n % spacing == 0 else None


def _period_name(key: str) -> str:
    """A bar's period in words: November 2024, 2024, 2020-2029 (with an en dash)."""
    if len(key) == 7 and key[4] == "-":
        return _month_name(key)
    return key.replace("-", "\u2013")


def _month_span(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (compared as numbers: after 9999-12 comes year
    10000, whose text sorts before it)."""
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(start, end + 1)]


def _nice_scale(highest: int) -> tuple[int, int]:
    """The axis top and a round tick step (1, 2 or 5 times a power of ten), at most 6 ticks."""
    if highest <= 0:
        return 1, 1
    magnitude = 10 ** max(0, math.floor(math.log10(highest)) - 1)
    for factor in (1, 2, 5, 10, 20, 50, 100):
        step = factor * magnitude
        if math.ceil(highest / step) <= 6:
            return step * math.ceil(highest / step), step
    return highest, highest  # unreachable: 100 times the magnitude always fits


def _month_name(month: str) -> str:
    """2024-11 as November 2024."""
    return month_name(month, "en")


def _month_label(month: str) -> str:
    """2024-11 as Nov 2024."""
    return f"{SHORT_MONTHS['en'][int(month[5:7]) - 1]} {month[:4]}"
