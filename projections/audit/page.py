"""The audit report's HTML page: its summary tables, its flagged and rejected rows, and the
page rendered around them (the template beside this module, templates/audit_report.html).

Cold code, run once a report (`flagged_doc` once a flagged decision): not compiled. The
writer that calls it is projections.audit.reports.HtmlReport.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from domain.countries import country_name
from domain.facts import Citation
from domain.words import long_date, long_moment
from projections.audit.chart import VERDICT_COLOURS, VERDICT_LABELS, verdict_chart
from projections.audit.judging import DIRECTIONS, plain
from projections.templating import environment

Doc = dict[str, Any]

TEMPLATES = Path(__file__).parent / "templates"
CITATION_LABELS = {
    Citation.MATCHES.value: "Cited version matches the record",
    Citation.MISMATCH.value: "Cited version does not match",
    Citation.NOT_GIVEN.value: "No version cited",
}
RECORD_LABELS = {
    "false": "What the official could know is what is known now",
    "true": "What the official could know differs from what is known now",
}
FINDING_LABELS = {
    "no_recorded_policy": "Decided before any recorded policy of the country",
    "decided_during_decision_moratorium": "Decided during a decision moratorium",
    "rejected_group_persecution_member": "Rejected: a claimed group faced group persecution",
    "rejected_risk_profile_member": "Rejected: a claimed group was a risk profile "
    "(a lower bar of proof applied)",
    "rejected_from_most_exceptional_15c_area": "Rejected: from an area in the most "
    "exceptional Article 15(c) situation",
    "granted_despite_declined_group": "Granted: a claimed group was stated not designated",
    "other": "No finding: flagged for its verdict, basis or citation",
}
CITED_LABELS = {
    "in_force": "In force and published on the decision date",
    "not_in_force": "Not in force on the decision date",
    "unknown": "Not in the ledger",
}
BASIS_NAMES = {"published": "as_known", "recorded": "as_recorded"}


def render(
    out: IO[bytes],
    summary: Doc,
    *,
    flagged_count: int,
    rejected_count: int,
    review_date: str | None,
    generated_at: str,
    flagged_groups: Mapping[str, tuple[int, IO[bytes]]],
    rejected_rows: IO[bytes],
    ledger: Doc | None,
) -> None:
    """Writes the page to `out` as a stream: the flagged and rejected rows are read back one
    at a time from the temporary files they were kept in (one JSON document a line); the
    flagged ones in groups by finding (`flagged_groups`: code -> count and rows)."""
    template = ENVIRONMENT.get_template("audit_report.html")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n")
    chunks = template.generate(
        summary=summary,
        counts={
            "decisions": summary.get("decisions", 0),
            "audited": summary.get("audited", 0),
            "rejected": summary.get("rejected", 0),
            "flagged": flagged_count,
        },
        rejected_count=rejected_count,
        tables=_summary_tables(summary),
        chart=verdict_chart(summary.get("months", {})),
        review_date=review_date,
        generated_at=generated_at,
        flagged_count=flagged_count,
        groups=[
            {"code": code, "count": count, "rows": _replay(rows)}
            for code in FINDING_LABELS
            if code in flagged_groups
            for count, rows in [flagged_groups[code]]
        ],
        rejected=_replay(rejected_rows),
        ledger=ledger,
    )
    for chunk in chunks:
        text.write(chunk)
    text.flush()
    text.detach()


def _replay(stream: IO[bytes]) -> Iterator[Doc]:
    """The documents kept in a temporary file, one at a time."""
    stream.flush()
    stream.seek(0)
    for line in stream:
        yield orjson.loads(line)


def group_of(result: Doc) -> str:
    """The finding a flagged decision is listed under in the report: its first, or other."""
    findings = result.get("findings") or ()
    return str(findings[0]["code"]) if findings else "other"


def flagged_doc(result: Doc) -> Doc:
    """What the page shows of a flagged decision."""
    side = BASIS_NAMES[result["basis"]]
    before, recorded = result["at_decision"]["facts"], result[side]["facts"]
    record_changes = [
        {
            "fact": k,
            "known_now": f["value"],
            "known_status": f["status"],
            "recorded_then": recorded[k]["value"],
            "recorded_status": recorded[k]["status"],
        }
        for k, f in before.items()
        if k in recorded
        and (recorded[k]["value"], recorded[k]["status"]) != (f["value"], f["status"])
    ]
    return {
        "basis": result["basis"],
        "findings": [
            {"code": f["code"], "flags": f["flags"], "amendments": f["amendments"]}
            for f in result.get("findings", [])
        ],
        "cited": result.get("cited", []),
        "warnings": result.get("warnings", []),
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
            "on_basis": result[side]["version_id"],
            "at_review": result["at_review"]["version_id"],
        },
        "changes": [
            {
                "fact": c["fact"],
                "before": c["before"],
                "after": c["after"],
                "status_before": c.get("status_before", "stated"),
                "status_after": c.get("status_after", "stated"),
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
            "heading": "What the official could know",
            "caption": "The policy on the decision date "
            + (
                "as recorded when the decision was taken"
                if summary.get("basis") == "recorded"
                else "as published by the decision date"
            ),
            "rows": rows(summary.get("record_differs", {}), RECORD_LABELS),
        },
        {
            "title": "Citations",
            "heading": "Citation",
            "caption": "The policy version each decision cites",
            "rows": rows(summary.get("citations", {}), CITATION_LABELS),
        },
        {
            "title": "Findings",
            "heading": "Finding",
            "caption": "Rules on the basis that bear on the outcome",
            "rows": rows(summary.get("findings", {}), FINDING_LABELS),
        },
        {
            "title": "Cited texts",
            "heading": "Cited text",
            "caption": "Policy texts the decisions cite, checked against the ledger",
            "rows": rows(summary.get("cited", {}), CITED_LABELS),
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


def fact_value(value: Any, key: str, status: str = "stated") -> str:
    """A fact's value in words."""
    if status == "not_stated" or value is None:
        return "not stated"
    text = _stated_value(value, key)
    return f"{text} (attested later)" if status == "attested_later" else text


def _stated_value(value: Any, key: str) -> str:
    kind = key.split(":")[0]
    if kind == "group":
        if value == "declined":
            return "stated not designated"
        if value == "not_designated":
            return "no longer designated"
        return str(value).replace("_", " ")
    if kind == "moratorium":
        return "in place" if value else "none"
    if kind == "unaccompanied_minors":
        return "adequate reception" if value else "no adequate reception"
    if kind in ("protection", "ipa"):
        return "available" if value else "not available"
    if kind == "article_15c":
        return f"{str(value).replace('_', ' ')} level" if value != "none" else "none"
    return plain(value)


ENVIRONMENT = environment(TEMPLATES)
ENVIRONMENT.filters.update(
    long_date=partial(long_date, lang="en"),
    long_moment=partial(long_moment, lang="en"),
    fact_name=fact_name,
    fact_value=fact_value,
    country_name=country_name,
    short_version=lambda v: (v[:12] + "…") if v else "none",
)
ENVIRONMENT.globals.update(
    verdict_labels=VERDICT_LABELS,
    verdict_colours=VERDICT_COLOURS,
    citation_labels=CITATION_LABELS,
    finding_labels=FINDING_LABELS,
    cited_labels=CITED_LABELS,
    directions=DIRECTIONS,
)
