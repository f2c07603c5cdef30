"""Human output of the CLI: the same documents as `--json`, laid out to fit the screen.

Every table is borderless, its cells wrap, and what would make a row wide (the sources
behind an element, the amendment behind a change) is a numbered note listed under the
table. On a pipe or in a file the width is always 80 columns (`Output`), so the output is
the same on every machine and the README's examples can be checked against it.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, ConsoleDimensions, Group
from rich.table import Table
from rich.text import Text

Doc = dict[str, Any]

WIDTH = 80  # columns, when the output is not a terminal


class Output(Console):
    """A console that fits a terminal, and writes WIDTH columns anywhere else (a pipe, a
    file, a test), whatever COLUMNS or the terminal that started the command says."""

    @property
    def size(self) -> ConsoleDimensions:
        if not self.is_terminal:
            return ConsoleDimensions(WIDTH, 25)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


class Notes:
    """Numbered notes under a table: one number per distinct text, in order of first use."""

    def __init__(self, heading: str) -> None:
        self.heading = heading
        self.numbers: dict[str, int] = {}

    def mark(self, text: str) -> str:
        if not text:
            return ""
        return f"[{self.numbers.setdefault(text, len(self.numbers) + 1)}]"

    def legend(self) -> Table:
        table = Table(box=None, show_header=False, pad_edge=False, title=None)
        table.add_column(no_wrap=True)
        table.add_column(overflow="fold")
        for text, number in self.numbers.items():
            table.add_row(f"[{number}]", text)
        return table

    def parts(self) -> list[Any]:
        return [Text(self.heading), self.legend()] if self.numbers else []


def _table(*columns: str) -> Table:
    """A borderless table under a rule: cells wrap, the first column never breaks."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=None)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _all_sources(doc: Doc) -> str:
    return "; ".join(s["reference"] for s in doc.get("sources", []))


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def policy(doc: Doc) -> Group:
    head = Text(
        f"{doc['name']} ({doc['country']}) on {doc['on']}, as known at {doc['known_at']}"
        + _published(doc),
        style="bold",
    )
    if not doc["coverage"]:
        parts: list[Any] = [head, Text("No recorded policy for this date.", style="yellow")]
        notes = Notes("Sources:")
        parts += pending(doc, notes) if doc["pending"] else []
        return Group(*parts, *notes.parts())
    version = Text(
        f"version {doc['version_id'][:12]}… valid {doc['valid_from']} to {doc['valid_to'] or '…'}"
    )
    notes = Notes("Sources:")
    table = _table("element", "value", "since", "src")
    table.columns[0].max_width = 30
    table.columns[2].no_wrap = True

    def row(element: str, value: str, e: Doc) -> None:
        table.add_row(element, value, e["since"], notes.mark(_all_sources(e)))

    for g in doc["groups"]:
        row(f"group:{g['id']}", f"{g['category']}: {g['label_en']} / {g['label_nl']}", g)
    for key in ("protection", "internal_protection_alternative"):
        for name, e in doc[key].items():
            row(f"{key}:{name}", _plain(e), e)
    if doc["article_15c"]["default"]:
        row(
            "article_15c:default",
            _level(doc["article_15c"]["default"]),
            doc["article_15c"]["default"],
        )
    for code, e in doc["article_15c"]["regions"].items():
        row(f"article_15c:{code}", f"{e['name']}: {_level(e)}", e)
    if doc["unaccompanied_minors"]:
        e = doc["unaccompanied_minors"]
        row(
            "unaccompanied_minors",
            "adequate reception" if e["adequate"] else "no adequate reception",
            e,
        )
    for m in doc["moratoria"]:
        row(f"moratorium:{m['kind']}", f"until {m['until'] or 'further notice'}", m)
    for n in doc["notes"]:
        row(f"note:{n['topic']}", _short(n["text"]), n)
    parts = [head, version, table]
    if doc["pending"]:
        parts += pending(doc, notes)
    return Group(*parts, *notes.parts())


