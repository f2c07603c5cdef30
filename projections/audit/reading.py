"""Decisions for an audit, read one row at a time: from a file, or from decoded JSON items.

Two formats, chosen by the file's suffix:

- CSV (`.csv`): a header row, then one decision a row. Columns (any order, names
  case-insensitive): those of COLUMNS; id, country and decided_on are required.
  `groups`, `areas` and `cited` hold several values separated by `;` or `|`; an empty cell
  means the value is absent;
  booleans are true/false, yes/no or 1/0 in any case. The delimiter is a comma, or a
  semicolon or tab when the header row uses one of those and no comma (as spreadsheets set
  to Dutch write it).
- JSON Lines (`.jsonl`, `.ndjson`): one JSON object a line with the same keys (`groups` a
  list); blank lines are skipped.

Each row is checked on its own: a bad row comes back with its errors (`field` named as
pydantic names it, e.g. `decided_on` or `groups.1`) and reading goes on with the next. Only
a file that cannot be read as a whole (unknown suffix, unknown or missing columns, an
unreadable header) raises DecisionFileError, and it does so when `read_decisions` is called,
before a single row is yielded. Line numbers are the file's own, from 1 (in CSV the header
is line 1); a row whose quoted cell spans lines is reported at its first line.

The file is never read whole: memory stays constant whatever its size. A CSV row whose
cells all have a form the model certainly accepts is checked without building the model
(`_PlainCells`, held equal to it by a property test); every other row goes to the model.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from domain.countries import country_code, regions_of
from domain.decision import ADULT, Decision, end_of_day
from domain.errors import LedgerError
from domain.facts import Case
from domain.instants import in_utc, to_micros
from domain.words import counted
from events.vocabulary import (
    AREA_ID_PATTERN,
    GROUP_ID_PATTERN,
    REGION_PATTERN,
    RESERVED_GROUP_IDS,
    ApplicationType,
)

COLUMNS = (
    "id",
    "country",
    "decided_on",
    "recorded_at",
    "groups",
    "region",
    "areas",
    "unaccompanied_minor",
    "age",
    "applied_on",
    "application_type",
    "cited_version_id",
    "cited",
    "outcome",
)
LISTS = ("groups", "areas", "cited")  # cells holding several values, `;`- or `|`-separated
APPLICATION_TYPES = frozenset(t.value for t in ApplicationType)
REQUIRED_COLUMNS = ("id", "country", "decided_on")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
TRUE = frozenset({"true", "yes", "1"})
FALSE = frozenset({"false", "no", "0"})
GROUP_SEPARATOR = re.compile(r"[;|]")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?"
)
GROUP_ID = re.compile(GROUP_ID_PATTERN)
AREA_ID = re.compile(AREA_ID_PATTERN)
AGE = re.compile(r"[0-9]{1,3}")
REGION = re.compile(REGION_PATTERN)
NOT_UTF8 = re.compile(r"[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape

Error = dict[str, str]
CACHE = 50_000  # entries per _PlainCells cache: a file's distinct values, bounded anyway


class DecisionFileError(Exception):
    """The file as a whole cannot be read; no row of it is audited."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(init=False)  # init=False: as domain.facts.Case
class Row:
    """One input row: its decision as the auditor reads it (`case`) when valid, else its
    errors (and its id if it had one)."""

    line: int
    case: Case | None
    errors: Sequence[Error]
    raw_id: str | None

    def __init__(
        self,
        line: int,
        case: Case | None,
        errors: Sequence[Error] = (),
        raw_id: str | None = None,
    ) -> None:
        self.line = line
        self.case = case
        self.errors = errors
        self.raw_id = raw_id

    @property
    def ok(self) -> bool:
        return self.case is not None and not self.errors

    def with_error(self, field: str, message: str) -> Row:
        """The row rejected after all, e.g. when the audit refuses its decision."""
        return Row(self.line, None, [*self.errors, _error(field, message)], self.raw_id)


