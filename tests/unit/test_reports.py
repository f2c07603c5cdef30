"""Decision files read row by row, and the audit reports written from real audits.

The results come from the real Auditor over a real SQLite ledger holding data/pakistan.yaml
and data/afghanistan.yaml (for a decision moratorium in force).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.bootstrap import build_services
from api.settings import Settings
from domain.decision import Decision
from domain.loader import record_file
from domain.signing import Seal
from projections.audit.chart import verdict_chart
from projections.audit.judging import Auditor, StoredStates
from projections.audit.reading import DecisionFileError, Row, decisions_from_json, read_decisions
from projections.audit.reports import CSV_COLUMNS, open_report
from projections.index import ReadIndex

DATA = Path(__file__).resolve().parents[2] / "data"
REVIEW = dt.date(2025, 6, 1)
SCRIPT_ID = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadIndex]:
    folder = tmp_path_factory.mktemp("ledger")
    ledger = build_services(Settings(database_url=f"sqlite:///{folder}/ledger.sqlite"))
    record_file(ledger.app, DATA / "pakistan.yaml", "test")
    record_file(ledger.app, DATA / "afghanistan.yaml", "test")
    yield ledger.reads.index()
    ledger.close()


@pytest.fixture
def auditor(index: ReadIndex) -> Auditor:
    return Auditor(StoredStates(index), REVIEW)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def errors_by_line(rows: list[Row]) -> dict[int, list[str]]:
    return {r.line: [e["field"] for e in r.errors] for r in rows if r.errors}


# Reading CSV ----------------------------------------------------------------------------


def test_csv_rows_good_and_bad_each_on_its_own(tmp_path: Path) -> None:
    path = write(
        tmp_path / "decisions.csv",
        "id,country,decided_on,groups,region,unaccompanied_minor,cited_version_id,outcome\n"
        "a1,pk,2024-11-25,pti;ahmadis,PK-BA,Yes,,granted\n"
        "b2,PK,2024-13-01,,,,,\n"
        "c3,PK,2024-12-01,pti|Not A Group,,,,\n"
        "d4,PK,2024-12-01,,,maybe,,\n"
        "e5,QQ,someday,,,,,\n"
        "f6,PK,2024-12-01,,AF-KAB,,,\n"
        "g7,PK,2024-12-01\n"
        ",PK,2024-12-01,,,,,\n"
        "h8,PK,2024-12-02,,,0,v1,\n",
    )
    rows = list(read_decisions(path))

    assert [r.line for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [r.raw_id for r in rows] == ["a1", "b2", "c3", "d4", "e5", "f6", "g7", None, "h8"]
    first = rows[0].case
    assert first is not None
    assert first.country == "PK"
    assert first.groups == ("ahmadis", "pti")  # a set of claimed groups: distinct, sorted
    assert first.region == "PK-BA"
    assert first.unaccompanied_minor is True
    assert first.outcome == "granted"
    assert first.cited_version_id is None
    last = rows[-1].case
    assert last is not None
    assert last.unaccompanied_minor is False
    assert last.cited_version_id == "v1"
    assert errors_by_line(rows) == {
        3: ["decided_on"],
        4: ["groups.1"],
        5: ["unaccompanied_minor"],
        6: ["country", "decided_on"],  # every error of the row, though the country stops pydantic
        7: ["region"],
        8: ["line"],
        9: ["id"],
    }
    assert all(r.case is None for r in rows if r.errors)
    assert "maybe" in rows[3].errors[0]["message"]
    assert rows[6].errors[0]["message"] == "the row has 3 cells where the header has 8"


def test_csv_rows_with_places_ages_application_and_cited_texts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "decisions.csv",
        "id,country,decided_on,region,areas,unaccompanied_minor,age,applied_on,"
        "application_type,cited\n"
        "a1,PK,2024-12-20,PK-BA,quetta;gwadar|quetta,yes,16,2024-06-01,subsequent,"
        '"WBV 2024/27; Kamerstuk 19637, nr. 3318"\n'
        "b2,PK,2024-12-20,,Not An Area,,,,,\n"
        "c3,PK,2024-12-20,,,true,18,,,\n"
        "d4,PK,2024-12-20,,,,,2024-12-21,,\n"
        "e5,PK,2024-12-20,,,,,,appeal,\n"
        "f6,PK,2024-12-20,,,,old,,,\n",
    )
    rows = list(read_decisions(path))

    first = rows[0].case
    assert first is not None
    assert first.areas == ("quetta", "gwadar")  # each area once, in the order named
    assert (first.region, first.unaccompanied_minor, first.age) == ("PK-BA", True, 16)
    assert (first.applied_on, first.application_type) == ("2024-06-01", "subsequent")
    assert first.cited == ("WBV 2024/27", "Kamerstuk 19637, nr. 3318")
    assert errors_by_line(rows) == {
        3: ["areas.0"],
        4: ["age"],
        5: ["applied_on"],
        6: ["application_type"],
        7: ["age"],
    }
    assert "under 18" in rows[2].errors[0]["message"]


def test_csv_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "decisions.csv",
        "id,country,decided_on,outcome\n"
        'a1,PK,2024-11-25,"refused,\nafter a hearing\non appeal"\n'
        "b2,PK,not-a-date,\n"
        '"c\n3",PK,2024-11-25,\n'
        "d4,PK,2024-11-26,\n",
    )
    rows = list(read_decisions(path))

    assert [r.line for r in rows] == [2, 5, 6, 8]
    assert rows[0].case is not None
    assert rows[0].case.outcome == "refused,\nafter a hearing\non appeal"
    assert errors_by_line(rows) == {5: ["decided_on"]}
    assert rows[2].raw_id == "c\n3"
    assert rows[3].raw_id == "d4"


def test_csv_blank_lines_bom_semicolons_and_header_case(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_bytes(
        "\ufeffID;Country;Decided_On;Groups\r\n"
        "\r\n"
        'a1;PK;2024-11-25;"pti;ahmadis"\r\n'
        "\r\n"
        "b2;PK;2024-11-26;\r\n".encode()
    )
    rows = list(read_decisions(path))

    assert [(r.line, r.raw_id, r.ok) for r in rows] == [(3, "a1", True), (5, "b2", True)]
    assert rows[0].case is not None
    assert rows[0].case.groups == ("ahmadis", "pti")


def test_csv_cell_not_utf8_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "decisions.csv"
    path.write_bytes(
        b"id,country,decided_on,outcome\na1,PK,2024-11-25,caf\xe9\nb2,PK,2024-11-25,ok\n"
    )
    rows = list(read_decisions(path))

    assert errors_by_line(rows) == {2: ["outcome"]}
    assert rows[1].ok


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("id,country,decided_on,colour\n", "unknown column 'colour'"),
        ("id,country,decided_on,\n", "unknown column ''"),
        ("id,country\n", "missing required column decided_on"),
        ("id,country,decided_on,id\n", "repeated column id"),
        ("", "empty"),
    ],
)
def test_csv_header_problems_stop_the_file_before_any_row(
    tmp_path: Path, header: str, expected: str
) -> None:
    path = write(tmp_path / "decisions.csv", header and header + "a1,PK,2024-11-25,x\n")
    with pytest.raises(DecisionFileError) as caught:
        read_decisions(path)  # raised on the call, not on the first row
    assert expected in caught.value.message
    assert caught.value.path == str(path)


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DecisionFileError, match=r"\.csv, \.jsonl, \.ndjson"):
        read_decisions(write(tmp_path / "decisions.xlsx", ""))
    with pytest.raises(DecisionFileError, match="cannot read"):
        read_decisions(tmp_path / "absent.csv")


# Reading JSON Lines ---------------------------------------------------------------------


def test_jsonl_rows_good_and_bad(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a1", "country": "PK", "decided_on": "2024-11-25", "groups": ["pti"]}),
        "",
        "   ",
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"id": "b2", "country": "PK", "decided_on": "2024-11-25", "colour": "red"}),
        json.dumps({"id": "c3", "country": "PK", "decided_on": "2024-11-25", "groups": ["ok", 7]}),
        json.dumps({"id": 4, "country": "XX", "decided_on": "2024-02-30"}),
        json.dumps(
            {
                "id": "d5",
                "country": "PK",
                "decided_on": "2024-11-26",
                "recorded_at": "2024-11-27T10:00:00+01:00",
                "unaccompanied_minor": True,
            }
        ),
    ]
    path = write(tmp_path / "decisions.jsonl", "\n".join(lines) + "\n")
    rows = list(read_decisions(path))

    assert [r.line for r in rows] == [1, 4, 5, 6, 7, 8, 9]
    assert errors_by_line(rows) == {
        4: ["line"],
        5: ["line"],
        6: ["colour"],
        7: ["groups.1"],
        8: ["id", "country", "decided_on"],
    }
    assert rows[1].errors[0]["message"].startswith("not JSON")
    assert "list" in rows[2].errors[0]["message"]
    assert rows[5].raw_id == "4"
    last = rows[-1].case
    assert last is not None
    assert last.unaccompanied_minor is True
    assert last.recorded_at == "2024-11-27T09:00:00+00:00"


def test_ndjson_line_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "decisions.ndjson"
    path.write_bytes(
        b'{"id": "caf\xe9", "country": "PK", "decided_on": "2024-11-25"}\n'
        b'{"id": "b2", "country": "PK", "decided_on": "2024-11-25"}\n'
    )
    rows = list(read_decisions(path))

    assert errors_by_line(rows) == {1: ["line"]}
    assert rows[1].ok


def test_decisions_from_json_numbers_items_from_one() -> None:
    items: list[Any] = [
        {"id": "a1", "country": "PK", "decided_on": "2024-11-25"},
        "nope",
        {"id": "b2", "country": "PK"},
    ]
    rows = list(decisions_from_json(items))

    assert [(r.line, r.ok) for r in rows] == [(1, True), (2, False), (3, False)]
    assert errors_by_line(rows) == {2: ["decision"], 3: ["decided_on"]}
    assert rows[2].raw_id == "b2"


def test_reading_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    row = "{n},PK,2024-11-25,pti;ahmadis,PK-BA,no,," + "x" * 190 + "\n"
    header = "id,country,decided_on,groups,region,unaccompanied_minor,cited_version_id,outcome\n"
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        for n in range(20_000):
            out.write(row.format(n=n))
    size = path.stat().st_size
    assert size > 4_000_000
    # A first small file loads what is loaded once (the ISO 3166 tables).
    write(tmp_path / "warm.csv", header + row.format(n=0))
    assert all(r.ok for r in read_decisions(tmp_path / "warm.csv"))

    tracemalloc.start()
    try:
        count = sum(1 for r in read_decisions(path) if r.ok)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 20_000
    assert peak < 1_000_000  # the file is over 4 MB


# Writing reports ------------------------------------------------------------------------

SEAL = Seal("cd" * 32, "c2lnbmF0dXJl", "key-1", None)
DECISIONS = [
    # indeterminate: PTI and Balochistan's 15(c) level were not stated on 25 November 2024
    # (only the attested risk profiles were), and are stated at review
    Decision(
        id="a1",
        country="PK",
        decided_on="2024-11-25",
        groups=("pti",),
        region="PK-BA",
        outcome="refused",
    ),
    # unchanged, what was published then is what is known now, no citation: not flagged
    Decision(id="b2", country="PK", decided_on="2024-12-01"),
    # before any recorded policy: no_recorded_policy, indeterminate; the attested risk profile
    # is known now (attested later) but was not published then, so the basis differs; a
    # cited version that is not the basis's, and a cited text published only later
    Decision(
        id=SCRIPT_ID,
        country="PK",
        decided_on="2024-10-01",
        groups=("ahmadis",),
        cited_version_id="not-the-version",
        cited=("Kamerstuk 19637, nr. 3318",),
        outcome="<b>refused</b>",
    ),
    # unchanged; a rejected member of a risk profile (information), a group the ledger never
    # named (a warning), and cited texts: one pending, one in force, one unknown
    Decision(
        id="d4",
        country="PK",
        decided_on="2024-12-20",
        groups=("ahmadis", "nobody"),
        cited=("WBV 2024/27", "Kamerstuk 19637, nr. 3318", "WBV 2099/1"),
        outcome="rejected",
    ),
    # unchanged: not flagged
    Decision(id="e5", country="PK", decided_on="2025-01-10"),
    # unchanged, but rejected during Afghanistan's decision moratorium
    Decision(
        id="f6",
        country="AF",
        decided_on="2022-03-01",
        unaccompanied_minor=True,
        age=16,
        outcome="afgewezen",
    ),
]
FLAGGED = {"a1", SCRIPT_ID, "d4", "f6"}


def bad_rows(tmp_path: Path) -> list[Row]:
    path = write(
        tmp_path / "bad.csv",
        "id,country,decided_on,groups\nx1,PK,2024-11-25,\nx2,PK,soon,\nx3,ZZ,2024-11-25,A B\n",
    )
    return [r for r in read_decisions(path) if not r.ok]


def run(
    auditor: Auditor, path: Path, rejected: list[Row], seal: Seal | None = SEAL
) -> tuple[list[dict[str, Any]], dict]:
    results = []
    with open_report(path, seal) as writer:
        for decision in DECISIONS:
            result = auditor.judge(decision.case())
            results.append(result.doc())
            writer.write(result)
        for row in rejected:
            writer.reject(row)
        auditor.summary.rejected = len(rejected)
        summary = auditor.summary.to_json()
        writer.close(summary)
    return results, summary


def test_results_are_what_the_reports_claim(auditor: Auditor) -> None:
    results = {d.id: auditor.audit(d) for d in DECISIONS}
    got = {
        i: (r["verdict"], r["record_differs"], r["citation"], [f["code"] for f in r["findings"]])
        for i, r in results.items()
    }
    assert got == {
        "a1": ("indeterminate", False, "not_given", []),
        "b2": ("unchanged", False, "not_given", []),
        SCRIPT_ID: ("indeterminate", True, "mismatch", ["no_recorded_policy"]),
        "d4": ("unchanged", False, "not_given", ["rejected_risk_profile_member"]),
        "e5": ("unchanged", False, "not_given", []),
        "f6": ("unchanged", False, "not_given", ["decided_during_decision_moratorium"]),
    }
    assert results["a1"]["indeterminate"] == ["group:pti", "article_15c"]
    assert results["a1"]["at_decision"]["facts"]["group:pti"] == {
        "status": "not_stated",
        "value": None,
        "element": None,
    }
    assert results[SCRIPT_ID]["at_decision"]["facts"]["group:ahmadis"]["status"] == (
        "attested_later"
    )
    assert results[SCRIPT_ID]["as_known"]["facts"]["group:ahmadis"]["status"] == "not_stated"
    assert [(c["text"], c["status"], c["why"]) for c in results["d4"]["cited"]] == [
        ("WBV 2024/27", "not_in_force", "pending"),
        ("Kamerstuk 19637, nr. 3318", "in_force", None),
        ("WBV 2099/1", "unknown", None),
    ]
    assert results[SCRIPT_ID]["cited"][0]["why"] == "later"
    assert results["d4"]["warnings"][0]["groups"] == ["nobody"]
    assert {i for i, r in results.items() if r["basis"] == "published"} == set(results)


def test_on_the_recorded_basis_a_ledger_written_later_differs_from_what_is_known_now(
    index: ReadIndex,
) -> None:
    auditor = Auditor(StoredStates(index), REVIEW, basis="recorded")
    results = {d.id: auditor.audit(d) for d in DECISIONS}

    assert {i for i, r in results.items() if r["record_differs"]} == {
        "b2",
        SCRIPT_ID,
        "d4",
        "e5",
        "f6",
    }  # a1: of the facts that matter to it, none was stated on its date, then or now
    assert all("as_recorded" in r and "as_known" not in r for r in results.values())
    assert results["f6"]["findings"] == []  # the ledger held no moratorium when it was taken
    assert [c["why"] for c in results["d4"]["cited"]] == ["later", "later", None]


def test_csv_report(auditor: Auditor, tmp_path: Path) -> None:
    rejected = bad_rows(tmp_path)
    results, _ = run(auditor, tmp_path / "report.csv", rejected)
    text = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    body, trailer = lines[:-3], lines[-3:]
    rows = [dict(zip(CSV_COLUMNS, line, strict=True)) for line in body[1:]]

    assert tuple(body[0]) == CSV_COLUMNS
    assert trailer == [
        ["#ledger_digest", "cd" * 32],
        ["#signature", "c2lnbmF0dXJl"],
        ["#key_id", "key-1"],
    ]
    assert [r["id"] for r in rows] == [d.id for d in DECISIONS] + ["x2", "x3"]
    a1 = rows[0]
    assert a1["verdict"] == "indeterminate"
    assert a1["basis"] == "published"
    assert a1["record_differs"] == "false"
    assert a1["citation"] == "not_given"
    assert a1["decided_on"] == "2024-11-25"
    assert a1["review_date"] == "2025-06-01"
    assert a1["recorded_at"] == results[0]["recorded_at"]
    assert a1["version_at_decision"] == results[0]["at_decision"]["version_id"]
    assert a1["version_on_basis"] == results[0]["as_known"]["version_id"]
    assert a1["version_on_basis"] != ""
    assert a1["version_at_review"] == results[0]["at_review"]["version_id"]
    assert a1["changes"].startswith(
        "group:pti not stated→risk_profile (stated on one side only; Kamerstuk 19637, nr. 3318; "
    )
    assert (
        "; article_15c not stated→lower (stated on one side only; Kamerstuk 19637"
        in (a1["changes"])
    )
    assert (a1["findings"], a1["cited"], a1["unknown_groups"]) == ("", "", "")
    assert a1["outcome"] == "refused"
    assert a1["errors"] == ""
    assert rows[1]["changes"] == ""
    script, d4, f6 = rows[2], rows[3], rows[5]
    assert script["record_differs"] == "true"
    assert script["version_on_basis"] == ""  # nothing was published by then
    assert script["findings"] == "no_recorded_policy"
    assert script["cited"] == "Kamerstuk 19637, nr. 3318: not_in_force (later)"
    assert d4["findings"] == "rejected_risk_profile_member"
    assert d4["cited"] == (
        "WBV 2024/27: not_in_force (pending); Kamerstuk 19637, nr. 3318: in_force; "
        "WBV 2099/1: unknown"
    )
    assert d4["unknown_groups"] == "nobody"
    assert f6["findings"] == "decided_during_decision_moratorium"
    x2, x3 = rows[-2:]
    assert x2["verdict"] == ""
    assert x2["errors"].startswith("line 3: decided_on: ")
    assert x3["errors"].startswith("line 4: country: 'ZZ' is not")
    assert "; groups.0: " in x3["errors"]


def test_csv_report_cells_never_run_as_formulas(auditor: Auditor, tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    with open_report(path) as writer:
        decision = Decision(
            id="=HYPERLINK(1)",
            country="PK",
            decided_on="2024-12-01",
            outcome="+1",
            cited=("@SUM(1) 2024",),
        )
        writer.write(auditor.judge(decision.case()))
    row = next(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert (row["id"], row["outcome"]) == ("'=HYPERLINK(1)", "'+1")
    assert row["cited"].startswith("'@SUM(1) 2024: ")


def test_jsonl_report(auditor: Auditor, tmp_path: Path) -> None:
    rejected = bad_rows(tmp_path)
    results, summary = run(auditor, tmp_path / "report.jsonl", rejected)
    lines = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text().splitlines()]

    assert len(lines) == len(DECISIONS) + len(rejected) + 1
    assert lines[: len(DECISIONS)] == json.loads(json.dumps(results))
    assert lines[len(DECISIONS)] == {
        "line": 3,
        "id": "x2",
        "errors": [{"field": "decided_on", "message": rejected[0].errors[0]["message"]}],
    }
    assert lines[-1] == {
        "summary": summary,
        "ledger": {"digest": "cd" * 32, "signature": "c2lnbmF0dXJl", "key_id": "key-1"},
    }
    assert lines[-1]["summary"]["rejected"] == 2
    assert lines[-1]["summary"]["audited"] == 6
    assert lines[-1]["summary"]["basis"] == "published"
    assert lines[-1]["summary"]["findings"] == {
        "decided_during_decision_moratorium": 1,
        "no_recorded_policy": 1,
        "rejected_risk_profile_member": 1,
    }
    assert lines[-1]["summary"]["cited"] == {"in_force": 1, "not_in_force": 2, "unknown": 1}
    assert lines[-1]["summary"]["warnings"] == {"unknown_groups": 1}


def html_report(auditor: Auditor, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    _, summary = run(auditor, tmp_path / "report.html", bad_rows(tmp_path))
    return (tmp_path / "report.html").read_text(encoding="utf-8"), summary


def table_counts(html: str, table: str) -> dict[str, str]:
    section = html.split(f'data-table="{table}"', 1)[1].split("</table>", 1)[0]
    return dict(re.findall(r'<tr data-key="([^"]+)">.*?<td class="num">(\d+)</td>', section, re.S))


def test_html_report_summary_numbers(auditor: Auditor, tmp_path: Path) -> None:
    html, summary = html_report(auditor, tmp_path)

    assert summary["verdicts"] == {"indeterminate": 2, "unchanged": 4}
    headline = re.findall(r'<span class="number">(\d+)</span><span class="what">([^<]+)', html)
    assert headline == [
        ("8", "decisions read"),
        ("6", "audited"),
        ("4", "flagged"),
        ("2", "rejected rows"),
    ]
    assert table_counts(html, "verdicts") == {"unchanged": "4", "indeterminate": "2"}
    assert table_counts(html, "record") == {"false": "5", "true": "1"}
    assert table_counts(html, "citations") == {"mismatch": "1", "not_given": "5"}
    assert table_counts(html, "findings") == {
        "no_recorded_policy": "1",
        "decided_during_decision_moratorium": "1",
        "rejected_risk_profile_member": "1",
    }
    assert table_counts(html, "cited texts") == {
        "in_force": "1",
        "not_in_force": "2",
        "unknown": "1",
    }
    assert table_counts(html, "countries") == {"PK": "5", "AF": "1"}
    assert "Pakistan (PK)" in html
    assert "Afghanistan (AF)" in html
    assert "Decided during a decision moratorium" in html
    assert "as published by the decision date" in html
    assert "review date, 1 June 2025" in html


def test_html_report_chart(auditor: Auditor, tmp_path: Path) -> None:
    html, summary = html_report(auditor, tmp_path)
    svgs = re.findall(r"<svg xmlns.*?</svg>", html, re.S)  # the chart (swatches are svg too)
    assert len(svgs) == 1
    svg = ET.fromstring(svgs[0])  # well-formed XML
    ns = {"s": "http://www.w3.org/2000/svg"}

    assert svg.get("role") == "img"
    assert svg.get("aria-label", "").startswith("Verdicts per month of decision, March 2022")
    assert svg.find("s:title", ns) is not None
    desc = svg.find("s:desc", ns)
    assert desc is not None
    assert "4 unchanged, 2 indeterminate" in (desc.text or "")
    months = svg.findall("s:g[@class='month']", ns)
    assert [g.get("data-month") for g in months][:1] == ["2022-03"]
    assert [g.get("data-month") for g in months][-4:] == [
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
    ]
    bars = {
        g.get("data-month"): [r.get("data-verdict") for r in g.findall("s:rect", ns)]
        for g in months
        if g.findall("s:rect", ns)
    }
    assert bars == {
        "2022-03": ["unchanged"],
        "2024-10": ["indeterminate"],
        "2024-11": ["indeterminate"],
        "2024-12": ["unchanged"],
        "2025-01": ["unchanged"],
    }
    assert list(summary["months"]) == list(bars)
    december = next(g for g in months if g.get("data-month") == "2024-12")
    october = next(g for g in months if g.get("data-month") == "2024-10")
    assert float(december.findall("s:rect", ns)[0].get("height", 0)) > float(
        october.findall("s:rect", ns)[0].get("height", 0)
    )  # two decisions stand taller than one
    legend = [t.text for t in svg.findall("s:g[@class='legend']/s:text", ns)]
    assert legend[:4] == ["Unchanged", "Changed in favour", "Changed against", "Changed both ways"]
    assert "Indeterminate (stated on one side only)" in legend
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Month of decision" in texts
    assert "Decisions" in texts


def flagged_sections(html: str) -> dict[str, str]:
    """The flagged decisions' tables, by the finding each groups (in page order)."""
    flagged = html.split('<section id="flagged"', 1)[1].split("</section>", 1)[0]
    return dict(
        re.findall(r'<table class="flagged" data-finding="([^"]+)">(.*?)</table>', flagged, re.S)
    )


