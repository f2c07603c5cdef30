"""Audit reports, written as the audit goes: CSV, JSON Lines or a self-contained HTML page.

Every writer is a writer of projections.audit.stream (`audit_rows` feeds it): `write(result)`
for an audited decision (a result of projections.audit.judging.Auditor.judge), `reject(row)`
for a row that could not be audited, and `close(summary)` at the end (the Summary.to_json()
document; without it, the writer's own count of what it was given). Used as a context
manager, a writer closes itself on a clean exit and throws its output away on an exception.

- CSV: a header, then one flat row per decision (rejected rows have an empty verdict and
  their errors in `errors`). UTF-8 with a byte-order mark, so that spreadsheets read it.
- JSON Lines: one result document a line; a rejected row as {"line", "id", "errors"}; and a
  last line {"summary": ...}.
- HTML: one page, no external resources and no script: the summary tables, a chart of
  verdicts per month of decision (inline SVG), a row per flagged decision (verdict not
  unchanged, record differs, or cited version mismatched) with its changes and their
  sources, and the rejected rows.

Given the seal of the ledger the audit was computed from (the read model's digest with the
service's signature over it, domain.signing.Seal), each
report carries it at its end: CSV as three trailer rows (`#ledger_digest`, `#signature`,
`#key_id` in the first column, the value in the second), JSON Lines as `ledger` beside the
last line's `summary`, HTML in the page's "Ledger" section. Without one, reports are as
before.

Memory stays constant whatever the number of decisions: CSV and JSON Lines rows go straight
to the file; the HTML page keeps its flagged and rejected rows in temporary files until
`close`, which renders the page around them as a stream. A report appears under its name
only once complete (it is written beside it, then renamed).

The writers' per-row work is compiled (pyproject.toml); the HTML page's rendering and its
chart are not (projections.audit.page, projections.audit.chart).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar

import orjson

from domain.signing import Seal
from projections.audit import page
from projections.audit.judging import Audited, Summary
from projections.audit.reading import Row, rejected_doc

# A report's seal, or the call that gives it once the log has verified (ReportWriter.close).
Sealing = Seal | Callable[[], Seal]

Doc = dict[str, Any]


CSV_COLUMNS = (
    "id",
    "country",
    "decided_on",
    "recorded_at",
    "review_date",
    "basis",
    "verdict",
    "record_differs",
    "citation",
    "version_at_decision",
    "version_on_basis",
    "version_at_review",
    "changes",
    "findings",
    "cited",
    "unknown_groups",
    "outcome",
    "errors",
)


# The trailer rows of a CSV report: what each seal field is called in the first column.
CSV_TRAILER = {"digest": "#ledger_digest", "signature": "#signature", "key_id": "#key_id"}


class ReportFormatError(ValueError):
    """The report's path names no format a report is written in."""


def open_report(
    path: Path, seal: Sealing | None = None, tally: Summary | None = None
) -> ReportWriter:
    """A writer for the report at `path`, in the format its suffix names; `seal` is the
    signed digest of the ledger the audit reads; `tally` the audit's own summary, which its
    auditor keeps (the writer then counts nothing itself)."""
    path = Path(path)
    kind = WRITERS.get(path.suffix.lower())
    if kind is None:
        raise ReportFormatError(
            f"cannot write a report as '{path.suffix or path.name}'; "
            f"use one of {', '.join(WRITERS)}"
        )
    return kind(path, seal, tally)


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
    at_decision, on_basis, at_review = result.versions
    findings = ";".join(f.code for f in result.findings)
    cited = _quoted(_cell(cited_text(result))) if result.cited else ""
    return (
        f"{_quoted(_cell(case.id))},{case.country},{case.decided_on},{case.recorded_at},"
        f"{result.review_date},{result.basis},{result.verdict},"
        f"{'true' if result.record_differs else 'false'},"
        f"{result.citation},{at_decision or ''},{on_basis or ''},{at_review or ''},"
        f"{_quoted(result.changes_text)},{findings},{cited},{';'.join(result.unknown_groups)},"
        f"{_quoted(_cell(case.outcome or ''))},\r\n"
    )


def cited_text(result: Audited) -> str:
    """The cited texts and what the ledger says of each, as one cell: "WBV 2024/27:
    not_in_force (later); …"."""
    parts = []
    for cited in result.cited:
        why = f" ({cited['why']})" if cited["why"] else ""
        parts.append(f"{cited['text']}: {cited['status']}{why}")
    return "; ".join(parts)


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

    def __init__(
        self, path: Path, seal: Sealing | None = None, tally: Summary | None = None
    ) -> None:
        self.path = Path(path)
        # The seal, or the call that gives it once the log has verified (maybe meanwhile):
        # asked for only when the report is complete.
        self.seal: Seal | None = None if callable(seal) else seal
        self._sealing = seal if callable(seal) else None
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
            if self._sealing is not None:
                self.seal = self._sealing()
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

    def __init__(
        self, path: Path, seal: Sealing | None = None, tally: Summary | None = None
    ) -> None:
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

    def __init__(
        self, path: Path, seal: Sealing | None = None, tally: Summary | None = None
    ) -> None:
        super().__init__(path, seal, tally)
        # Open for the writer's life, closed by _cleanup: a file per finding the flagged
        # decisions are grouped by, and their counts.
        self._groups: dict[str, tuple[int, IO[bytes]]] = {}
        self._rejected_rows: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.generated_at = dt.datetime.now(dt.UTC)

    def _write(self, result: Audited, flagged: bool) -> None:
        if flagged:
            doc = result.doc()
            group = page.group_of(doc)
            # Open for the writer's life, closed by _cleanup.
            count, rows = self._groups.get(group) or (0, tempfile.TemporaryFile())  # noqa: SIM115
            rows.write(orjson.dumps(page.flagged_doc(doc)) + b"\n")
            self._groups[group] = (count + 1, rows)

    def _reject(self, row: Row) -> None:
        self._rejected_rows.write(orjson.dumps(rejected_doc(row)) + b"\n")

    def _finish(self, summary: Doc) -> None:
        page.render(
            self._out,
            summary,
            flagged_count=self.flagged,
            rejected_count=self.tally.rejected,
            review_date=self.review_date,
            generated_at=self.generated_at.isoformat(),
            flagged_groups=self._groups,
            rejected_rows=self._rejected_rows,
            ledger=seal_doc(self.seal) if self.seal is not None else None,
        )

    def _cleanup(self) -> None:
        for _, rows in self._groups.values():
            rows.close()
        self._rejected_rows.close()


WRITERS: dict[str, type[ReportWriter]] = {
    w.suffix: w for w in (CsvReport, JsonLinesReport, HtmlReport)
}


def _cell(text: str) -> str:
    """A cell spreadsheets show as text, never run as a formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
