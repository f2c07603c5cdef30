"""Audits of decisions on each store: the real Auditor over a real ledger's read model.

A base policy for PK is recorded at T1; decisions are taken an hour later (DECIDED_AT) on
DECIDED; later facts arrive at T2. The audit compares the policy on DECIDED as known now
(at_decision), as recorded at DECIDED_AT (as_recorded, the recorded basis) or as published by
DECIDED (as_known, the published basis), and on REVIEW as known now.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from api import cli as cli_module
from api.bootstrap import Services
from api.cli import cli
from domain.application import Recorded
from domain.commands import AmendmentDraft
from domain.decision import Decision
from domain.loader import record_file
from events.vocabulary import (
    Change,
    DesignateGroup,
    GroupCategory,
    Reaffirm,
    RevokeGroup,
    SetArticle15c,
    SetInternalProtectionAlternative,
    Source,
    SourceKind,
    ViolenceLevel,
)
from integration.worked_history import read_model
from projections.audit.drafts import WhatIfStates
from projections.audit.judging import Auditor, StoredStates

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
T1 = dt.datetime(2025, 1, 6, 9, 0, tzinfo=dt.UTC)
DECIDED = dt.date(2025, 1, 6)
DECIDED_AT = T1 + dt.timedelta(hours=1)
T2 = dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)
REVIEW = dt.date(2025, 6, 1)
DEC1 = dt.date(2024, 12, 1)


# Helpers ----------------------------------------------------------------------------------


def kamerstuk(number: int) -> Source:
    return Source(kind=SourceKind.KAMERSTUK, reference=f"Kamerstuk 19637, nr. {number}", date=DEC1)


def draft(
    in_force: dt.date | None, *changes: Change, number: int = 1, title: str | None = None
) -> AmendmentDraft:
    return AmendmentDraft(
        announced_on=DEC1 if in_force is None else min(DEC1, in_force),
        in_force_from=in_force,
        title=title,
        sources=(kamerstuk(number),),
        changes=changes,
    )


def designate(group: str) -> DesignateGroup:
    return DesignateGroup(
        group=group, category=GroupCategory.RISK_PROFILE, label_nl=group, label_en=group
    )


def revoke(group: str) -> RevokeGroup:
    return RevokeGroup(group=group, category=GroupCategory.RISK_PROFILE)


def fifteen_c(region: str | None, level: ViolenceLevel) -> SetArticle15c:
    return SetArticle15c(region=region, level=level, armed_conflict=level != ViolenceLevel.NONE)


def record(
    ledger: Services,
    clock: Any,
    moment: dt.datetime,
    amendment: AmendmentDraft,
    country: str = "PK",
) -> Recorded:
    clock.set(moment)
    version = ledger.app.version_of(country)
    return ledger.app.record_amendment(
        country, amendment, author="editor", expected_version=version
    )


def record_base(ledger: Services, clock: Any) -> str:
    """At T1, in force from 1 December 2024: PTI a risk profile, 15(c) lower in PK-BA."""
    base = draft(
        DEC1,
        designate("pti"),
        fifteen_c("PK-BA", ViolenceLevel.LOWER),
        fifteen_c(None, ViolenceLevel.NONE),
        number=1000,
        title="Base letter",
    )
    recorded = record(ledger, clock, T1, base)
    assert recorded.amendment_id is not None
    return recorded.amendment_id


def decision(name: str, *groups: str, region: str | None = None, **more: Any) -> Decision:
    fields: dict[str, Any] = {"decided_on": DECIDED, "recorded_at": DECIDED_AT, **more}
    return Decision(id=name, country="PK", groups=groups, region=region, **fields)


def audit(
    ledger: Services, *decisions: Decision, basis: str = "recorded"
) -> tuple[list[dict[str, Any]], Auditor]:
    """The decisions audited; on the recorded basis by default, as these decisions were
    taken with the ledger in use (the published basis has tests of its own)."""
    auditor = Auditor(StoredStates(ledger.reads.index()), REVIEW, basis=basis)
    return [auditor.audit(d) for d in decisions], auditor


def differs(ledger: Services, *decisions: Decision) -> dict[str, bool]:
    results, _ = audit(ledger, *decisions)
    return {r["id"]: r["record_differs"] for r in results}


def fact(result: dict[str, Any], state: str, key: str) -> Any:
    return result[state]["facts"][key]["value"]


# Record differs --------------------------------------------------------------------------


def test_a_retroactive_amendment_makes_the_record_differ_only_where_it_touches_a_fact(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    hazara, pti = decision("hazara", "hazaras"), decision("pti", "pti", region="PK-BA")
    assert differs(ledger, hazara, pti) == {"hazara": False, "pti": False}

    record(ledger, clock, T2, draft(dt.date(2024, 12, 15), designate("hazaras"), number=2))

    [h, p], _ = audit(ledger, hazara, pti)
    assert (h["record_differs"], p["record_differs"]) == (True, False)
    assert fact(h, "at_decision", "group:hazaras") == "risk_profile"
    assert fact(h, "as_recorded", "group:hazaras") is None
    assert h["as_recorded"]["version_id"] != h["at_decision"]["version_id"]


def test_a_retraction_makes_the_record_differ_only_where_it_touches_a_fact(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    kp = record(ledger, clock, T1, draft(DEC1, fifteen_c("PK-KP", ViolenceLevel.HIGHER)))
    in_kp, in_ba = decision("kp", region="PK-KP"), decision("ba", region="PK-BA")
    assert differs(ledger, in_kp, in_ba) == {"kp": False, "ba": False}

    clock.set(T2)
    assert kp.amendment_id is not None
    ledger.app.retract_amendment(
        "PK", kp.amendment_id, reason="error", author="editor", expected_version=kp.version
    )

    [k, b], _ = audit(ledger, in_kp, in_ba)
    assert (k["record_differs"], b["record_differs"]) == (True, False)
    assert (fact(k, "as_recorded", "article_15c"), fact(k, "at_decision", "article_15c")) == (
        "higher",
        "none",
    )


def test_a_late_in_force_date_makes_the_record_differ_only_where_it_touches_a_fact(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    no_ipa = SetInternalProtectionAlternative(group="pti", region="PK-BA", available=False)
    pending = record(ledger, clock, T1, draft(None, no_ipa))
    in_ba, in_kp = decision("ba", "pti", region="PK-BA"), decision("kp", "pti", region="PK-KP")
    assert differs(ledger, in_ba, in_kp) == {"ba": False, "kp": False}

    clock.set(T2)
    assert pending.amendment_id is not None
    ledger.app.record_in_force_date(
        "PK",
        pending.amendment_id,
        dt.date(2024, 12, 20),
        author="editor",
        expected_version=pending.version,
    )

    [ba, kp], _ = audit(ledger, in_ba, in_kp)
    assert (ba["record_differs"], kp["record_differs"]) == (True, False)
    # Nothing stated of the alternative then: not stated, never "available" by assumption.
    assert (fact(ba, "as_recorded", "ipa:pti"), fact(ba, "at_decision", "ipa:pti")) == (None, False)
    assert ba["as_recorded"]["facts"]["ipa:pti"]["status"] == "not_stated"


# Citation --------------------------------------------------------------------------------


def test_citation_matches_the_version_as_recorded_then_not_the_version_as_known_now(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    record(ledger, clock, T2, draft(dt.date(2024, 12, 15), designate("hazaras"), number=2))
    ledger.reads.index()
    then = ledger.reads.as_projected.policy("PK", DECIDED, DECIDED_AT)["version_id"]
    now = ledger.reads.as_projected.policy("PK", DECIDED, dt.datetime.now(dt.UTC))["version_id"]
    assert then != now

    results, _ = audit(
        ledger,
        decision("then", "pti", cited_version_id=then),
        decision("now", "pti", cited_version_id=now),
        decision("none", "pti"),
    )
    assert [r["citation"] for r in results] == ["matches", "mismatch", "not_given"]
    assert {r["as_recorded"]["version_id"] for r in results} == {then}
    assert {r["at_decision"]["version_id"] for r in results} == {now}


# Changes and the summary ---------------------------------------------------------------------


def test_changes_carry_the_amendment_behind_them_and_its_sources(
    ledger: Services, clock: Any
) -> None:
    base = record_base(ledger, clock)
    revocation = record(ledger, clock, T2, draft(dt.date(2025, 3, 1), revoke("pti"), number=4242))
    raised = record(
        ledger, clock, T2, draft(dt.date(2025, 4, 1), fifteen_c("PK-BA", ViolenceLevel.HIGHER))
    )

    [result], _ = audit(ledger, decision("d", "pti", region="PK-BA"))

    assert result["verdict"] == "changed_mixed"
    changes = {c["fact"]: c for c in result["changes"]}
    assert set(changes) == {"group:pti", "article_15c"}
    group = changes["group:pti"]
    # A revocation states that the group is no longer designated: a stated change.
    assert (group["before"], group["after"], group["direction"]) == (
        "risk_profile",
        "not_designated",
        "against",
    )
    assert group["amendment"]["id"] == revocation.amendment_id
    assert [s["reference"] for s in group["sources"]] == ["Kamerstuk 19637, nr. 4242"]
    level = changes["article_15c"]
    assert (level["before"], level["after"], level["direction"]) == ("lower", "higher", "in_favour")
    assert (level["element"], level["amendment"]["id"]) == (
        "article_15c:PK-BA",
        raised.amendment_id,
    )
    at_decision = result["at_decision"]["facts"]["group:pti"]
    assert [a["id"] for a in at_decision["amendments"]] == [base]
    assert [s["reference"] for s in at_decision["sources"]] == ["Kamerstuk 19637, nr. 1000"]


def test_a_change_is_credited_to_the_amendment_that_made_it_not_to_a_later_confirmation(
    ledger: Services, clock: Any
) -> None:
    base = record_base(ledger, clock)
    confirmation = draft(
        dt.date(2025, 3, 1),
        Reaffirm(element="group:pti"),
        fifteen_c("PK-BA", ViolenceLevel.LOWER),
        number=2,
        title="Decree restating the letter",
    )
    record(ledger, clock, T2, confirmation)

    early = decision("d", "pti", region="PK-BA", decided_on=dt.date(2024, 11, 20), recorded_at=None)
    [result], _ = audit(ledger, early)

    assert {c["fact"]: c["amendment"]["id"] for c in result["changes"]} == {
        "group:pti": base,
        "article_15c": base,
    }


def test_the_summary_counts_verdicts_record_differs_citations_and_countries(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    record(ledger, clock, T1, draft(DEC1, designate("hazaras")), country="AF")
    record(ledger, clock, T2, draft(dt.date(2025, 3, 1), revoke("pti"), number=2))
    record(ledger, clock, T2, draft(dt.date(2025, 4, 1), fifteen_c("PK-BA", ViolenceLevel.HIGHER)))
    record(ledger, clock, T2, draft(dt.date(2024, 12, 15), designate("sikhs"), number=3))
    ledger.reads.index()
    then = ledger.reads.as_projected.policy("PK", DECIDED, DECIDED_AT)["version_id"]

    _, auditor = audit(
        ledger,
        decision("unchanged", "hazaras"),
        decision("in_favour", region="PK-BA", cited_version_id=then),
        decision("against", "pti", region="PK-KP", cited_version_id="0" * 64),
        decision("mixed", "pti", region="PK-BA"),
        decision("sikh", "sikhs"),  # retroactively designated: the record differs
        Decision(id="af", country="AF", decided_on=DECIDED, groups=("hazaras",)),
    )

    summary = auditor.summary.to_json()
    assert (summary["decisions"], summary["audited"], summary["rejected"]) == (6, 6, 0)
    assert summary["verdicts"] == {
        "unchanged": 3,
        "changed_in_favour": 1,
        "changed_against": 1,
        "changed_mixed": 1,
    }
    assert summary["record_differs"] == {"false": 5, "true": 1}
    assert summary["citations"] == {"matches": 1, "mismatch": 1, "not_given": 4}
    assert summary["countries"] == {"PK": 5, "AF": 1}


# What-if -------------------------------------------------------------------------------------


def test_a_what_if_draft_turns_a_verdict_and_nothing_of_it_reaches_the_store(
    ledger: Services, clock: Any
) -> None:
    record_base(ledger, clock)
    claim = decision("pti", "pti", region="PK-BA")
    [stored], _ = audit(ledger, claim)
    assert stored["verdict"] == "unchanged"
    head, rows = ledger.app.recorder.max_notification_id(), read_model(ledger)
    version = ledger.app.version_of("PK")

    drafts = [("PK", draft(dt.date(2025, 3, 1), revoke("pti"), title="Draft revocation"))]
    states = WhatIfStates(ledger.reads.index(), drafts, ledger.app.policy_or_new)
    what_if = Auditor(states, REVIEW).audit(claim)

    assert what_if["verdict"] == "changed_against"
    [change] = what_if["changes"]
    assert change["amendment"]["id"] in states.draft_ids("PK")
    assert change["amendment"]["title"] == "Draft revocation"
    ledger.catch_up.run()
    assert ledger.app.recorder.max_notification_id() == head
    assert read_model(ledger) == rows
    assert ledger.app.version_of("PK") == version
    [again], _ = audit(ledger, claim)
    assert again["verdict"] == "unchanged"
    # The writer's copy of the policy holds no draft either: the next write expects `version`.
    assert record(ledger, clock, T2, draft(DEC1, designate("sikhs"))).version == version + 1


def test_a_what_if_draft_leaves_the_record_as_it_was_then(ledger: Services, clock: Any) -> None:
    record_base(ledger, clock)
    claim = decision("pti", "pti")
    retroactive = [("PK", draft(dt.date(2024, 12, 15), revoke("pti")))]
    states = WhatIfStates(ledger.reads.index(), retroactive, ledger.app.policy_or_new)
    result = Auditor(states, REVIEW, basis="recorded").audit(claim)
    assert fact(result, "as_recorded", "group:pti") == "risk_profile"
    assert fact(result, "at_decision", "group:pti") == "not_designated"
    assert result["record_differs"] is True


# The command line on a large file ------------------------------------------------------------

HEADER = (
    "id,country,decided_on,recorded_at,groups,region,unaccompanied_minor,cited_version_id,outcome"
)
GROUPS = ["ahmadis", "christians", "apostates", "hazaras", "lgbti", "journalists_hrd", "pti"]
REGIONS = ["", "PK-BA", "PK-KP", "PK-PB", "PK-SD"]
# file line -> (the row's cells, the field reported at fault)
BAD_ROWS: dict[int, tuple[dict[str, str], str]] = {
    7: ({"decided_on": "2025-02-30"}, "decided_on"),
    1_001: ({"decided_on": "yesterday"}, "decided_on"),
    2_002: ({"groups": "Bad Group!"}, "groups.0"),
    3_003: ({"groups": "pti;Sikh Community"}, "groups.1"),
    4_004: ({"region": "AF-KAB"}, "region"),
    6_006: ({"country": "XX", "region": ""}, "country"),
    7_007: ({"id": ""}, "id"),
    10_001: ({"unaccompanied_minor": "maybe"}, "unaccompanied_minor"),
}
ROWS = 10_000
NO_POLICY_LINE = 5_005


def decisions_file(path: Path) -> Path:
    """ROWS decisions (lines 2..ROWS+1) with the BAD_ROWS mixed in at their lines."""
    rng = random.Random(7)
    start = dt.date(2024, 11, 1)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER.split(","))
        for line in range(2, ROWS + 2):
            cells = {
                "id": f"d{line:05d}",
                "country": "PK",
                "decided_on": (start + dt.timedelta(days=rng.randrange(240))).isoformat(),
                "recorded_at": "",
                "groups": ";".join(rng.sample(GROUPS, rng.randrange(3))),
                "region": rng.choice(REGIONS),
                "unaccompanied_minor": rng.choice(["true", "false", ""]),
                "cited_version_id": "",
                "outcome": rng.choice(["granted", "rejected"]),
            }
            cells.update(BAD_ROWS.get(line, ({}, ""))[0])
            if line == NO_POLICY_LINE:  # a known code without a recorded policy: a finding
                cells.update(country="AF", region="")
            writer.writerow(cells.values())
    return path


@pytest.fixture
def demo_store(store_url: str, open_ledger: Any) -> str:
    record_file(open_ledger().app, DEMO, "loader")
    return store_url


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return decisions_file(tmp_path_factory.mktemp("decisions") / "decisions.csv")


def run_audit(store_url: str, source: Path, report: Path, exit_code: int = 3) -> str:
    """The CLI's output; it exits 3 when some rows were rejected (the report lists them)."""
    result = CliRunner().invoke(
        cli,
        ["audit", str(source), "-o", str(report), "--review-date", "2025-06-30"],
        env={"POLICY_LEDGER_DATABASE_URL": store_url},
    )
    assert result.exit_code == exit_code, (result.output, result.exception)
    return result.stdout