def test_html_report_groups_flagged_decisions_by_their_first_finding(
    auditor: Auditor, tmp_path: Path
) -> None:
    html, _ = html_report(auditor, tmp_path)
    sections = flagged_sections(html)

    assert list(sections) == [
        "no_recorded_policy",
        "decided_during_decision_moratorium",
        "rejected_risk_profile_member",
        "other",  # flagged for its verdict, basis or citation alone: last
    ]
    ids = {
        code: re.findall(r'<tr class="decision" data-id="([^"]*)"', rows)
        for code, rows in sections.items()
    }
    assert ids == {
        "no_recorded_policy": ["&lt;script&gt;alert(1)&lt;/script&gt;"],
        "decided_during_decision_moratorium": ["f6"],
        "rejected_risk_profile_member": ["d4"],
        "other": ["a1"],
    }
    headings = re.findall(r'<h3 id="finding-([^"]+)" data-finding="[^"]+">([^<]+)</h3>', html)
    assert headings == [
        ("no_recorded_policy", "Decided before any recorded policy of the country (1)"),
        ("decided_during_decision_moratorium", "Decided during a decision moratorium (1)"),
        (
            "rejected_risk_profile_member",
            "Rejected: a claimed group was a risk profile (a lower bar of proof applied) (1)",
        ),
        ("other", "No finding: flagged for its verdict, basis or citation (1)"),
    ]
    assert 'data-id="b2"' not in html
    assert 'data-id="e5"' not in html