def _level(e: Doc) -> str:
    conflict = "armed conflict" if e["armed_conflict"] else "no armed conflict"
    return f"{e['level']} ({conflict})"


def _plain(e: Doc) -> str:
    skip = {"since", "amendments", "sources"}
    return ", ".join(f"{k}={v}" for k, v in e.items() if k not in skip and v is not None)


def pending(doc: Doc, notes: Notes) -> list[Any]:
    """The pending amendments of a policy answer; their sources join the answer's notes."""
    table = _table("amendment", "announced", "src")
    table.columns[1].no_wrap = True
    for p in doc["pending"]:
        table.add_row(p["title"] or p["id"], p["announced_on"], notes.mark(_all_sources(p)))
    return [Text("Pending (announced, not in force):", style="bold"), table]


def timeline(doc: Doc) -> Group:
    notes = Notes("Sources:")
    table = _table("announced", "in force", "status", "amendment", "changes", "src")
    for column in (0, 1, 2):
        table.columns[column].no_wrap = True
    table.columns[4].justify = "right"
    for a in doc["amendments"]:
        table.add_row(
            a["announced_on"],
            a["in_force_from"] or "—",
            a["status"],
            a["title"] or a["id"],
            str(len(a["changes"])),
            notes.mark(_all_sources(a)),
        )
    head = Text(
        f"Timeline of {doc['country']} as known at {doc['known_at']}{_published(doc)}",
        style="bold",
    )
    return Group(head, table, *notes.parts())


def history(doc: Doc) -> Group:
    notes = Notes("Amendments:")
    table = _table("from", "to", "value", "action", "act")
    table.columns[0].no_wrap = True
    table.columns[1].no_wrap = True
    for i in doc["intervals"]:
        value = "—" if i["value"] is None else ", ".join(f"{k}={v}" for k, v in i["value"].items())
        table.add_row(
            i["valid_from"],
            i["valid_to"] or "…",
            value,
            i["action"],
            notes.mark(i["amendment"]["title"] or i["amendment"]["id"]),
        )
    head = Text(f"History of {doc['element']} ({doc['country']})", style="bold")
    return Group(head, table, *notes.parts())


def diff(doc: Doc) -> Group:
    notes = Notes("Amendments:")
    table = _table("element", "kind", "before", "after", "act")
    for c in doc["changes"]:
        table.add_row(
            c["element"],
            c["kind"],
            _value(c["before"]),
            _value(c["after"]),
            notes.mark((c["amendment"] or {}).get("title") or ""),
        )
    head = Text(f"{doc['country']}: {doc['from']} → {doc['to']}", style="bold")
    return Group(head, table, *notes.parts())


def _value(value: Doc | None) -> str:
    return "—" if value is None else _short(", ".join(f"{k}={v}" for k, v in value.items()))


def countries(rows: list[Doc]) -> Table:
    table = _table("country", "name", "version", "amendments", "last change")
    for column in (2, 3):
        table.columns[column].justify = "right"
    for r in rows:
        table.add_row(
            r["country"], r["name"], str(r["version"]), str(r["amendments"]), r["last_change"]
        )
    return table


def audit_summary(summary: Doc) -> Group:
    table = _table("", "count")
    table.columns[1].justify = "right"
    table.add_row("audited", str(summary["audited"]))
    table.add_row("rejected (bad rows)", str(summary["rejected"]))
    for name, key in (
        ("verdict", "verdicts"),
        ("record differs", "record_differs"),
        ("citation", "citations"),
    ):
        for value, count in sorted(summary[key].items()):
            table.add_row(f"{name}: {value}", str(count))
    return Group(Text(f"Audit of {summary['decisions']} decisions", style="bold"), table)


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


def _published(doc: Doc) -> str:
    """ ", published by P" when the answer counts only what was published by P."""
    return f", published by {doc['published_by']}" if "published_by" in doc else ""
