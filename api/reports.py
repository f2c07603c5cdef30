"""Audit reports, written as the audit goes: CSV, JSON Lines or a self-contained HTML page.

Every writer has the same interface: `write(result)` for an audited decision (a result of
projections.audit.Auditor.judge), `reject(row)` for a row that could not be audited, and
`close(summary)` at the end (the Summary.to_json() document; without it, the writer's own
count of what it was given). Used as a context manager, a writer closes itself on a clean
exit and throws its output away on an exception.

- CSV: a header, then one flat row per decision (rejected rows have an empty verdict and
  their errors in `errors`). UTF-8 with a byte-order mark, so that spreadsheets read it.
- JSON Lines: one result document a line; a rejected row as {"line", "id", "errors"}; and a
  last line {"summary": ...}.
- HTML: one page, no external resources and no script: the summary tables, a chart of
  verdicts per month of decision (inline SVG), a row per flagged decision (verdict not
  unchanged, record differs, or cited version mismatched) with its changes and their
  sources, and the rejected rows.

Given the seal of the ledger the audit was computed from (the read model's digest with the
service's signature over it, `Ledger.seal`), each report carries it at its end: CSV as three
trailer rows (`#ledger_digest`, `#signature`, `#key_id` in the first column, the value in the
second), JSON Lines as `ledger` beside the last line's `summary`, HTML in the page's
"Ledger" section. Without one, reports are as before.

Memory stays constant whatever the number of decisions: CSV and JSON Lines rows go straight
to the file; the HTML page keeps its flagged and rejected rows in temporary files until
`close`, which renders the page around them as a stream. A report appears under its name
only once complete (it is written beside it, then renamed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar

import orjson

from api.decisions import Row, audit_row, rejected_doc
from api.signing import Seal
from api.web.i18n import MONTHS as MONTH_NAMES
from api.web.templating import environment
from domain.decision import AMSTERDAM
from domain.countries import country_name
from domain.facts import Citation, Verdict
from projections.audit import DIRECTIONS, Audited, Auditor, Summary, plain

Doc = dict[str, Any]

TEMPLATES = Path(__file__).parent / "templates"
MONTHS = MONTH_NAMES["en"]
VERDICT_LABELS = {
    Verdict.UNCHANGED.value: "Unchanged",
    Verdict.IN_FAVOUR.value: "Changed in favour",
    Verdict.AGAINST.value: "Changed against",
    Verdict.MIXED.value: "Changed both ways",
}
# Okabe-Ito colours: told apart with any colour vision, and each also named in the legend.
VERDICT_COLOURS = {
    Verdict.UNCHANGED.value: "#a3a3a3",
    Verdict.IN_FAVOUR.value: "#0072b2",
    Verdict.AGAINST.value: "#d55e00",
    Verdict.MIXED.value: "#cc79a7",
}
CITATION_LABELS = {
    Citation.MATCHES.value: "Cited version matches the record",
    Citation.MISMATCH.value: "Cited version does not match",
    Citation.NOT_GIVEN.value: "No version cited",
}
RECORD_LABELS = {
    "false": "Policy as recorded then is the policy as known now",
    "true": "Policy as recorded then differs from what is known now",
}
CSV_COLUMNS = (
    "id",
    "country",
    "decided_on",
    "recorded_at",
    "review_date",
    "verdict",
    "record_differs",
    "citation",
    "version_at_decision",
    "version_as_recorded",
    "version_at_review",
    "changes",
    "outcome",
    "errors",
)


# The trailer rows of a CSV report: what each seal field is called in the first column.
CSV_TRAILER = {"digest": "#ledger_digest", "signature": "#signature", "key_id": "#key_id"}


def open_report(path: Path, seal: Seal | None = None, tally: Summary | None = None) -> ReportWriter:
    """A writer for the report at `path`, in the format its suffix names; `seal` is the
    signed digest of the ledger the audit reads; `tally` the audit's own summary, which its
    auditor keeps (the writer then counts nothing itself)."""
    path = Path(path)
    kind = WRITERS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(
            f"cannot write a report as '{path.suffix or path.name}'; "
            f"use one of {', '.join(WRITERS)}"
        )
    return kind(path, seal, tally)


def audit_into(
    report: ReportWriter | None,
    auditor: Auditor,
    rows: Iterable[Row],
    progress: Callable[[int], None],
) -> None:
    """Audits the rows into the report (if any) and the auditor's summary, a rejected row
    with its errors, in the rows' order; `progress` hears the line reached after each batch.
    The loop of an audit of millions of rows, compiled with this module."""
    batch: list[Row] = []
    line = 0
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            line = _audit_batch(report, auditor, batch)
            batch.clear()
            progress(line)
    if batch:
        line = _audit_batch(report, auditor, batch)
    progress(line)


# Rows judged together, by country and decision date: decisions of one country and time
# read the same rows, parts and runs, which then stay in the processor's caches. A third
# less time judging a file in random order (measured with 4,096 to 32,768 rows); the
# results of a batch are held until it is written, a few MB (memory is what keeps it small).
BATCH = 4096


def _audit_batch(report: ReportWriter | None, auditor: Auditor, batch: list[Row]) -> int:
    results: list[tuple[Audited | None, Row]] = [(None, row) for row in batch]
    for i in sorted(range(len(batch)), key=lambda i: _locality(batch[i])):
        results[i] = audit_row(auditor, batch[i])
    summary = auditor.summary
    line = 0
    for result, row in results:
        if result is None:
            summary.rejected += 1
            if report is not None:
                report.reject(row)
        elif report is not None:
            report.write(result)
        line = row.line
    return line


def _locality(row: Row) -> tuple[str, str]:
    case = row.decision
    return ("", "") if case is None else (case.country, case.decided_on)


def seal_doc(seal: Seal) -> Doc:
    """What a report says of the ledger it was computed from."""
    return {"digest": seal.digest, "signature": seal.signature, "key_id": seal.key_id}


def errors_text(row: Row) -> str:
    """A rejected row's errors as one line: "line 6: country: …; decided_on: …"."""
    return f"line {row.line}: " + "; ".join(f"{e['field']}: {e['message']}" for e in row.errors)


