"""The fast paths of a large audit say exactly what the plain paths say.

A CSV row is checked without the pydantic model when every cell has a form whose meaning is
certain (`_PlainCells`); a report row is written without the csv module (`csv_line`). Both
exist for speed only, so each is held equal to the plain path on generated input: the fast
check either declines (the model then decides) or gives the model's decision, and the fast
line is the csv module's line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.facts import Case
from projections.audit.judging import Audited
from projections.audit.reading import COLUMNS, _csv_row, _PlainCells
from projections.audit.reports import _cell, _quoted, csv_line

# Cells near the accepted forms, and beside them: what a spreadsheet might hold.
DAYS = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2024-02-30", "2024-13-01", "20241126", "2024-1-5", " 2024-11-26 ", ""]),
    st.dates().map(lambda d: f"{d.isoformat()}T00:00:00"),
)
MOMENTS = st.one_of(
    st.just(""),
    st.datetimes().map(lambda m: m.isoformat()),
    st.datetimes().map(lambda m: m.isoformat(timespec="seconds") + "Z"),
    st.datetimes().map(lambda m: m.isoformat(timespec="microseconds") + "+01:00"),
    st.datetimes().map(lambda m: m.isoformat(timespec="milliseconds") + "-13:30"),
    st.sampled_from(["2024-11-26T24:00:00", "2024-11-26T10:00:00+24:00", "2024-11-26 10:00"]),
    st.sampled_from(["0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-01:00"]),
)
GROUPS = st.lists(
    st.one_of(
        st.sampled_from(["pti", "ahmadis", "lhbti", "a-b", "a_b", "general", "Not A Group", ""]),
        st.from_regex(r"[a-z0-9]{1,70}", fullmatch=True),
    ),
    max_size=4,
).map(lambda groups: ";".join(groups))
COUNTRIES = st.sampled_from(["PK", "pk", " PK ", "AF", "XX", "", "NL", "pak"])
REGIONS = st.sampled_from(["", "PK-BA", "PK-KP", "AF-KAB", "pk-ba", "PK-", "PK-BAX1"])
FLAGS = st.sampled_from(["", "true", "False", "YES", "no", "1", "0", "maybe", " true "])
TEXT = st.one_of(st.text(max_size=8), st.text(min_size=60, max_size=70), st.just(""))

cells = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=5), st.just("x" * 201), st.just(" d1 ")),
        "country": COUNTRIES,
        "decided_on": DAYS,
        "recorded_at": MOMENTS,
        "groups": GROUPS,
        "region": REGIONS,
        "unaccompanied_minor": FLAGS,
        "cited_version_id": st.one_of(TEXT, st.just("v" * 65)),
        "outcome": st.one_of(TEXT, st.just("o" * 201)),
    }
)


@settings(max_examples=3000)
@given(row=cells, order=st.permutations(COLUMNS))
def test_plain_cells_give_the_models_decision_or_decline(row: dict, order: list[str]) -> None:
    header = list(order)
    values = [row[name] for name in header]
    fast = _PlainCells(header).case(values)
    plain = _csv_row(2, header, values).case
    if fast is not None:
        assert fast == plain


USUAL = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"D[0-9]{1,7}", fullmatch=True),
        "country": st.sampled_from(["PK", "pk", "AF"]),
        "decided_on": st.dates().map(lambda d: d.isoformat()),
        "recorded_at": st.one_of(
            st.just(""),
            st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(
                lambda m: m.isoformat(timespec="seconds") + "Z"
            ),
            st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(lambda m: m.isoformat() + "+01:00"),
            st.datetimes().map(lambda m: m.isoformat()),
        ),
        "groups": st.lists(st.sampled_from(["pti", "ahmadis", "lhbti"]), max_size=3).map(";".join),
        "region": st.just(""),
        "unaccompanied_minor": st.sampled_from(["", "true", "false", "Yes", "0"]),
        "cited_version_id": st.one_of(st.just(""), st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        "outcome": st.sampled_from(["", "granted", "refused"]),
    }
)


@settings(max_examples=500)
@given(row=USUAL)
def test_plain_cells_take_the_usual_rows_as_the_model_does(row: dict) -> None:
    header = list(COLUMNS)
    values = [row[name] for name in header]
    plain = _csv_row(2, header, values).case
    assert plain is not None
    assert _PlainCells(header).case(values) == plain


@given(st.text())
def test_quoted_cells_are_the_csv_modules(text: str) -> None:
    out = io.StringIO()
    csv.writer(out).writerow([text, "x"])
    assert f"{_quoted(text)},x\r\n" == out.getvalue()


@given(
    st.tuples(
        st.text(min_size=1),
        st.text(),
        st.sampled_from(["unchanged", "changed_in_favour"]),
        st.booleans(),
        st.sampled_from(["matches", "not_given"]),
        st.one_of(st.none(), st.text(max_size=5)),
    )
)
def test_csv_lines_are_the_csv_modules(values: tuple) -> None:
    decision_id, changes, verdict, differs, cited, outcome = values
    case = Case(
        decision_id,
        "PK",
        "2024-11-26",
        "2024-11-26T22:59:59.999999+00:00",
        0,
        (),
        None,
        False,
        None,
        outcome,
    )
    result = Audited(
        case, "2025-06-01", verdict, differs, cited, ("a" * 64, None, "b"), [], changes, dict
    )
    out = io.StringIO()
    csv.writer(out).writerow(csv_row(result))
    assert csv_line(result) == out.getvalue()


def csv_row(result: Audited) -> list[str]:
    """An audited decision as a row under CSV_COLUMNS: what `csv_line` must equal when
    the csv module writes it."""
    case = result.case
    at_decision, as_recorded, at_review = result.versions
    return [
        _cell(case.id),
        case.country,
        case.decided_on,
        case.recorded_at,
        result.review_date,
        result.verdict,
        "true" if result.record_differs else "false",
        result.citation,
        at_decision or "",
        as_recorded or "",
        at_review or "",
        result.changes_text,
        _cell(case.outcome or ""),
        "",
    ]
