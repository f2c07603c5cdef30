"""The one loop of an audit: a stream of decision rows judged into a writer.

Every face audits through `audit_rows`: the CLI (`policy-ledger audit`, into a report or
none), POST /audits (into `Collected`, the lists its answer holds) and the upload page (into
an HTML report). A face only parses its input into rows (projections.audit.reading),
chooses the states its Auditor reads, and renders what the writer was given.

A writer hears `write(result)` for each audited decision and `reject(row)` for each row
that could not be audited, in the rows' order, then `close(summary)` once with the audit's
summary (the Summary.to_json() document). The report writers of projections.audit.reports
are writers; so is `Collected`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from domain.errors import LedgerError
from projections.audit.judging import Audited, Auditor, Summary
from projections.audit.reading import Row, rejected_doc

Doc = dict[str, Any]

# Rows judged together, by country and decision date: decisions of one country and time
# read the same rows, parts and runs, which then stay in the processor's caches. A third
# less time judging a file in random order (measured with 4,096 to 32,768 rows); the
# results of a batch are held until it is written, a few MB (memory is what keeps it small).
BATCH = 4096


class Writer(Protocol):
    def write(self, result: Audited) -> None: ...

    def reject(self, row: Row) -> None: ...

    def close(self, summary: Doc | None = None) -> None: ...


def audit_rows(
    auditor: Auditor,
    rows: Iterable[Row],
    writer: Writer | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> Summary:
    """Audits the rows into the writer (if any) and the auditor's summary, a rejected row
    with its errors, in the rows' order, then closes the writer with the summary, which it
    returns. `progress` hears the line reached after each batch of `batch` rows (judged
    together, see BATCH; 1 judges them in order, so that the summary counts each value in
    the order it first appears). The loop of an audit of millions of rows, compiled."""
    rows_of_batch: list[Row] = []
    line = 0
    for row in rows:
        rows_of_batch.append(row)
        if len(rows_of_batch) >= batch:
            line = _audit_batch(writer, auditor, rows_of_batch)
            rows_of_batch.clear()
            if progress is not None:
                progress(line)
    if rows_of_batch:
        line = _audit_batch(writer, auditor, rows_of_batch)
    if progress is not None:
        progress(line)
    summary = auditor.summary
    if writer is not None:
        writer.close(summary.to_json())
    return summary


def audit_row(auditor: Auditor, row: Row) -> tuple[Audited | None, Row]:
    """The row's audit, or None and the row rejected: bad input, or a decision the ledger
    cannot audit (no policy for its country)."""
    if row.case is None:
        return None, row
    try:
        return auditor.judge(row.case), row
    except LedgerError as error:
        return None, row.with_error(error.field or "decision", error.detail)


def _audit_batch(writer: Writer | None, auditor: Auditor, batch: list[Row]) -> int:
    results: list[tuple[Audited | None, Row]] = [(None, row) for row in batch]
    for i in sorted(range(len(batch)), key=lambda i: _locality(batch[i])):
        results[i] = audit_row(auditor, batch[i])
    summary = auditor.summary
    line = 0
    for result, row in results:
        if result is None:
            summary.rejected += 1
            if writer is not None:
                writer.reject(row)
        elif writer is not None:
            writer.write(result)
        line = row.line
    return line


def _locality(row: Row) -> tuple[str, str]:
    case = row.case
    return ("", "") if case is None else (case.country, case.decided_on)


class Collected:
    """A writer that keeps every document, for an answer that holds them all (POST
    /audits): each result's whole document, each rejected row's, the summary, and the
    seal of the ledger the audit read (`ledger`, as every report carries it)."""

    def __init__(self, ledger: Doc | None = None) -> None:
        self.ledger = ledger
        self.results: list[Doc] = []
        self.rejected: list[Doc] = []
        self.summary: Doc | None = None

    def write(self, result: Audited) -> None:
        self.results.append(result.doc())

    def reject(self, row: Row) -> None:
        self.rejected.append(rejected_doc(row))

    def close(self, summary: Doc | None = None) -> None:
        self.summary = summary
