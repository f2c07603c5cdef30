"""Hostile files: amendment files (YAML, JSON) and decision files (CSV, JSON Lines) that are
deeply nested, hold huge numbers, impossible or far dates, any Unicode (NUL, lone
surrogates, right-to-left marks), bytes that are not UTF-8, or are plain noise.

An amendment file either loads or is refused as a whole with AmendmentFileError (listing
its problems), and a refused file stores nothing. A decision file either cannot be read at
all (DecisionFileError, before a row) or yields one row per non-blank line, each a decision
or its errors: one hostile line never stops the others.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.application import PolicyLedger
from domain.loader import AmendmentFileError, load_amendment_file, record_file
from projections.audit.reading import DecisionFileError, read_decisions

HOSTILE = settings(
    max_examples=50,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DEEP = 1_500  # beyond Python's recursion limit (1000); PyYAML slows quadratically

# Any code point, lone surrogates included (they reach files only as bytes that are not UTF-8).
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
HOSTILE_TEXT = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "\x00",
            "PK\x00",
            "\u202e\u200fKP",  # right-to-left override and mark
            "\ufeff",
            "'; DROP TABLE stored_events; --",
            "../../etc/passwd",
            "%2e%2e%2f",
            "\ud800",
            "9" * 5000,
        ]
    ),
)
HUGE_INT = st.one_of(st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**400]))
FAR_DATE = st.one_of(
    st.dates(),  # 0001-01-01 .. 9999-12-31
    st.sampled_from(["0000-01-01", "10000-01-01", "2024-02-30", "2024-13-01", "-0001-01-01"]),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | HUGE_INT | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELD_VALUE = st.one_of(HOSTILE_TEXT, HUGE_INT, FAR_DATE, JSON_VALUE)

VALID_AMENDMENT: dict[str, Any] = {
    "country": "PK",
    "title": "Test letter",
    "announced_on": "2024-11-26",
    "in_force_from": "2024-11-26",
    "sources": [
        {"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 3318", "date": "2024-11-26"}
    ],
    "changes": [
        {"type": "set_article_15c", "region": "PK-BA", "level": "lower", "armed_conflict": True}
    ],
}
AMENDMENT_FIELDS = [
    ("country",),
    ("title",),
    ("rationale",),
    ("announced_on",),
    ("in_force_from",),
    ("attestation",),
    ("sources",),
    ("sources", 0, "reference"),
    ("sources", 0, "date"),
    ("sources", 0, "url"),
    ("changes",),
    ("changes", 0, "type"),
    ("changes", 0, "region"),
    ("changes", 0, "level"),
    ("unexpected",),
]

# Texts no serialiser produces: what an editor's hand or a broken tool might.
RAW_AMENDMENT_FILES = {
    "deeply nested JSON": '{"amendments": ' + "[" * DEEP + "]" * DEEP + "}",
    "deeply nested YAML flow": "amendments: " + "[" * DEEP + "]" * DEEP + "\n",
    "deeply nested YAML block": "amendments:\n" + "".join("  " * i + "-\n" for i in range(1, 3000)),
    "a 5000-digit number in JSON": '{"amendments": [{"announced_on": ' + "9" * 5000 + "}]}",
    "a 5000-digit number in YAML": "amendments:\n- announced_on: " + "9" * 5000 + "\n",
    "an impossible YAML date": "amendments:\n- country: PK\n  announced_on: 2024-02-30\n",
    "year 0 as a YAML date": "amendments:\n- country: PK\n  announced_on: 0000-01-01\n",
    "an impossible YAML timestamp": "amendments:\n- announced_on: 2024-01-01T25:00:00\n",
    "an unhashable YAML key": "amendments: []\n? [a, b]\n: 1\n",
    "an unhashable key in an amendment": "amendments:\n- ? {a: 1}\n  : x\n",
    "a Python tag": "amendments: !!python/object/apply:os.system ['true']\n",
    "a binary tag": "amendments: !!binary AAAA\n",
    "a NUL character": 'amendments:\n- country: "P\\0K"\n',
    "an alias bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in itertools.pairwise("abcdefg"))
    + "amendments: [{country: PK, changes: *g, sources: *g}]\n",
    "NaN and Infinity in JSON": '{"amendments": [{"announced_on": NaN, "title": Infinity}]}',
    "only a BOM": "\ufeff",
    "a JSON string": '"amendments"',
}


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    node: Any = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _bytes(text: str) -> bytes:
    # Lone surrogates become bytes that are not UTF-8, as a broken tool would write them.
    return text.encode("utf-8", "surrogatepass")


def _serialised(document: Any, kind: str) -> bytes:
    if kind == "json":
        return _bytes(json.dumps(document, ensure_ascii=False))
    try:
        return _bytes(yaml.safe_dump(document, allow_unicode=True))
    except yaml.YAMLError:  # the emitter refuses some characters: send them raw instead
        return _bytes(json.dumps(document, ensure_ascii=False))


def _loads_or_refuses(path: Path) -> None:
    """The file loads, or AmendmentFileError lists its problems; nothing else escapes."""
    refusal: AmendmentFileError | None = None
    try:
        drafts = load_amendment_file(path)
    except AmendmentFileError as error:
        refusal, drafts = error, []
    if refusal is not None:
        assert refusal.problems
        assert all(str(p) for p in refusal.problems)
        assert str(path) in str(refusal)
    assert all(isinstance(country, str) for country, _ in drafts)


@pytest.fixture
def app(tmp_path: Path) -> PolicyLedger:
    return PolicyLedger(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "l.sqlite"),
        }
    )


# Amendment files -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RAW_AMENDMENT_FILES))
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_hostile_amendment_file_is_refused_whole_and_stores_nothing(
    app: PolicyLedger, tmp_path: Path, name: str, suffix: str
) -> None:
    path = tmp_path / f"hostile{suffix}"
    path.write_bytes(_bytes(RAW_AMENDMENT_FILES[name]))
    with pytest.raises(AmendmentFileError) as refused:
        record_file(app, path, author="tester")
    assert refused.value.problems
    assert app.recorder.max_notification_id() is None


def test_an_impossible_yaml_date_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dates.yaml"
    path.write_text(RAW_AMENDMENT_FILES["an impossible YAML date"], encoding="utf-8")
    with pytest.raises(AmendmentFileError) as refused:
        load_amendment_file(path)
    [problem] = refused.value.problems
    assert "line 3" in problem.message
    assert "2024-02-30" in problem.message


def test_a_file_nested_too_deeply_says_so(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(RAW_AMENDMENT_FILES["deeply nested JSON"], encoding="utf-8")
    with pytest.raises(AmendmentFileError) as refused:
        load_amendment_file(path)
    assert "nested too deeply" in str(refused.value)


@HOSTILE
@given(
    field=st.sampled_from(AMENDMENT_FIELDS),
    value=FIELD_VALUE,
    kind=st.sampled_from(["yaml", "json"]),
)
def test_any_value_in_any_field_of_an_amendment_file_loads_or_is_refused(
    tmp_path: Path, field: tuple[Any, ...], value: Any, kind: str
) -> None:
    document = {"amendments": [json.loads(json.dumps(VALID_AMENDMENT))]}
    _set(
        document["amendments"][0], field, value.isoformat() if isinstance(value, dt.date) else value
    )
    path = tmp_path / f"fuzzed.{kind}"
    path.write_bytes(_serialised(document, kind))
    _loads_or_refuses(path)


@HOSTILE
@given(document=JSON_VALUE, kind=st.sampled_from(["yaml", "json"]))
def test_any_document_as_an_amendment_file_loads_or_is_refused(
    tmp_path: Path, document: Any, kind: str
) -> None:
    path = tmp_path / f"fuzzed.{kind}"
    path.write_bytes(_serialised({"amendments": document}, kind))
    _loads_or_refuses(path)


@HOSTILE
@given(
    raw=st.one_of(st.binary(max_size=200), ANY_TEXT.map(_bytes)),
    suffix=st.sampled_from([".yaml", ".json"]),
)
def test_noise_as_an_amendment_file_is_refused(tmp_path: Path, raw: bytes, suffix: str) -> None:
    path = tmp_path / f"noise{suffix}"
    path.write_bytes(raw)
    _loads_or_refuses(path)


# Decision files ------------------------------------------------------------------------

RAW_DECISION_LINES = [
    '{"id": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"id": "1", "country": "PK", "decided_on": ' + "9" * 5000 + "}",
    '{"id": NaN, "country": "PK", "decided_on": "2025-01-01"}',
    '{"id": "x", "country": "PK", "decided_on": "0000-01-01"}',
    '{"id": "x", "country": "PK", "decided_on": "9999-12-31", '
    '"recorded_at": "9999-12-31T23:59:59-12:00"}',
    '{"id": "x", "country": "PK", "decided_on": "0001-01-01", '
    '"recorded_at": "0001-01-01T00:00:00+14:00"}',
    '{"id": "\\u0000", "country": "PK\\u0000", "decided_on": "2025-01-01"}',
    '{"id": "\\ud800", "country": "PK", "decided_on": "2025-01-01"}',
    '{"id": "x", "country": "PK", "decided_on": "2025-01-01", "groups": "' + "a;" * 5000 + '"}',
    "[]",
    "null",
    "\ufeff{}",
]
VALID_DECISION = {"id": "ok", "country": "PK", "decided_on": "2025-01-01"}


def _jsonl_lines() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(RAW_DECISION_LINES).map(_bytes),
        JSON_VALUE.map(lambda v: _bytes(json.dumps(v))),
        st.dictionaries(
            st.sampled_from(["id", "country", "decided_on", "recorded_at", "groups", "region"]),
            FIELD_VALUE.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v),
        ).map(lambda d: _bytes(json.dumps({**VALID_DECISION, **d}))),
        st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b),
    )


def _rows_are_one_per_line(path: Path, expected_lines: list[int]) -> None:
    rows = list(read_decisions(path))
    assert [r.line for r in rows] == expected_lines
    for row in rows:
        assert row.ok or row.errors
        assert all(isinstance(e["field"], str) and e["message"] for e in row.errors)


@pytest.mark.parametrize("line", RAW_DECISION_LINES)
def test_a_hostile_json_line_is_one_bad_row_and_the_next_is_audited(
    tmp_path: Path, line: str
) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(_bytes(line) + b"\n" + json.dumps(VALID_DECISION).encode() + b"\n")
    rows = list(read_decisions(path))
    assert [r.line for r in rows] == [1, 2]
    assert rows[0].ok or rows[0].errors
    assert rows[1].ok, rows[1].errors


@HOSTILE
@given(lines=st.lists(_jsonl_lines(), min_size=1, max_size=6))
def test_any_json_lines_file_gives_one_row_per_line(tmp_path: Path, lines: list[bytes]) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = [n for n, line in enumerate(lines, start=1) if line.strip()]
    _rows_are_one_per_line(path, expected)


LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
CSV_CELL = st.one_of(
    HOSTILE_TEXT.filter(lambda t: not any(c in t for c in LINE_BREAKS)),
    FAR_DATE.map(lambda v: v.isoformat() if isinstance(v, dt.date) else v),
    HUGE_INT.map(str),
)


@HOSTILE
@given(rows=st.lists(st.lists(CSV_CELL, min_size=3, max_size=4), min_size=1, max_size=5))
def test_any_csv_rows_give_one_row_each(tmp_path: Path, rows: list[list[str]]) -> None:
    path = tmp_path / "decisions.csv"
    quoted = [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    path.write_bytes(_bytes("\n".join(["id,country,decided_on", *quoted]) + "\n"))
    try:
        expected = [n for n, row in enumerate(rows, start=2) if any(c.strip() for c in row)]
        _rows_are_one_per_line(path, expected)
    except DecisionFileError:  # only a header can make the file unreadable, and it is good
        pytest.fail("a good header was refused")


@HOSTILE
@given(header=ANY_TEXT, raw=st.binary(max_size=100))
def test_a_csv_with_any_header_is_read_or_refused_before_a_row(
    tmp_path: Path, header: str, raw: bytes
) -> None:
    path = tmp_path / "decisions.csv"
    path.write_bytes(_bytes(header) + b"\n" + raw)
    refusal: DecisionFileError | None = None
    try:
        rows = list(read_decisions(path))
    except DecisionFileError as error:
        refusal, rows = error, []
    assert refusal is None or refusal.message
    for row in rows:
        assert row.ok or row.errors


def test_a_date_written_as_a_number_is_refused_not_taken_for_a_unix_time(tmp_path: Path) -> None:
    """`announced_on: 20241126` (no dashes) was recorded as 1970-08-23."""
    path = tmp_path / "numbers.yaml"
    path.write_text(
        yaml.safe_dump({"amendments": [{**VALID_AMENDMENT, "announced_on": 20241126}]}),
        encoding="utf-8",
    )
    with pytest.raises(AmendmentFileError) as refused:
        load_amendment_file(path)
    assert [p.field for p in refused.value.problems] == ["amendments[0].announced_on"]


def test_a_decision_date_written_as_a_number_is_a_rejected_row(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text(json.dumps({**VALID_DECISION, "decided_on": 0}) + "\n", encoding="utf-8")
    [row] = read_decisions(path)
    assert [e["field"] for e in row.errors] == ["decided_on"]
