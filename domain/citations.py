"""The policy texts a decision cites ("WBV 2024/27", "Kamerstuk 19637, nr. 3318"), checked
against the amendments whose sources are those texts.

A citation matches a source when the shorter of their runs of numbers (two at least; for
an ECLI, its parts after "ECLI": country, court, year, number) appears, in order and
together, in the longer, and the kind of text the citation names (Kamerstuk, WBV,
Staatscourant, ECLI), if any, is the source's kind: "Kamerstuk 19637, nr. 3318" matches
"Kamerstukken II 2024/25, 19637, nr. 3318", and the other way round. A text no amendment's
source matches is `unknown`: the ledger cannot say. Of the matching amendments, one that
was published (or recorded, on that basis) by the decision date, in force on it and still
holding part of the policy makes the citation `in_force`; otherwise it is `not_in_force`,
with why: `pending` (no in-force date known then), `retracted`, `later` (published or in
force only after the decision date), or `superseded` (in force, but none of its statements
held on that date any more).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from sys import intern
from typing import Any

from domain.records import AmendmentRecord
from events.vocabulary import Source

IN_FORCE = "in_force"
NOT_IN_FORCE = "not_in_force"
UNKNOWN = "unknown"
KINDS = {
    "kamerstuk": "kamerstuk",
    "kamerstukken": "kamerstuk",
    "kst": "kamerstuk",
    "wbv": "wbv",
    "stcrt": "staatscourant",
    "staatscourant": "staatscourant",
    "ecli": "ecli",
}
_TOKEN = re.compile(r"[a-z]+|[0-9]+")
# Why a matching amendment did not apply, from the most telling to the least.
WHY = ("superseded", "later", "pending", "retracted")


def _tokens(text: str) -> tuple[str | None, tuple[str, ...]]:
    words = _TOKEN.findall(text.lower())
    kind = next((KINDS[w] for w in words if w in KINDS), None)
    if kind == "ecli":  # the court's code tells rulings of one year and number apart
        return kind, tuple(_number(w) for w in words[words.index("ecli") + 1 :])
    numbers = tuple(_number(w) for w in words if w.isdigit())
    return kind, numbers


def _number(word: str) -> str:
    return word.lstrip("0") or "0" if word.isdigit() else word


Tokens = tuple[str | None, tuple[str, ...]]


def matches(cited: str, source: Source) -> bool:
    return matching_tokens(_tokens(cited), source)


def matching_tokens(cited: Tokens, source: Source) -> bool:
    return _matching(cited, _tokens(source.reference), source.kind.value)


def _matching(cited: Tokens, source: Tokens, source_kind: str) -> bool:
    kind, numbers = cited
    if kind is not None and kind != (source[0] or source_kind):
        return False
    # Either may give more numbers (a year, a session): the shorter run, of two numbers at
    # least, stands together in the longer.
    short, long = sorted((numbers, source[1]), key=len)
    n = len(short)
    return n >= 2 and any(long[i : i + n] == short for i in range(len(long) - n + 1))


def _pairs(numbers: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(numbers[i], numbers[i + 1]) for i in range(len(numbers) - 1)}


# Texts remembered per index: decisions cite a few texts over and over (a file of random
# texts must not grow memory: 4,096 per country held 125,000 lists in the benchmark).
MATCHED = 256


class CitationIndex:
    """The records of a country by each pair of neighbouring numbers their sources give: a
    citation and a source that match share the first pair of the shorter run, so a
    citation is compared with the few records that share one of its pairs."""

    def __init__(self, records: Iterable[AmendmentRecord]) -> None:
        # Only the pairs are kept (a source's tokens are read again for the few records a
        # new text shares a pair with): an audit holds an index per country.
        self._by_pair: dict[tuple[str, str], list[AmendmentRecord]] = {}
        self._matched: dict[str, list[AmendmentRecord]] = {}
        for record in records:
            pairs = {p for s in record.sources for p in _pairs(_tokens(s.reference)[1])}
            for first, second in pairs:
                self._by_pair.setdefault((intern(first), intern(second)), []).append(record)

    def matching(self, cited: str) -> list[AmendmentRecord]:
        """The records one of whose sources the citation matches, in order of position
        (remembered for the last texts asked about: an audit meets the same few often)."""
        found = self._matched.get(cited)
        if found is None:
            if len(self._matched) >= MATCHED:
                self._matched.clear()
            found = self._matched[cited] = self._matching(cited)
        return found

    def _matching(self, cited: str) -> list[AmendmentRecord]:
        tokens = _tokens(cited)
        candidates = {r.id: r for pair in _pairs(tokens[1]) for r in self._by_pair.get(pair, ())}
        found = [
            r for r in candidates.values() if any(matching_tokens(tokens, s) for s in r.sources)
        ]
        return sorted(found, key=lambda r: r.position)


def check_cited(
    cited: str,
    records: Iterable[AmendmentRecord],
    on: dt.date,
    view: Callable[[AmendmentRecord], tuple[AmendmentRecord | None, dt.datetime]],
    holds: Callable[[str], bool],
) -> dict[str, Any]:
    """One cited text checked: `view` gives a record as the basis saw it on the decision
    date (None: not yet published or recorded) and the moment to read it at; `holds` says
    whether an amendment still held part of the policy on `on`."""
    found = []
    for record in records:
        if any(matches(cited, s) for s in record.sources):
            found.append(
                {"id": record.id, "title": record.title, "status": _status(record, on, view, holds)}
            )
    if not found:
        return {"text": cited, "status": UNKNOWN, "why": None, "amendments": []}
    statuses = {a["status"] for a in found}
    if IN_FORCE in statuses:
        return {"text": cited, "status": IN_FORCE, "why": None, "amendments": found}
    why = next(w for w in WHY if w in statuses)
    return {"text": cited, "status": NOT_IN_FORCE, "why": why, "amendments": found}


def _status(
    record: AmendmentRecord,
    on: dt.date,
    view: Callable[[AmendmentRecord], tuple[AmendmentRecord | None, dt.datetime]],
    holds: Callable[[str], bool],
) -> str:
    seen, at = view(record)
    if seen is None:
        return "later"
    if seen.is_retracted(at):
        return "retracted"
    in_force = seen.in_force_as_of(at)
    if in_force is None:
        return "pending"
    if in_force > on:
        return "later"
    return IN_FORCE if holds(record.id) else "superseded"