def test_html_report_flagged_rows_with_changes_findings_and_sources(
    auditor: Auditor, tmp_path: Path
) -> None:
    html, _ = html_report(auditor, tmp_path)
    sections = flagged_sections(html)

    a1 = sections["other"].split('data-id="a1"', 1)[1].split("</tr>", 1)[0]
    assert "Group pti" in a1
    assert "not stated → risk profile" in a1
    assert "not stated → lower level" in a1
    assert a1.count('<span class="unknown">(stated on one side only)</span>') == 2
    assert (
        '<a href="https://zoek.officielebekendmakingen.nl/kst-19637-3318.html" '
        'rel="noreferrer">Kamerstuk 19637, nr. 3318</a>'
    ) in a1
    assert "<span>Algemeen ambtsbericht Pakistan, juli 2024</span>" in a1  # no url: no link
    assert "25 November 2024" in a1
    assert "2024-11-25" not in a1
    assert "Outcome: refused" in a1
    assert "Indeterminate (stated on one side only)" in a1
    script = sections["no_recorded_policy"]
    assert '<li data-finding="no_recorded_policy">' in script
    assert "What the official could know differs" in script
    assert "Group ahmadis: then not stated, known now risk profile (attested later)" in script
    assert "The cited version is not the one the official could know" in script
    assert (
        '<li data-cited="not_in_force">Kamerstuk 19637, nr. 3318: '
        "Not in force on the decision date (later)</li>"
    ) in script
    d4 = sections["rejected_risk_profile_member"]
    assert (
        '<li data-finding="rejected_risk_profile_member">Rejected: a claimed group was a risk '
        'profile (a lower bar of proof applied) <span class="muted">(information)</span></li>'
    ) in d4
    assert '<p class="muted" data-warning="unknown_groups">Unknown groups: nobody</p>' in d4
    assert re.findall(r'<li data-cited="([^"]+)">', d4) == ["not_in_force", "in_force", "unknown"]
    assert "WBV 2024/27: Not in force on the decision date (pending)" in d4
    f6 = sections["decided_during_decision_moratorium"]
    assert "Outcome: afgewezen" in f6
    assert "No fact that matters changed." in f6