def test_the_cli_audits_a_large_file_and_reports_each_bad_row_with_its_line_and_field(
    demo_store: str, big_file: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    output = run_audit(demo_store, big_file, report)

    with report.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    rows, trailer = rows[:-3], rows[-3:]  # the ledger's digest, signature and key id
    assert [t["id"] for t in trailer] == ["#ledger_digest", "#signature", "#key_id"]
    assert len(rows) == ROWS
    rejected = [r for r in rows if not r["verdict"]]
    found = {}
    for row in rejected:
        match = re.match(r"line (\d+): ([\w.]+): ", row["errors"])
        assert match, row["errors"]
        found[int(match[1])] = match[2]
    assert found == {line: field for line, (_, field) in BAD_ROWS.items()}
    audited = [r for r in rows if r["verdict"]]
    assert len(audited) == ROWS - len(BAD_ROWS)
    # In the file's order, though judged in batches by country and date.
    assert [r["id"] for r in audited] == [
        f"d{line:05d}" for line in range(2, ROWS + 2) if line not in BAD_ROWS
    ]
    assert sorted(found) == list(found)
    assert not any(r["errors"] for r in audited)
    assert f"Audit of {ROWS} decisions" in output


def test_the_cli_shows_its_progress_on_a_terminal_and_nothing_elsewhere(
    demo_store: str, big_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(cli_module, "errors", terminal)
    run_audit(demo_store, big_file, tmp_path / "report.csv")
    shown = screen.getvalue()
    assert "auditing" in shown
    assert "100%" in shown  # the bar reaches the end of the file

    pipe = io.StringIO()
    monkeypatch.setattr(cli_module, "errors", Console(file=pipe, force_terminal=False))
    run_audit(demo_store, big_file, tmp_path / "again.csv")
    assert "auditing" not in pipe.getvalue()


def test_the_cli_rejects_a_recorded_at_beyond_utc_and_audits_the_other_rows(
    demo_store: str, tmp_path: Path
) -> None:
    source = tmp_path / "decisions.csv"
    source.write_text(
        "id,country,decided_on,recorded_at\n"
        "a,PK,2025-01-06,\n"
        "b,PK,2025-01-06,0001-01-01T00:00:00+01:00\n"
        "c,PK,2025-01-06,\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.jsonl"
    run_audit(demo_store, source, report)
    docs = [json.loads(x) for x in report.read_text(encoding="utf-8").splitlines()]
    assert [d.get("id") for d in docs if "verdict" in d] == ["a", "c"]
    [rejected] = [d for d in docs if "errors" in d]
    assert (rejected["line"], rejected["errors"][0]["field"]) == (3, "recorded_at")


def test_the_cli_writes_json_lines_and_html_reports_with_the_summary(
    demo_store: str, big_file: Path, tmp_path: Path
) -> None:
    jsonl, html = tmp_path / "report.jsonl", tmp_path / "report.html"
    run_audit(demo_store, big_file, jsonl)
    run_audit(demo_store, big_file, html)

    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == ROWS + 1
    summary = json.loads(lines[-1])["summary"]
    audited = ROWS - len(BAD_ROWS)
    assert (summary["decisions"], summary["audited"], summary["rejected"]) == (
        ROWS,
        audited,
        len(BAD_ROWS),
    )
    assert sum(summary["verdicts"].values()) == audited
    assert sum(summary["record_differs"].values()) == audited
    assert summary["citations"] == {"not_given": audited}
    assert summary["countries"] == {"PK": audited - 1, "AF": 1}
    assert summary["findings"]["no_recorded_policy"] >= 1  # the AF row: judged, not rejected
    rejected = [json.loads(x) for x in lines[:-1] if "errors" in json.loads(x)]
    assert {r["line"]: r["errors"][0]["field"] for r in rejected} == {
        line: field for line, (_, field) in BAD_ROWS.items()
    }

    page = html.read_text(encoding="utf-8")
    assert f"Audit of {ROWS} decisions" in page
    assert f'<span class="number">{audited}</span><span class="what">audited</span>' in page
    rejected_count = f'<span class="number">{len(BAD_ROWS)}</span>'
    assert f'{rejected_count}<span class="what">rejected rows</span>' in page
    for verdict, count in summary["verdicts"].items():
        assert re.search(rf'data-key="{verdict}">.*?<td class="num">{count}</td>', page, re.S)
