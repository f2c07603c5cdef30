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

from domain.words import counted

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
    where = ""
    if "place" in doc:
        place = doc["place"]
        named = [f"{place['name']} ({place['region']})"] if place["region"] else []
        named += [f"area {a}" for a in place["areas"]]
        where = f", for a person from {', '.join(named)}"
    head = Text(
        f"{doc['name']} ({doc['country']}) on {doc['on']}, as known at {doc['known_at']}"
        + _published(doc)
        + where,
        style="bold",
    )
    if not doc["coverage"]:
        parts: list[Any] = [head, Text("No recorded policy for this date.", style="yellow")]
        notes = Notes("Sources:")
        parts += pending(doc, notes) if doc["pending"] else []
        parts += attested(doc) if doc.get("attested_later") else []
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
        text = f"{g['category']}: {g['label_en']} / {g['label_nl']}"
        row(_scoped(f"group:{g['id']}", g), text + _except(g), g)
    for g in doc.get("declined_groups", []):
        text = f"NOT {g['category']}: {g['label_en']} / {g['label_nl']}"
        row(_scoped(f"group:{g['id']}", g), text, g)
    for key in ("protection", "internal_protection_alternative"):
        for name, e in doc[key].items():
            row(_scoped(f"{key}:{name}", e), _plain(e), e)
    if "place" in doc:  # resolved: one Article 15(c) value, from the place it came from
        if doc["article_15c"]:
            row(
                _scoped("article_15c", doc["article_15c"]),
                _level(doc["article_15c"]),
                doc["article_15c"],
            )
    elif doc["article_15c"]["default"]:
        row(
            "article_15c:default",
            _level(doc["article_15c"]["default"]),
            doc["article_15c"]["default"],
        )
    for code, e in ({} if "place" in doc else doc["article_15c"]["regions"]).items():
        row(f"article_15c:{code}", f"{e['name']}: {_level(e)}", e)
    if doc["unaccompanied_minors"]:
        e = doc["unaccompanied_minors"]
        row(
            "unaccompanied_minors",
            "adequate reception" if e["adequate"] else "no adequate reception",
            e,
        )
    for m in doc["moratoria"]:
        end = "no end stated"
        if m["until"]:
            end = f"through {m.get('through')}, until {m['until']}"
        row(_scoped(f"moratorium:{m['kind']}", m), end + _except(m), m)
    for n in doc["notes"]:
        row(f"note:{n['topic']}", _short(n["text"]), n)
    parts = [head, version, table]
    if doc["pending"]:
        parts += pending(doc, notes)
    if doc.get("attested_later"):
        parts += attested(doc)
    return Group(*parts, *notes.parts())


def _scoped(element: str, e: Doc) -> str:
    """An element's name with the place its rule holds for, when it says (`scope`)."""
    scope = e.get("scope")
    return f"{element} [{scope}]" if scope else element


def attested(doc: Doc) -> list[Any]:
    """Elements an attestation in force after the date states (start unknown)."""
    table = _table("element", "value", "from")
    table.columns[0].max_width = 30
    table.columns[2].no_wrap = True
    for a in doc["attested_later"]:
        v = a["value"]
        if a["element"].startswith("group:"):
            no = "NOT " if v.get("declined") else ""
            text = f"{no}{v['category']}: {v['label_en']} / {v['label_nl']}"
        else:
            text = _plain(v)
        table.add_row(a["element"], text, a["attested_from"])
    title = "Attested from a later date (since when is not recorded):"
    return [Text(title, style="bold"), table]


def _level(e: Doc) -> str:
    """A level, or only a bound ("at most higher"); armed conflict when stated."""
    text = e["level"] if e.get("level") else f"at most {e.get('at_most')} (no level stated)"
    if e.get("armed_conflict") is not None:
        text += " (armed conflict)" if e["armed_conflict"] else " (no armed conflict)"
    return text + _except(e)


def _except(e: Doc) -> str:
    """Who the rule does not apply to, as stated."""
    exceptions = e.get("exceptions") or []
    return "; except: " + "; ".join(x["text"] for x in exceptions) if exceptions else ""