def read_decisions(path: Path) -> Iterator[Row]:
    """The file's rows in order, each valid (`case`) or not (`errors`).

    Raises DecisionFileError at once for a file that cannot be read at all.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DecisionFileError(
            path, f"unknown file type '{path.suffix}'; use one of {', '.join(SUFFIXES)}"
        )
    try:
        with path.open("rb") as stream:
            if kind == "jsonl":
                return _jsonl_rows(path)
            header, delimiter = _csv_header(path, stream)
    except OSError as error:
        raise DecisionFileError(path, f"cannot read the file: {error.strerror or error}") from None
    return _csv_rows(path, header, delimiter)


def decisions_from_json(items: Iterable[Any]) -> Iterator[Row]:
    """Rows from decoded JSON items (an HTTP body's list); `line` is the 1-based position."""
    for n, item in enumerate(items, start=1):
        yield _from_object(n, item, whole="decision")


# CSV ------------------------------------------------------------------------------------


class _Lines:
    """The stream's lines as text; bytes that are not UTF-8 survive as lone surrogates, and
    `undecodable` counts the lines that had some (their cells need checking)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.undecodable = 0

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.stream:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.undecodable += 1
                line = raw.decode("utf-8", "surrogateescape")
            if first:
                line = line.removeprefix("\ufeff")
                first = False
            yield line


def _csv_header(path: Path, stream: BinaryIO) -> tuple[list[str], str]:
    lines = iter(_Lines(stream))
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise DecisionFileError(path, "the file is empty; a header row is required")
    if NOT_UTF8.search(first):
        raise DecisionFileError(path, "the header row is not UTF-8 text")
    delimiter = ","
    if "," not in first:
        delimiter = next((d for d in (";", "\t") if d in first), ",")
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as error:
        raise DecisionFileError(path, f"the header row cannot be read: {error}") from None
    names = [name.strip().lower() for name in header]
    problems = []
    unknown = [repr(n) for n in names if n not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown {_columns(unknown)} {', '.join(unknown)}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"repeated {_columns(repeated)} {', '.join(repeated)}")
    missing = [n for n in REQUIRED_COLUMNS if n not in names]
    if missing:
        problems.append(f"missing required {_columns(missing)} {', '.join(missing)}")
    if problems:
        raise DecisionFileError(path, "header row: " + "; ".join(problems))
    return names, delimiter


def _csv_rows(path: Path, header: list[str], delimiter: str) -> Iterator[Row]:
    checked = _PlainCells(header)
    with path.open("rb") as stream:
        lines = _Lines(stream)
        source: Iterable[str] = lines
        clean = _all_utf8(stream)
        stream.seek(0)
        if clean:  # no line needs decoding on its own, nor its cells checking
            source = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="\n")
        reader = csv.reader(source, delimiter=delimiter)
        seen_header = False
        last = 0  # the last file line consumed so far
        while True:
            undecodable = lines.undecodable
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Row(last + 1, None, [_error("line", f"not valid CSV: {error}")])
                last = reader.line_num
                continue
            line, last = last + 1, reader.line_num
            if not seen_header:
                seen_header = _filled(cells)
                continue
            case = checked.case(cells) if lines.undecodable == undecodable else None
            if case is not None:
                yield Row(line, case, (), case.id)
            elif _filled(cells):  # a blank line is skipped
                yield _csv_row(line, header, cells)


def _all_utf8(stream: BinaryIO) -> bool:
    """Whether the rest of the stream is UTF-8 text (read in chunks, memory stays small)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(partial(stream.read, 1 << 16), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _columns(names: list[str]) -> str:
    return "column" if len(names) == 1 else "columns"


def _filled(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)


def _csv_row(line: int, header: list[str], cells: list[str]) -> Row:
    by_name = dict(zip(header, cells, strict=False))
    raw_id = NOT_UTF8.sub("\ufffd", by_name.get("id", "")).strip() or None
    if len(cells) != len(header):
        message = f"the row has {counted(len(cells), 'cell')} where the header has {len(header)}"
        return Row(line, None, [_error("line", message)], raw_id)
    errors: list[Error] = []
    data: dict[str, Any] = {}
    for name, cell in by_name.items():
        value = cell.strip()
        if not value:
            continue
        if NOT_UTF8.search(value):
            errors.append(_error(name, "not UTF-8 text"))
        elif name in LISTS:
            data[name] = [g.strip() for g in GROUP_SEPARATOR.split(value) if g.strip()]
        elif name == "unaccompanied_minor":
            flag = value.lower()
            if flag in TRUE | FALSE:
                data[name] = flag in TRUE
            else:
                errors.append(_error(name, f"'{value}' is not true/false, yes/no or 1/0"))
        else:
            data[name] = value
    decision, problems = _validate(data)
    errors += problems
    if errors:
        return Row(line, None, _ordered(errors), raw_id)
    return Row(line, decision, [], raw_id)


class _PlainCells:
    """Rows checked without building a model, for speed on large files.

    A cell is accepted here only in a form whose meaning is certain to be the model's (a
    known country code, an ISO date, a timestamp of the common shape, group ids and regions
    that pass the model's own patterns, the booleans listed above, lengths within bounds);
    anything else (`case` returns None) goes to the model, which names the error. The checks
    of repeated cells (countries, days, group lists, regions) are remembered. A property
    test holds this equal to the model on generated rows.
    """

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        at = {name: n for n, name in enumerate(header)}
        self.required = tuple(at[name] for name in REQUIRED_COLUMNS)
        self.optional = tuple(at.get(name) for name in COLUMNS if name not in REQUIRED_COLUMNS)
        self._countries: dict[str, str | None] = {}
        self._days: dict[str, tuple[str, str, int] | None] = {}
        self._groups: dict[str, tuple[str, ...] | None] = {}
        self._areas: dict[str, tuple[str, ...] | None] = {}
        self._regions: dict[tuple[str, str], bool] = {}

    def case(self, cells: list[str]) -> Case | None:
        if len(cells) != self.width:
            return None
        i_id, i_country, i_day = self.required
        (
            i_recorded,
            i_groups,
            i_region,
            i_areas,
            i_minor,
            i_age,
            i_applied,
            i_type,
            i_cited,
            i_cites,
            i_outcome,
        ) = self.optional
        decision_id = cells[i_id].strip()
        country = self._country(cells[i_country])
        day = self._day(cells[i_day])
        if not decision_id or len(decision_id) > 200 or country is None or day is None:
            return None
        decided_on, recorded_at, micros = day
        if i_recorded is not None and (raw := cells[i_recorded].strip()):
            moment = _plain_moment(raw)
            if moment is None:
                return None
            recorded_at, micros = moment
        groups = self._group_set(cells[i_groups]) if i_groups is not None else ()
        areas = self._area_list(cells[i_areas]) if i_areas is not None else ()
        region = cells[i_region].strip() or None if i_region is not None else None
        minor = cells[i_minor].strip().lower() if i_minor is not None else ""
        cited = cells[i_cited].strip() or None if i_cited is not None else None
        outcome = cells[i_outcome].strip() or None if i_outcome is not None else None
        extra = _extra(cells, i_age, i_applied, i_type, i_cites)
        if (
            groups is None
            or areas is None
            or extra is None
            or (region is not None and not self._region(country, region))
            or (minor and minor not in TRUE and minor not in FALSE)
            or (cited is not None and len(cited) > 64)
            or (outcome is not None and len(outcome) > 200)
        ):
            return None
        age, applied_on, kind, cites = extra
        is_minor = minor in TRUE
        if (age is not None and is_minor and age >= ADULT) or (
            applied_on is not None and applied_on > decided_on
        ):
            return None  # the model names the error
        return Case(
            decision_id,
            country,
            decided_on,
            recorded_at,
            micros,
            groups,
            region,
            is_minor,
            cited,
            outcome,
            areas,
            applied_on,
            kind,
            age,
            cites,
        )

    def _country(self, cell: str) -> str | None:
        try:
            return self._countries[cell]
        except KeyError:
            pass
        found: str | None
        try:
            found = country_code(cell.strip())
        except LedgerError:
            found = None
        _remember(self._countries, cell, found)
        return found

    def _day(self, cell: str) -> tuple[str, str, int] | None:
        """The day's ISO form, and the end of it in Amsterdam (ISO in UTC, micros)."""
        try:
            return self._days[cell]
        except KeyError:
            pass
        found = None
        text = cell.strip()
        if ISO_DATE.fullmatch(text):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                day = None
            if day is not None:
                end = end_of_day(day)
                found = (day.isoformat(), end.isoformat(), to_micros(end))
        _remember(self._days, cell, found)
        return found

    def _group_set(self, cell: str) -> tuple[str, ...] | None:
        try:
            return self._groups[cell]
        except KeyError:
            pass
        groups = [g.strip() for g in GROUP_SEPARATOR.split(cell.strip()) if g.strip()]
        ok = len(groups) <= 50 and all(
            len(g) <= 64 and GROUP_ID.fullmatch(g) and g not in RESERVED_GROUP_IDS for g in groups
        )
        found = tuple(sorted(set(groups))) if ok else None
        _remember(self._groups, cell, found)
        return found

    def _area_list(self, cell: str) -> tuple[str, ...] | None:
        try:
            return self._areas[cell]
        except KeyError:
            pass
        areas = [a.strip() for a in GROUP_SEPARATOR.split(cell.strip()) if a.strip()]
        ok = len(areas) <= 20 and all(len(a) <= 64 and AREA_ID.fullmatch(a) for a in areas)
        found = tuple(dict.fromkeys(areas)) if ok else None
        _remember(self._areas, cell, found)
        return found

    def _region(self, country: str, region: str) -> bool:
        key = (country, region)
        found = self._regions.get(key)
        if found is None:
            found = bool(REGION.fullmatch(region)) and region in regions_of(country)
            _remember(self._regions, key, found)
        return found


Extra = tuple[int | None, str | None, str | None, tuple[str, ...]]


def _extra(
    cells: list[str],
    i_age: int | None,
    i_applied: int | None,
    i_type: int | None,
    i_cites: int | None,
) -> Extra | None:
    """The optional cells of age, application date and type, and cited texts, in a form
    the model certainly accepts; None when one needs the model."""
    age: int | None = None
    applied_on = kind = None
    cites: tuple[str, ...] = ()
    if i_age is not None and (raw := cells[i_age].strip()):
        if not AGE.fullmatch(raw) or int(raw) > 130:
            return None
        age = int(raw)
    if i_applied is not None and (raw := cells[i_applied].strip()):
        if not ISO_DATE.fullmatch(raw):
            return None
        try:
            applied_on = dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            return None
    if i_type is not None and (raw := cells[i_type].strip()):
        if raw not in APPLICATION_TYPES:
            return None
        kind = raw
    if i_cites is not None and (raw := cells[i_cites].strip()):
        texts = tuple(t.strip() for t in GROUP_SEPARATOR.split(raw) if t.strip())
        if len(texts) > 20 or any(len(t) > 200 for t in texts):
            return None
        cites = texts
    return age, applied_on, kind, cites


def _plain_moment(text: str) -> tuple[str, int] | None:
    """An explicit recorded_at of the common shape, in UTC (ISO, micros); else None."""
    if not TIMESTAMP.fullmatch(text):
        return None
    try:
        moment = in_utc(dt.datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None
    return moment.isoformat(), to_micros(moment)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= CACHE:
        cache.clear()
    cache[key] = value


# JSON Lines -----------------------------------------------------------------------------


def _jsonl_rows(path: Path) -> Iterator[Row]:
    with path.open("rb") as stream:
        for n, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
            except UnicodeDecodeError:
                yield Row(n, None, [_error("line", "not UTF-8 text")])
                continue
            except json.JSONDecodeError as error:
                message = f"not JSON: {error.msg} at column {error.colno}"
                yield Row(n, None, [_error("line", message)])
                continue
            except ValueError as error:  # a number too long to convert
                yield Row(n, None, [_error("line", f"not readable JSON: {error}")])
                continue
            except RecursionError:
                yield Row(n, None, [_error("line", "not readable JSON: nested too deeply")])
                continue
            yield _from_object(n, item)


def _from_object(line: int, item: Any, whole: str = "line") -> Row:
    """A row from one decoded object; `whole` names the field for an item that is none."""
    if not isinstance(item, dict):
        kind = type(item).__name__ if item is not None else "null"
        return Row(line, None, [_error(whole, f"expected a JSON object, not {kind}")])
    raw = item.get("id")
    raw_id = str(raw) if isinstance(raw, str | int | float) and not isinstance(raw, bool) else None
    decision, errors = _validate(item)
    if errors:
        return Row(line, None, errors, raw_id)
    return Row(line, decision, [], raw_id)


# Checking -------------------------------------------------------------------------------


def _validate(data: Mapping[str, Any]) -> tuple[Case | None, list[Error]]:
    """The decision, or every error found in it."""
    try:
        decision = Decision.model_validate(data)
    except ValidationError as error:
        return None, _pydantic_errors(error)
    except LedgerError as error:
        # The country check raises a domain error, which stops pydantic: check the rest
        # without the country to report every error of the row at once.
        errors = [_error(error.field or "country", error.detail)]
        try:
            Decision.model_validate({k: v for k, v in data.items() if k != "country"})
        except ValidationError as rest:
            errors += [e for e in _pydantic_errors(rest) if e["field"] != "country"]
        return None, _ordered(errors)
    try:
        return decision.case(), []
    except LedgerError as error:
        return None, [_error(error.field or "region", error.detail)]


def _pydantic_errors(error: ValidationError) -> list[Error]:
    return [
        _error(".".join(str(p) for p in e["loc"]) or "decision", e["msg"])
        for e in error.errors(include_url=False)
    ]


def _ordered(errors: list[Error]) -> list[Error]:
    """Errors in column order, so a row's report reads left to right."""
    rank = {name: n for n, name in enumerate(COLUMNS)}
    return sorted(errors, key=lambda e: rank.get(e["field"].split(".")[0], len(rank)))


def _error(field: str, message: str) -> Error:
    return {"field": field, "message": message}


def rejected_doc(row: Row) -> dict[str, Any]:
    """A rejected row as answers and reports give it: {"line", "id", "errors"}."""
    return {"line": row.line, "id": row.raw_id, "errors": list(row.errors)}
