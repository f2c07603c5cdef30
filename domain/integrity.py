"""Verification of the stored log: every country's hash chain recomputed from the raw rows.

`read_log` reads the stored events table through the recorder (`select_notifications`, in
commit order) and decodes each row with the application's mapper, upcasters included.
`ChainVerifier` follows each country's chain through those rows. A chain breaks at the
first row that:
- cannot be decoded (`undecodable`: its bytes no longer make an event);
- belongs to no country's stream (`stream`);
- is not the next position of its country (`sequence`: an event deleted, or rows
  reordered; within a country, commit order is version order);
- cites another previous hash than the hash of the event before it (`link`);
- does not hash to its stored hash (`content`: payload, record time, author, type or
  position changed);
- has no stored hash after an event that has one (`unsealed`: only version 1 events, which
  predate the chain, may lack one);
- disagrees with a witness, the head the read model recorded for a position (`witness`),
  or is missing although the read model saw it (`missing`: a deleted last event leaves no
  gap behind).
Version 1 events are linked by computing their hash from their content; they are counted
as legacy events. A chain proves that the log was not changed after a digest was published
or signed; anyone who can write the store can still append a well-formed event, which only
a comparison with an earlier signed digest reveals.

`restore_log` writes verified entries (an import) into an empty store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, Notification
from eventsourcing.utils import get_topic

from domain import chain
from domain.countries import country_codes
from domain.domainmodel import CountryPolicy, event_link
from domain.errors import LedgerNotEmptyError
from domain.words import counted

PAGE = 1000
EVENT_CLASSES: dict[str, type[Any]] = {
    "Opened": CountryPolicy.Opened,
    "AmendmentRecorded": CountryPolicy.AmendmentRecorded,
    "InForceDateRecorded": CountryPolicy.InForceDateRecorded,
    "AmendmentRetracted": CountryPolicy.AmendmentRetracted,
}
TOPICS = {name: get_topic(cls) for name, cls in EVENT_CLASSES.items()}


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored event as the chain sees it."""

    notification_id: int
    country: str  # the stream's country; the originator id when it is no country's
    position: int  # the stored originator_version
    topic: str
    link: chain.Link | None  # None: the row could not be decoded
    hash: str | None  # as stored; None for a version 1 event
    error: str | None = None

    @property
    def legacy(self) -> bool:
        return self.link is not None and self.hash is None


@dataclass(frozen=True, slots=True)
class Verified:
    """An entry's link as its chain resolves it, and its hash."""

    link: chain.Link
    hash: str


@dataclass(frozen=True, slots=True)
class Witness:
    """What the read model recorded of a chain: its head at a position."""

    position: int
    head: str


@dataclass(frozen=True, slots=True)
class BrokenLink:
    country: str
    position: int
    reason: str
    expected: str | None
    found: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "position": self.position,
            "reason": self.reason,
            "expected": self.expected,
            "found": self.found,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class ChainSummary:
    country: str
    events: int
    head: str | None  # None when the chain is broken
    legacy_events: int


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    events: int
    chains: tuple[ChainSummary, ...]
    broken: tuple[BrokenLink, ...]  # the first break of each broken chain, in log order
    digest: str | None  # None when a chain is broken

    @property
    def ok(self) -> bool:
        return not self.broken

    @property
    def first_broken(self) -> BrokenLink | None:
        return self.broken[0] if self.broken else None

    @property
    def legacy_events(self) -> int:
        return sum(c.legacy_events for c in self.chains)

    def heads(self) -> dict[str, str]:
        return {c.country: c.head for c in self.chains if c.head is not None}


# Reading the raw rows -------------------------------------------------------------------


def read_log(app: Application[Any], *, page: int = PAGE) -> Iterator[LogEntry]:
    """Every stored event up to the head of the log when called, in commit order."""
    stop = app.recorder.max_notification_id()
    position = 0
    while stop is not None and position < stop:
        rows = app.recorder.select_notifications(start=position + 1, limit=page, stop=stop)
        if not rows:
            return
        for row in rows:
            yield log_entry(app.mapper, row)
        position = rows[-1].id


def log_entry(mapper: Mapper[Any], row: Notification) -> LogEntry:
    country = stream_countries().get(str(row.originator_id), str(row.originator_id))
    try:
        event: Any = mapper.to_domain_event(row)
        link = event_link(event, country, event.previous_hash or "")
        stored_hash = event.hash
    except Exception as error:  # any row that does not decode is a broken link, not a crash
        return LogEntry(row.id, country, row.originator_version, row.topic, None, None, str(error))
    return LogEntry(row.id, country, row.originator_version, row.topic, link, stored_hash)


@cache
def stream_countries() -> dict[str, str]:
    """Country codes by the id of their stream (ids are derived from the code)."""
    return {str(CountryPolicy.create_id(code)): code for code in country_codes()}


# Following the chains ---------------------------------------------------------------------


@dataclass
class _Chain:
    witness: Witness | None = None
    events: int = 0
    position: int = 0
    head: str = chain.GENESIS
    sealed: bool = False  # an event with a stored hash was seen
    legacy: int = 0
    broken: BrokenLink | None = None
    order: int = 0  # where in the log it broke