def test_html_report_carries_the_ledger_seal(auditor: Auditor, tmp_path: Path) -> None:
    html, _ = html_report(auditor, tmp_path)
    ledger = html.split('<section id="ledger"', 1)[1].split("</section>", 1)[0]

    assert f'<code data-ledger="digest">{"cd" * 32}</code>' in ledger
    assert '<code data-ledger="key_id">key-1</code>' in ledger
    assert '<code data-ledger="signature" class="signature">c2lnbmF0dXJl</code>' in ledger


def test_html_report_escapes_everything_and_is_self_contained(
    auditor: Auditor, tmp_path: Path
) -> None:
    html, _ = html_report(auditor, tmp_path)

    assert SCRIPT_ID not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;refused&lt;/b&gt;" in html
    assert "<script" not in html
    assert "<link" not in html
    assert "src=" not in html
    assert "url(" not in html
    assert "@import" not in html
    assert html.startswith("<!doctype html>")


def test_html_report_rejected_rows(auditor: Auditor, tmp_path: Path) -> None:
    html, _ = html_report(auditor, tmp_path)
    rows = re.findall(
        r'<tr class="rejected-row"><td class="num">(\d+)</td><td>(.*?)</td><td><code>(.*?)</code>',
        html,
    )

    assert [(line, field) for line, _, field in rows] == [
        ("3", "decided_on"),
        ("4", "country"),
        ("4", "groups.0"),
    ]
    assert "<code>x3</code>" in rows[1][1]
    assert "Rejected rows (2)" in html


