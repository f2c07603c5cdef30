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
from projections.audit.judging import FINDINGS, Audited, Finding
from projections.audit.reading import COLUMNS, _csv_row, _PlainCells
from projections.audit.reports import CSV_COLUMNS, _cell, _quoted, csv_line

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

SEPARATORS = st.sampled_from([";", "|", " ; "])
AREAS = st.tuples(
    st.lists(
        st.one_of(
            st.sampled_from(["quetta", "gwadar", "a-b", "a_b", "Not An Area", "-x", ""]),
            st.from_regex(r"[a-z0-9]{1,70}", fullmatch=True),
        ),
        max_size=25,
    ),
    SEPARATORS,
).map(lambda t: t[1].join(t[0]))
AGES = st.one_of(
    st.integers(min_value=0, max_value=140).map(str),
    st.sampled_from(["", "017", " 5 ", "-1", "+5", "5.0", "abc", "1000", "٣"]),
)
APPLICATION_TYPES = st.sampled_from(
    ["", "first", "subsequent", "family_reunification", "First", " first ", "appeal"]
)
CITED = st.tuples(
    st.lists(
        st.one_of(
            st.sampled_from(["WBV 2024/27", "Kamerstuk 19637, nr. 3318", " ", "x" * 201]),
            st.text(max_size=8),
        ),
        max_size=22,
    ),
    SEPARATORS,
).map(lambda t: t[1].join(t[0]))

cells = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=5), st.just("x" * 201), st.just(" d1 ")),
        "country": COUNTRIES,
        "decided_on": DAYS,
        "recorded_at": MOMENTS,
        "groups": GROUPS,
        "region": REGIONS,
        "areas": AREAS,
        "unaccompanied_minor": FLAGS,
        "age": AGES,
        "applied_on": DAYS,
        "application_type": APPLICATION_TYPES,
        "cited_version_id": st.one_of(TEXT, st.just("v" * 65)),
        "cited": CITED,
        "outcome": st.one_of(TEXT, st.just("o" * 201)),
    }
)


@st.composite
def usual_rows(draw: st.DrawFn) -> dict[str, str]:
    """Rows as a case system writes them: every cell in a form the model accepts."""
    decided = draw(st.dates(min_value=dt.date(1900, 1, 2)))
    minor = draw(st.sampled_from(["", "true", "false", "Yes", "0"]))
    adult = minor.lower() not in ("true", "yes")
    applied = draw(st.one_of(st.none(), st.dates(max_value=decided)))
    return {
        "id": draw(st.from_regex(r"D[0-9]{1,7}", fullmatch=True)),
        "country": draw(st.sampled_from(["PK", "pk", "AF"])),
        "decided_on": decided.isoformat(),
        "recorded_at": draw(
            st.one_of(
                st.just(""),
                st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(
                    lambda m: m.isoformat(timespec="seconds") + "Z"
                ),
                st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(
                    lambda m: m.isoformat() + "+01:00"
                ),
                st.datetimes().map(lambda m: m.isoformat()),
            )
        ),
        "groups": ";".join(
            draw(st.lists(st.sampled_from(["pti", "ahmadis", "lhbti"]), max_size=3))
        ),
        "region": "",
        "areas": "|".join(draw(st.lists(st.sampled_from(["quetta", "gwadar", "a-b"]), max_size=3))),
        "unaccompanied_minor": minor,
        "age": draw(st.one_of(st.just(""), st.integers(0, 130 if adult else 17).map(str))),
        "applied_on": applied.isoformat() if applied else "",
        "application_type": draw(
            st.sampled_from(["", "first", "subsequent", "family_reunification"])
        ),
        "cited_version_id": draw(
            st.one_of(st.just(""), st.from_regex(r"[0-9a-f]{64}", fullmatch=True))
        ),
        "cited": ";".join(
            draw(
                st.lists(st.sampled_from(["WBV 2024/27", "Kamerstuk 19637, nr. 3318"]), max_size=3)
            )
        ),
        "outcome": draw(st.sampled_from(["", "granted", "refused"])),
    }


@st.composite
def near_rows(draw: st.DrawFn) -> dict[str, str]:
    """A usual row with a few cells, or none, swapped for cells near the accepted forms and
    beside them: the model's bounds are crossed one or two at a time."""
    row = draw(usual_rows())
    odd = draw(cells)
    for name in draw(st.lists(st.sampled_from(COLUMNS), max_size=3, unique=True)):
        row[name] = odd[name]
    return row


