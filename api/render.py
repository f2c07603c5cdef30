"""Human output of the CLI: the same documents as `--json`, laid out as rich tables."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

Doc = dict[str, Any]


def _sources(doc: Doc) -> str:
    sources = doc.get("sources", [])
    if not sources:
        return ""
    more = f" (+{len(sources) - 1})" if len(sources) > 1 else ""
    return f"{sources[0]['reference']}{more}"


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def policy(doc: Doc) -> Group:
    head = Text(
        f"{doc['name']} ({doc['country']}) on {doc['on']}, as known at {doc['known_at']}",
        style="bold",
    )
    if not doc["coverage"]:
        parts: list[Any] = [head, Text("No recorded policy for this date.", style="yellow")]
        parts += [pending(doc)] if doc["pending"] else []
        return Group(*parts)
    version = Text(
        f"version {doc['version_id'][:12]}… valid {doc['valid_from']} to {doc['valid_to'] or '…'}"
    )
    table = Table("element", "value", "since", "sources", title="Policy in force")
    for g in doc["groups"]:
        table.add_row(
            f"group:{g['id']}",
            f"{g['category']}: {g['label_en']} / {g['label_nl']}",
            g["since"],
            _sources(g),
        )
    for key in ("protection", "internal_protection_alternative"):
        for name, e in doc[key].items():
            table.add_row(f"{key}:{name}", _plain(e), e["since"], _sources(e))
    if doc["article_15c"]["default"]:
        e = doc["article_15c"]["default"]
        table.add_row("article_15c:default", _level(e), e["since"], _sources(e))
    for code, e in doc["article_15c"]["regions"].items():
        table.add_row(f"article_15c:{code} ({e['name']})", _level(e), e["since"], _sources(e))
    if doc["unaccompanied_minors"]:
        e = doc["unaccompanied_minors"]
        table.add_row(
            "unaccompanied_minors",
            "adequate reception" if e["adequate"] else "no adequate reception",
            e["since"],
            _sources(e),
        )
    for m in doc["moratoria"]:
        table.add_row(
            f"moratorium:{m['kind']}",
            f"until {m['until'] or 'further notice'}",
            m["since"],
            _sources(m),
        )
    for n in doc["notes"]:
        table.add_row(f"note:{n['topic']}", _short(n["text"]), n["since"], _sources(n))
    parts = [head, version, table]
    if doc["pending"]:
        parts.append(pending(doc))
    return Group(*parts)


def _level(e: Doc) -> str:
    conflict = "armed conflict" if e["armed_conflict"] else "no armed conflict"
    return f"{e['level']} ({conflict})"


def _plain(e: Doc) -> str:
    skip = {"since", "amendments", "sources"}
    return ", ".join(f"{k}={v}" for k, v in e.items() if k not in skip and v is not None)


def pending(doc: Doc) -> Table:
    table = Table("amendment", "announced", "sources", title="Pending (announced, not in force)")
    for p in doc["pending"]:
        table.add_row(p["title"] or p["id"], p["announced_on"], _sources(p))
    return table


def timeline(doc: Doc) -> Table:
    table = Table(
        "announced",
        "in force",
        "status",
        "amendment",
        "sources",
        "changes",
        title=f"Timeline of {doc['country']} as known at {doc['known_at']}",
    )
    for a in doc["amendments"]:
        table.add_row(
            a["announced_on"],
            a["in_force_from"] or "—",
            a["status"],
            a["title"] or a["id"],
            _sources(a),
            str(len(a["changes"])),
        )
    return table


def history(doc: Doc) -> Table:
    table = Table(
        "from",
        "to",
        "value",
        "action",
        "amendment",
        title=f"History of {doc['element']} ({doc['country']})",
    )
    for i in doc["intervals"]:
        value = "—" if i["value"] is None else ", ".join(f"{k}={v}" for k, v in i["value"].items())
        table.add_row(
            i["valid_from"],
            i["valid_to"] or "…",
            value,
            i["action"],
            i["amendment"]["title"] or i["amendment"]["id"],
        )
    return table


def diff(doc: Doc) -> Table:
    table = Table(
        "element",
        "kind",
        "before",
        "after",
        "amendment",
        title=f"{doc['country']}: {doc['from']} → {doc['to']}",
    )
    for c in doc["changes"]:
        table.add_row(
            c["element"],
            c["kind"],
            _value(c["before"]),
            _value(c["after"]),
            (c["amendment"] or {}).get("title") or "",
        )
    return table


def _value(value: Doc | None) -> str:
    return "—" if value is None else _short(", ".join(f"{k}={v}" for k, v in value.items()))


def countries(rows: list[Doc]) -> Table:
    table = Table("country", "name", "version", "amendments", "last change")
    for r in rows:
        table.add_row(
            r["country"], r["name"], str(r["version"]), str(r["amendments"]), r["last_change"]
        )
    return table


def audit_summary(summary: Doc) -> Table:
    table = Table("", "count", title=f"Audit of {summary['decisions']} decisions")
    table.add_row("audited", str(summary["audited"]))
    table.add_row("rejected (bad rows)", str(summary["rejected"]))
    for name, key in (
        ("verdict", "verdicts"),
        ("record differs", "record_differs"),
        ("citation", "citations"),
    ):
        for value, count in sorted(summary[key].items()):
            table.add_row(f"{name}: {value}", str(count))
    return table


def show(console: Console, renderable: Any) -> None:
    console.print(renderable)


def integrity(doc: Doc) -> Group:
    """`policy-ledger verify`: ok with the digest and its signature, or the first break."""
    first = doc["first_broken"]
    if first is not None:
        lines = [
            Text(
                f"BROKEN: {first['country']} position {first['position']} ({first['reason']})",
                style="bold red",
            ),
            Text(first["detail"]),
            Text(f"expected hash: {first['expected'] or '—'}"),
            Text(f"found hash:    {first['found'] or '—'}"),
            Text(f"{doc['events']} events read; {len(doc['broken'])} chain(s) broken."),
        ]
        return Group(*lines)
    countries = len(doc["countries"])
    places = "country" if countries == 1 else "countries"
    lines = [
        Text(f"ok: {doc['events']} events in {countries} {places}", style="bold green"),
        Text(f"digest: {doc['digest']}"),
    ]
    if doc["legacy_events"]:
        lines.append(Text(f"{doc['legacy_events']} legacy events (stored before the chain)"))
    if doc["signature"]:
        lines.append(Text(f"signature: {doc['signature']} (key id {doc['key_id']})"))
    else:
        lines.append(Text("not signed: no signing key (policy-ledger init creates one)"))
    return Group(*lines)