def test_html_report_without_decisions(tmp_path: Path) -> None:
    path = tmp_path / "empty.html"
    with open_report(path):
        pass  # closed on exit, with the writer's own (empty) summary
    html = path.read_text()

    assert "nothing to chart" in html
    assert "<svg" not in html
    assert "No decision is flagged." in html
    assert "No row was rejected." in html


def test_chart_has_a_group_for_every_month_between(auditor: Auditor) -> None:
    chart = verdict_chart({"2024-11": {"unchanged": 2}, "2025-02": {"changed_against": 1}})

    assert chart is not None
    assert [g["month"] for g in chart["groups"]] == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert [len(g["bars"]) for g in chart["groups"]] == [1, 0, 0, 1]
    assert [t["value"] for t in chart["ticks"]] == [0, 1, 2]
    assert verdict_chart({}) is None


@pytest.mark.parametrize(
    ("first", "last", "period", "bars"),
    [
        ("2015-01", "2024-12", "month", 120),
        ("2015-01", "2025-01", "year", 11),
        ("1990-06", "2109-01", "year", 120),
        ("1990-06", "2110-01", "decade", 13),
        ("0001-01", "1199-12", "decade", 120),
        ("0001-01", "9999-12", "century", 100),
        ("9999-12", "9999-12", "month", 1),
    ],
)
def test_chart_bars_are_months_years_decades_or_centuries(
    first: str, last: str, period: str, bars: int
) -> None:
    """Decisions on the first and last representable days make a chart of 100 bars, not a
    bar for each of 120,000 months; every decision is still counted once."""
    chart = verdict_chart({first: {"unchanged": 2}, last: {"changed_against": 1}})

    assert chart is not None
    assert (chart["period"], len(chart["groups"])) == (period, bars)
    assert sum(g["total"] for g in chart["groups"]) == (3 if first != last else 1)
    assert chart["groups"][0]["counts"]["unchanged"] == (2 if first != last else 0)
    assert chart["groups"][-1]["counts"]["changed_against"] == 1
    assert f"one per {period} of decision" in chart["description"]