@settings(max_examples=1000)
@given(row=near_rows(), order=st.permutations(COLUMNS))
def test_plain_cells_give_the_models_decision_or_decline(row: dict, order: list[str]) -> None:
    header = list(order)
    values = [row[name] for name in header]
    fast = _PlainCells(header).case(values)
    plain = _csv_row(2, header, values).case
    if fast is not None:
        assert fast == plain


@settings(max_examples=500)
@given(row=near_rows(), columns=st.lists(st.sampled_from(COLUMNS[3:]), unique=True), data=st.data())
def test_plain_cells_on_fewer_columns_give_the_models_decision_or_decline(
    row: dict, columns: list[str], data: st.DataObject
) -> None:
    header = data.draw(st.permutations(["id", "country", "decided_on", *columns]))
    values = [row[name] for name in header]
    fast = _PlainCells(header).case(values)
    if fast is not None:
        assert fast == _csv_row(2, header, values).case


@settings(max_examples=500)
@given(row=usual_rows())
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


FINDING_CODES = st.lists(st.sampled_from(sorted(FINDINGS)), max_size=3, unique=True)
CITED_DOCS = st.lists(
    st.fixed_dictionaries(
        {
            "text": st.text(min_size=1),
            "status": st.sampled_from(["in_force", "not_in_force", "unknown"]),
            "why": st.sampled_from([None, "pending", "retracted", "later", "superseded"]),
        }
    ),
    max_size=3,
)
UNKNOWN_GROUPS = st.lists(st.from_regex(r"[a-z0-9]+(?:[-_][a-z0-9]+)*", fullmatch=True), max_size=3)


@given(
    decision_id=st.text(min_size=1),
    changes=st.text(),
    verdict=st.sampled_from(["unchanged", "changed_in_favour", "indeterminate"]),
    basis=st.sampled_from(["published", "recorded"]),
    differs=st.booleans(),
    citation=st.sampled_from(["matches", "mismatch", "not_given"]),
    versions=st.tuples(*[st.one_of(st.none(), st.just("a" * 64))] * 3),
    outcome=st.one_of(st.none(), st.text(max_size=5)),
    findings=FINDING_CODES,
    cited=CITED_DOCS,
    unknown=UNKNOWN_GROUPS,
)
def test_csv_lines_are_the_csv_modules(
    decision_id: str,
    changes: str,
    verdict: str,
    basis: str,
    differs: bool,
    citation: str,
    versions: tuple[str | None, str | None, str | None],
    outcome: str | None,
    findings: list[str],
    cited: list[dict],
    unknown: list[str],
) -> None:
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
        cited=tuple(c["text"] for c in cited),
    )
    result = Audited(
        case,
        "2025-06-01",
        basis,
        verdict,
        differs,
        citation,
        versions,
        [],
        changes,
        tuple(Finding(code, ()) for code in findings),
        tuple(unknown),
        tuple(cited),
        dict,
    )
    out = io.StringIO()
    csv.writer(out).writerow(csv_row(result))
    assert csv_line(result) == out.getvalue()


def csv_row(result: Audited) -> list[str]:
    """An audited decision as a row under CSV_COLUMNS, in plain terms: what `csv_line` must
    equal when the csv module writes it."""
    case = result.case
    at_decision, on_basis, at_review = result.versions
    cited = "; ".join(
        f"{c['text']}: {c['status']}" + (f" ({c['why']})" if c["why"] else "") for c in result.cited
    )
    row = {
        "id": _cell(case.id),
        "country": case.country,
        "decided_on": case.decided_on,
        "recorded_at": case.recorded_at,
        "review_date": result.review_date,
        "basis": result.basis,
        "verdict": result.verdict,
        "record_differs": "true" if result.record_differs else "false",
        "citation": result.citation,
        "version_at_decision": at_decision or "",
        "version_on_basis": on_basis or "",
        "version_at_review": at_review or "",
        "changes": result.changes_text,
        "findings": ";".join(f.code for f in result.findings),
        "cited": _cell(cited),
        "unknown_groups": ";".join(result.unknown_groups),
        "outcome": _cell(case.outcome or ""),
        "errors": "",
    }
    assert tuple(row) == CSV_COLUMNS
    return list(row.values())