def csv_line(result: Audited) -> str:
    """An audited decision as a line under CSV_COLUMNS, as the csv module would write it (a
    test holds them equal), made directly: a report of a million rows spends most of its
    writing time in the module otherwise. Only the free-text cells can need quoting; the
    others are codes, ISO dates and hex ids."""
    case = result.case
    at_decision, as_recorded, at_review = result.versions
    return (
        f"{_quoted(_cell(case.id))},{case.country},{case.decided_on},{case.recorded_at},"
        f"{result.review_date},{result.verdict},{'true' if result.record_differs else 'false'},"
        f"{result.citation},{at_decision or ''},{as_recorded or ''},{at_review or ''},"
        f"{_quoted(result.changes_text)},{_quoted(_cell(case.outcome or ''))},\r\n"
    )


def _quoted(text: str) -> str:
    """A cell as the csv module's minimal quoting writes it."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def rejected_csv_row(row: Row) -> list[str]:
    cells = dict.fromkeys(CSV_COLUMNS, "")
    cells["id"] = _cell(row.raw_id or "")
    cells["errors"] = _cell(errors_text(row))
    return list(cells.values())


class ReportWriter:
    """Writes a report beside its path and moves it into place when closed."""

    suffix: ClassVar[str]

    def __init__(self, path: Path, seal: Seal | None = None, tally: Summary | None = None) -> None:
        self.path = Path(path)
        self.seal = seal
        self.counting = tally is None  # else the auditor keeps the tally
        self.tally = Summary() if tally is None else tally
        self.flagged = 0
        self.review_date: str | None = None
        self.closed = False
        self._partial = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.partial")
        # os.open applies the umask, as creating the report directly would.
        fd = os.open(self._partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        self._out: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, result: Audited) -> None:
        """Adds an audited decision."""
        if self.counting:
            self.tally.add(result)
        self.review_date = result.review_date
        flagged = result.flagged
        self.flagged += flagged
        self._write(result, flagged)

    def reject(self, row: Row) -> None:
        """Adds a row that was not audited, with its errors."""
        if self.counting:
            self.tally.rejected += 1
        self._reject(row)

    def close(self, summary: Doc | None = None) -> None:
        """Finishes the report with the summary and puts it in place."""
        if self.closed:
            return
        try:
            self._finish(summary if summary is not None else self.tally.to_json())
            self._out.close()
            os.replace(self._partial, self.path)
        except BaseException:
            self.abort()
            raise
        self.closed = True
        self._cleanup()

    def abort(self) -> None:
        """Throws the unfinished report away."""
        self.closed = True
        self._out.close()
        self._partial.unlink(missing_ok=True)
        self._cleanup()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        elif not self.closed:
            self.abort()

    def _write(self, result: Audited, flagged: bool) -> None:
        raise NotImplementedError

    def _reject(self, row: Row) -> None:
        raise NotImplementedError

    def _finish(self, summary: Doc) -> None:
        raise NotImplementedError

    def _cleanup(self) -> None:
        """Frees what the writer kept besides its output."""


class CsvReport(ReportWriter):
    suffix = ".csv"

    def __init__(self, path: Path, seal: Seal | None = None, tally: Summary | None = None) -> None:
        super().__init__(path, seal, tally)
        self._text = io.TextIOWrapper(self._out, encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._text)
        self._csv.writerow(CSV_COLUMNS)
        self._lines: list[str] = []  # written in batches: a write a row costs a tenth more

    def _write(self, result: Audited, flagged: bool) -> None:
        self._lines.append(csv_line(result))
        if len(self._lines) >= 512:
            self._flush_lines()

    def _reject(self, row: Row) -> None:
        self._flush_lines()
        self._csv.writerow(rejected_csv_row(row))

    def _flush_lines(self) -> None:
        self._text.write("".join(self._lines))
        self._lines.clear()

    def _finish(self, summary: Doc) -> None:
        self._flush_lines()
        if self.seal is not None:
            for key, value in seal_doc(self.seal).items():
                self._csv.writerow([CSV_TRAILER[key], value or ""])
        self._text.flush()
        self._text.detach()


class JsonLinesReport(ReportWriter):
    suffix = ".jsonl"

    def _write(self, result: Audited, flagged: bool) -> None:
        self._out.write(orjson.dumps(result.doc(), option=orjson.OPT_APPEND_NEWLINE))

    def _reject(self, row: Row) -> None:
        self._out.write(orjson.dumps(rejected_doc(row), option=orjson.OPT_APPEND_NEWLINE))

    def _finish(self, summary: Doc) -> None:
        last: Doc = {"summary": summary}
        if self.seal is not None:
            last["ledger"] = seal_doc(self.seal)
        self._out.write(orjson.dumps(last, option=orjson.OPT_APPEND_NEWLINE))


class HtmlReport(ReportWriter):
    suffix = ".html"

    def __init__(self, path: Path, seal: Seal | None = None, tally: Summary | None = None) -> None:
        super().__init__(path, seal, tally)
        # Open for the writer's life, closed by _cleanup.
        self._flagged_rows: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._rejected_rows: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.generated_at = dt.datetime.now(dt.UTC)

    def _write(self, result: Audited, flagged: bool) -> None:
        if flagged:
            self._flagged_rows.write(orjson.dumps(_flagged_doc(result.doc())) + b"\n")

    def _reject(self, row: Row) -> None:
        self._rejected_rows.write(orjson.dumps(rejected_doc(row)) + b"\n")

    def _finish(self, summary: Doc) -> None:
        template = ENVIRONMENT.get_template("audit_report.html")
        text = io.TextIOWrapper(self._out, encoding="utf-8", newline="\n")
        chunks = template.generate(
            summary=summary,
            counts={
                "decisions": summary.get("decisions", 0),
                "audited": summary.get("audited", 0),
                "rejected": summary.get("rejected", 0),
                "flagged": self.flagged,
            },
            rejected_count=self.tally.rejected,
            tables=_summary_tables(summary),
            chart=verdict_chart(summary.get("months", {})),
            review_date=self.review_date,
            generated_at=self.generated_at.isoformat(),
            flagged_count=self.flagged,
            flagged=_replay(self._flagged_rows),
            rejected=_replay(self._rejected_rows),
            ledger=seal_doc(self.seal) if self.seal is not None else None,
        )
        for chunk in chunks:
            text.write(chunk)
        text.flush()
        text.detach()

    def _cleanup(self) -> None:
        self._flagged_rows.close()
        self._rejected_rows.close()


WRITERS: dict[str, type[ReportWriter]] = {
    w.suffix: w for w in (CsvReport, JsonLinesReport, HtmlReport)
}


# HTML content ---------------------------------------------------------------------------


def _replay(stream: IO[bytes]) -> Iterator[Doc]:
    """The documents kept in a temporary file, one at a time."""
    stream.flush()
    stream.seek(0)
    for line in stream:
        yield orjson.loads(line)


def _flagged_doc(result: Doc) -> Doc:
    """What the page shows of a flagged decision."""
    before, recorded = result["at_decision"]["facts"], result["as_recorded"]["facts"]
    record_changes = [
        {"fact": k, "known_now": f["value"], "recorded_then": recorded[k]["value"]}
        for k, f in before.items()
        if k in recorded and recorded[k]["value"] != f["value"]
    ]
    return {
        "id": result["id"],
        "country": result["country"],
        "decided_on": result["decided_on"],
        "recorded_at": result["recorded_at"],
        "outcome": result.get("outcome"),
        "verdict": result["verdict"],
        "record_differs": bool(result["record_differs"]),
        "citation": result["citation"],
        "versions": {
            "at_decision": result["at_decision"]["version_id"],
            "as_recorded": result["as_recorded"]["version_id"],
            "at_review": result["at_review"]["version_id"],
        },
        "changes": [
            {
                "fact": c["fact"],
                "before": c["before"],
                "after": c["after"],
                "direction": c["direction"],
                "amendment": (c.get("amendment") or {}).get("title"),
                "sources": [_source(s) for s in c.get("sources", [])],
            }
            for c in result["changes"]
        ],
        "record_changes": record_changes,
    }


def _source(source: Mapping[str, Any]) -> Doc:
    url = source.get("url")
    safe = isinstance(url, str) and url.startswith(("https://", "http://"))
    return {
        "reference": source["reference"],
        "kind": source.get("kind"),
        "date": source.get("date"),
        "url": url if safe else None,
    }


def _summary_tables(summary: Mapping[str, Any]) -> list[Doc]:
    audited = summary.get("audited", 0)

    def rows(counts: Mapping[str, int], labels: Mapping[str, str]) -> list[Doc]:
        keys = [k for k in labels if k in counts] + sorted(k for k in counts if k not in labels)
        return [_count_row(labels.get(k, k), counts[k], audited, k) for k in keys]

    countries = sorted(summary.get("countries", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {
            "title": "Verdicts",
            "heading": "Verdict",
            "caption": "How the facts that matter changed between decision and review",
            "rows": rows(summary.get("verdicts", {}), VERDICT_LABELS),
        },
        {
            "title": "Record",
            "heading": "Policy as recorded",
            "caption": "The policy on the decision date, as recorded when the decision was taken",
            "rows": rows(summary.get("record_differs", {}), RECORD_LABELS),
        },
        {
            "title": "Citations",
            "heading": "Citation",
            "caption": "The policy version each decision cites",
            "rows": rows(summary.get("citations", {}), CITATION_LABELS),
        },
        {
            "title": "Countries",
            "heading": "Country",
            "caption": "Audited decisions per country",
            "rows": [
                _count_row(f"{country_name(code)} ({code})", n, audited, code)
                for code, n in countries
            ],
        },
    ]


def _count_row(label: str, count: int, total: int, key: str) -> Doc:
    share = f"{100 * count / total:.1f}%" if total else "—"
    return {"key": key, "label": label, "count": count, "share": share}


# The chart ------------------------------------------------------------------------------

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
    so the axis reads as time.
    """
    if not months:
        return None
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
    spacing = math.ceil(64 / step)  # months between labels, so that labels never overlap

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
                "name": month_name(month),
                "total": totals[month],
                "x": round(x, 2),
                "centre": round(x + bar / 2, 2),
                "label": _axis_label(month, spacing),
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
        "first": month_name(span[0]),
        "last": month_name(span[-1]),
        "description": (
            f"Stacked bars, one per month of decision from {month_name(span[0])} to "
            f"{month_name(span[-1])}; each bar's height is the number of decisions that month, "
            f"split by verdict. In all: {described}. The busiest month is "
            f"{month_name(busiest)} with {totals[busiest]} decisions."
        ),
    }