def test_close_without_summary_counts_what_was_written(auditor: Auditor, tmp_path: Path) -> None:
    path = tmp_path / "report.jsonl"
    with open_report(path) as writer:
        for decision in DECISIONS[:2]:
            writer.write(auditor.judge(decision.case()))
        writer.reject(bad_rows(tmp_path)[0])
    summary = json.loads(path.read_text().splitlines()[-1])["summary"]

    assert (summary["decisions"], summary["audited"], summary["rejected"]) == (3, 2, 1)


def test_a_failed_report_leaves_nothing_behind(auditor: Auditor, tmp_path: Path) -> None:
    def broken() -> None:
        with open_report(tmp_path / "report.html") as writer:
            writer.write(auditor.judge(DECISIONS[0].case()))
            raise RuntimeError("the audit broke off")

    with pytest.raises(RuntimeError):
        broken()

    assert list(tmp_path.iterdir()) == []


def test_report_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.csv, \.jsonl, \.html"):
        open_report(tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []


def test_html_report_streams_in_constant_memory(auditor: Auditor, tmp_path: Path) -> None:
    """Flagged rows wait in a temporary file, not in memory, until the page is rendered."""
    decision = DECISIONS[0]
    path = tmp_path / "big.html"
    with open_report(tmp_path / "warm.html") as writer:  # loads what is loaded once
        writer.write(auditor.judge(decision.case()))
    tracemalloc.start()
    try:
        with open_report(path) as writer:
            for n in range(3_000):
                writer.write(auditor.judge(decision.model_copy(update={"id": f"a{n}"}).case()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = path.stat().st_size

    assert path.read_text().count('<tr class="decision"') == 3_000
    assert size > 5_000_000
    assert peak < 1_000_000


# The ledger a report was computed from -------------------------------------------------


def test_an_unsigned_seal_gives_the_digest_and_says_the_report_is_not_signed(
    tmp_path: Path,
) -> None:
    from domain.signing import Seal

    seal = Seal("ab" * 32, None, None, None)
    for suffix in ("csv", "jsonl", "html"):
        with open_report(tmp_path / f"report.{suffix}", seal):
            pass

    with (tmp_path / "report.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert list(csv.reader(stream))[1:] == [
            ["#ledger_digest", "ab" * 32],
            ["#signature", ""],
            ["#key_id", ""],
        ]
    last = json.loads((tmp_path / "report.jsonl").read_text().splitlines()[-1])
    assert last["ledger"] == {"digest": "ab" * 32, "signature": None, "key_id": None}
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'<code data-ledger="digest">{"ab" * 32}</code>' in page
    assert "Not signed: the service had no signing key." in page


def test_without_a_seal_a_report_has_no_ledger_section(tmp_path: Path) -> None:
    with open_report(tmp_path / "report.html"):
        pass

    assert 'id="ledger"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