@dataclass
class ChainVerifier:
    """Follows every country's chain through log entries given in commit order."""

    witnesses: Mapping[str, Witness] = field(default_factory=dict)
    events: int = 0
    _chains: dict[str, _Chain] = field(default_factory=dict)

    def add(self, entry: LogEntry) -> Verified | None:
        """Checks the next entry; its link and hash while its chain holds, else None."""
        self.events += 1
        state = self._chains.get(entry.country)
        if state is None:
            state = self._chains[entry.country] = _Chain(self.witnesses.get(entry.country))
        state.events += 1
        if state.broken is not None:
            return None
        problem = _problem(entry, state)
        if problem is not None:
            state.broken, state.order = problem, self.events
            return None
        assert entry.link is not None
        link = entry.link
        if entry.hash is None:
            state.legacy += 1
            link = link.after(state.head)
            state.head = link.hash()
        else:
            state.head, state.sealed = entry.hash, True
        state.position = entry.position
        return Verified(link, state.head) if self._witnessed(entry, state) else None

    def _witnessed(self, entry: LogEntry, state: _Chain) -> bool:
        witness = state.witness
        if witness is None or witness.position != state.position or witness.head == state.head:
            return True
        detail = f"the read model recorded another hash for position {state.position}"
        state.broken = _broken(entry, "witness", witness.head, state.head, detail)
        state.order = self.events
        return False

    def report(self) -> IntegrityReport:
        for country, witness in self.witnesses.items():
            state = self._chains.setdefault(country, _Chain(witness))
            if state.broken is None and state.position < witness.position:
                detail = (
                    f"the read model saw position {witness.position}; "
                    f"the log ends at position {state.position}"
                )
                state.broken = BrokenLink(
                    country, state.position + 1, "missing", witness.head, None, detail
                )
                state.order = self.events + 1
        broken = sorted(
            ((s.order, s.broken) for s in self._chains.values() if s.broken is not None),
            key=lambda pair: pair[0],
        )
        chains = tuple(
            ChainSummary(c, s.events, None if s.broken else s.head, s.legacy)
            for c, s in sorted(self._chains.items())
        )
        report = IntegrityReport(self.events, chains, tuple(b for _, b in broken), None)
        if report.ok:
            return IntegrityReport(report.events, chains, (), chain.ledger_digest(report.heads()))
        return report


def _problem(entry: LogEntry, state: _Chain) -> BrokenLink | None:
    due = state.position + 1
    if entry.link is None:
        return _broken(entry, "undecodable", None, None, f"the row is not an event: {entry.error}")
    if entry.country not in country_codes():
        return _broken(entry, "stream", None, None, "the row belongs to no country's stream")
    if entry.position != due:
        detail = (
            f"position {entry.position} comes where position {due} is due: "
            "an event is missing or the rows were reordered"
        )
        found = entry.link.previous_hash if entry.hash is not None else None
        return BrokenLink(entry.country, due, "sequence", state.head, found, detail)
    if entry.hash is None:
        if state.sealed:
            detail = "the event has no stored hash though an earlier event has one"
            return _broken(entry, "unsealed", None, None, detail)
        return None
    if entry.link.previous_hash != state.head:
        detail = f"the event does not cite the hash of position {entry.position - 1}"
        return _broken(entry, "link", state.head, entry.link.previous_hash, detail)
    computed = entry.link.hash()
    if computed != entry.hash:
        detail = "the stored event does not hash to its stored hash: its content was changed"
        return _broken(entry, "content", entry.hash, computed, detail)
    return None


def _broken(
    entry: LogEntry, reason: str, expected: str | None, found: str | None, detail: str
) -> BrokenLink:
    return BrokenLink(entry.country, entry.position, reason, expected, found, detail)


def verify_entries(
    entries: Iterable[LogEntry], witnesses: Mapping[str, Witness] | None = None
) -> IntegrityReport:
    verifier = ChainVerifier(witnesses or {})
    for entry in entries:
        verifier.add(entry)
    return verifier.report()


def verify_log(
    app: Application[Any], witnesses: Mapping[str, Witness] | None = None
) -> IntegrityReport:
    """Every chain of the stored log, recomputed from the raw rows.

    Witnesses must be read before the log: the read model never runs ahead of the log, so a
    witness beyond the log's end means events were removed.
    """
    return verify_entries(read_log(app), witnesses)


# Writing verified entries into an empty store --------------------------------------------


def restore_log(app: Application[Any], entries: Sequence[LogEntry]) -> int:
    """Stores the entries (verified, each with its hash) as they were recorded: same
    streams, positions, record times, payloads and hashes. Only into an empty store."""
    held = app.recorder.max_notification_id() or 0
    if held:
        raise LedgerNotEmptyError(
            f"the store already holds {counted(held, 'event')}: import only into an empty store"
        )
    stored = [app.mapper.to_stored_event(domain_event(e)) for e in entries]
    try:
        app.recorder.insert_events(stored)
    except IntegrityError:
        raise LedgerNotEmptyError("another writer stored events while importing") from None
    return len(stored)


def domain_event(entry: LogEntry) -> Any:
    """The event an entry describes, with the hashes it carries."""
    link = entry.link
    assert link is not None, "restore verified entries only"
    assert entry.hash is not None, "restore verified entries only"
    event_class = EVENT_CLASSES[link.event]
    common: dict[str, Any] = {
        "originator_id": CountryPolicy.create_id(link.country),
        "originator_version": link.position,
        "timestamp": dt.datetime.fromisoformat(link.recorded_at),
        "previous_hash": link.previous_hash,
        "hash": entry.hash,
    }
    if event_class is CountryPolicy.Opened:
        return event_class(
            originator_topic=get_topic(CountryPolicy), country=link.country, **common
        )
    return event_class(payload=dict(link.payload), **common)