def _axis_label(month: str, spacing: int) -> str | None:
    """The label under a month's bar, or None: every month when there is room, else the
    months of quarters or half-years, else only the year at January."""
    year, number = int(month[:4]), int(month[5:7])
    if spacing <= 1:
        return month_label(month)
    if spacing <= 6:
        every = next(e for e in (2, 3, 4, 6) if e >= spacing)
        return month_label(month) if (number - 1) % every == 0 else None
    years = math.ceil(spacing / 12)
    return str(year) if number == 1 and year % years == 0 else None


def _month_span(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    span = []
    while f"{year:04d}-{month:02d}" <= last:
        span.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return span


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


# Formatting -----------------------------------------------------------------------------


def long_date(value: str | None) -> str:
    """An ISO date as people read it: 26 November 2024."""
    if not value:
        return "—"
    day = dt.date.fromisoformat(value[:10])
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def long_moment(value: str | None) -> str:
    """An ISO moment in Amsterdam time: 25 November 2024, 23:59."""
    if not value:
        return "—"
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(AMSTERDAM)
    return f"{long_date(local.date().isoformat())}, {local:%H:%M}"


def month_name(month: str) -> str:
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def month_label(month: str) -> str:
    return f"{MONTHS[int(month[5:7]) - 1][:3]} {month[:4]}"


FACT_NAMES = {
    "group": "Group {0}",
    "protection": "Protection by the authorities ({0})",
    "ipa": "Internal protection alternative ({0})",
    "article_15c": "Article 15(c) violence",
    "moratorium": "Moratorium on {0}s",
    "unaccompanied_minors": "Reception of unaccompanied minors",
}


def fact_name(key: str) -> str:
    kind, _, rest = key.partition(":")
    pattern = FACT_NAMES.get(kind)
    return pattern.format(rest) if pattern else key


def fact_value(value: Any, key: str) -> str:
    """A fact's value in words."""
    kind = key.split(":")[0]
    if kind == "group":
        return "not designated" if value is None else str(value).replace("_", " ")
    if kind == "moratorium":
        return "in place" if value else "none"
    if kind == "unaccompanied_minors":
        return "adequate reception" if value else "no adequate reception"
    if kind in ("protection", "ipa"):
        return "available" if value else "not available"
    if kind == "article_15c":
        return f"{str(value).replace('_', ' ')} level" if value != "none" else "none"
    return plain(value)


def _cell(text: str) -> str:
    """A cell spreadsheets show as text, never run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


ENVIRONMENT = environment(TEMPLATES)
ENVIRONMENT.filters.update(
    long_date=long_date,
    long_moment=long_moment,
    fact_name=fact_name,
    fact_value=fact_value,
    country_name=country_name,
    short_version=lambda v: (v[:12] + "…") if v else "none",
)
ENVIRONMENT.globals.update(
    verdict_labels=VERDICT_LABELS,
    verdict_colours=VERDICT_COLOURS,
    citation_labels=CITATION_LABELS,
    directions=DIRECTIONS,
)