def _plain(e: Doc) -> str:
    skip = {"since", "amendments", "sources", "exceptions", "scope"}
    parts = []
    for k, v in e.items():
        if k in skip or v is None:
            continue
        parts.append(f"{k}={','.join(v)}" if isinstance(v, list) else f"{k}={v}")
    return ", ".join(parts) + _except(e)


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
        value = "—" if i["value"] is None else _stated(i["value"])
        table.add_row(
            i["valid_from"],
            i["valid_to"] or "…",
            value,
            i["action"],
            notes.mark(i["amendment"]["title"] or i["amendment"]["id"]),
        )
    head = Text(f"History of {doc['element']} ({doc['country']})", style="bold")
    return Group(head, table, *notes.parts())


def _stated(value: Doc) -> str:
    """A value as stored, `key=value`: a moratorium's derived `through` (the day before
    `until`, in every JSON answer) is left out of the narrow history table."""
    shown = {k: v for k, v in value.items() if k != "through" or "until" not in value}
    return ", ".join(f"{k}={v}" for k, v in shown.items())


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
    return "—" if value is None else _short(_stated(value))


def countries(rows: list[Doc]) -> Table:
    table = _table("country", "name", "version", "amendments", "last change")
    for column in (2, 3):
        table.columns[column].justify = "right"
    for r in rows:
        table.add_row(
            r["country"], r["name"], str(r["version"]), str(r["amendments"]), r["last_change"]
        )
    return table


def token_list(rows: list[Doc]) -> Table | Text:
    """The stored tokens (no hash); moments to the minute, in UTC."""
    if not rows:
        return Text("No tokens in the store (policy-ledger token create).")
    table = _table("id", "subject", "role", "created", "expires", "state")
    for r in rows:
        table.add_row(
            r["id"],
            r["subject"],
            r["role"],
            _minute(r["created"]),
            _minute(r["expires"]) if r["expires"] else "never",
            f"{r['state']} {_minute(r['revoked'])}" if r["revoked"] else r["state"],
        )
    return table


def _minute(iso: str) -> str:
    """2025-01-01T09:00:00.123+00:00 -> 2025-01-01 09:00Z"""
    return f"{iso[:10]} {iso[11:16]}Z"


def audit_summary(summary: Doc) -> Group:
    table = _table("", "count")
    table.columns[1].justify = "right"
    table.add_row("audited", str(summary["audited"]))
    table.add_row("rejected (bad rows)", str(summary["rejected"]))
    for name, key in (
        ("verdict", "verdicts"),
        ("record differs", "record_differs"),
        ("citation", "citations"),
        ("cited text", "cited"),
        ("finding", "findings"),
    ):
        for value, count in sorted(summary.get(key, {}).items()):
            table.add_row(f"{name}: {value}", str(count))
    warned = summary.get("warnings", {}).get("unknown_groups", 0)
    if warned:
        table.add_row("warning: unknown groups", str(warned))
    title = f"Audit of {counted(summary['decisions'], 'decision')}"
    if "basis" in summary:
        title += f" (basis: {summary['basis']})"
    return Group(Text(title, style="bold"), table)


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
            Text(
                f"{counted(doc['events'], 'event')} read; "
                f"{counted(len(doc['broken']), 'chain')} broken."
            ),
        ]
        return Group(*lines)
    places = counted(len(doc["countries"]), "country", "countries")
    lines = [
        Text(f"ok: {counted(doc['events'], 'event')} in {places}", style="bold green"),
        Text(f"digest: {doc['digest']}"),
    ]
    if doc["legacy_events"]:
        lines.append(
            Text(f"{counted(doc['legacy_events'], 'legacy event')} (stored before the chain)")
        )
    if doc["signature"]:
        lines.append(Text(f"signature: {doc['signature']} (key id {doc['key_id']})"))
    else:
        lines.append(Text("not signed: no signing key (policy-ledger init creates one)"))
    return Group(*lines)


def _published(doc: Doc) -> str:
    """ ", published by P" when the answer counts only what was published by P."""
    return f", published by {doc['published_by']}" if "published_by" in doc else ""
