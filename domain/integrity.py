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
- disagrees with a witness, a head recorded earlier for a position: by the read model
  (`witness`) or by a checkpoint kept in the store (`checkpoint`, domain.checkpoints), or is
  missing although a witness saw it (`missing`: a deleted last event leaves no gap behind).
Version 1 events are linked by computing their hash from their content; they are counted
as legacy events. A chain proves that the log was not changed after a digest was published
or signed; anyone who can write the store can still append a well-formed event, or rewrite
a chain to its end, which only a comparison with heads recorded earlier (the witnesses)
reveals.

`restore_log` writes verified entries (an import) into an empty store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Mapper, Notification
from eventsourcing.utils import get_topic

from domain import chain
from domain.countries import country_codes
from domain.domainmodel import CountryPolicy, event_link
from domain.errors import LedgerError, LedgerNotEmptyError
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
    """What was recorded earlier of a chain: its head at a position, and by whom (the
    reason a disagreement is reported under, and the words that name the recorder)."""

    position: int
    head: str
    reason: str = "witness"
    source: str = "the read model"


Witnesses = Mapping[str, Sequence[Witness]]  # country -> what was recorded of its chain


@dataclass(frozen=True, slots=True)
class BrokenLink:
    country: str
    position: int
    reason: str
    expected: str | None
    found: str | None
    detail: str

    def describe(self) -> str:
        """The link in one line, as refusals name it."""
        return f"{self.country} position {self.position} ({self.reason}): {self.detail}"

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
    position: int = 0  # the notification id of the last event read
    digest_at: str | None = None  # the digest at the position asked for, when every chain held

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


class SealMismatchError(LedgerError):
    """The read model an answer was computed from is not what the log says at its position:
    its digest is not signed."""

    title = "Read model does not match the log"


class BrokenChainError(LedgerError):
    """The ledger's chains do not hold: nothing is signed or copied from it."""

    title = "Ledger chain broken"

    def __init__(self, report: IntegrityReport, refused: str) -> None:
        first = report.first_broken
        assert first is not None, "a broken ledger names its first broken link"
        super().__init__(f"{refused}: {first.describe()}; run policy-ledger verify")
        self.report = report
        self.first = first

    def members(self) -> dict[str, Any]:
        """What a problem document adds: every broken link, the first first."""
        return {
            "first_broken": self.first.to_json(),
            "broken": [b.to_json() for b in self.report.broken],
            "events": self.report.events,
        }


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
    witnesses: dict[int, list[Witness]] = field(default_factory=dict)  # by position
    events: int = 0
    position: int = 0
    head: str = chain.GENESIS
    sealed: bool = False  # an event with a stored hash was seen
    legacy: int = 0
    broken: BrokenLink | None = None
    order: int = 0  # where in the log it broke


@dataclass
class ChainVerifier:
    """Follows every country's chain through log entries given in commit order.

    `witnesses`: heads recorded earlier, checked where each chain passes their positions;
    `broken`: problems found beside the log (in the checkpoints), reported after its own;
    `digest_at`: a log position (notification id) to give the ledger digest at."""

    witnesses: Witnesses = field(default_factory=dict)
    broken: Sequence[BrokenLink] = ()
    digest_at: int | None = None
    events: int = 0
    position: int = 0
    _chains: dict[str, _Chain] = field(default_factory=dict)
    _digest_at: str | None = None

    def add(self, entry: LogEntry) -> Verified | None:
        """Checks the next entry; its link and hash while its chain holds, else None."""
        self._pass(entry.notification_id)
        self.events += 1
        self.position = entry.notification_id
        state = self._chains.get(entry.country)
        if state is None:
            state = self._chains[entry.country] = self._new_chain(entry.country)
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

    def _new_chain(self, country: str) -> _Chain:
        state = _Chain()
        for witness in self.witnesses.get(country, ()):
            state.witnesses.setdefault(witness.position, []).append(witness)
        return state

    def _pass(self, notification_id: int | None) -> None:
        """Takes the digest asked for once the log passes its position (None: at the end)."""
        if self.digest_at is None or self._digest_at is not None:
            return
        if notification_id is None or notification_id > self.digest_at:
            heads = {c: s.head for c, s in self._chains.items() if s.events}
            self._digest_at = chain.ledger_digest(dict(sorted(heads.items())))

    def _witnessed(self, entry: LogEntry, state: _Chain) -> bool:
        for witness in state.witnesses.get(state.position, ()):
            if witness.head != state.head:
                detail = f"{witness.source} recorded another hash for position {state.position}"
                state.broken = _broken(entry, witness.reason, witness.head, state.head, detail)
                state.order = self.events
                return False
        return True

    def report(self) -> IntegrityReport:
        self._pass(None)
        for country in self.witnesses:
            state = self._chains.get(country)
            if state is None:
                state = self._chains[country] = self._new_chain(country)
            if state.broken is None and state.witnesses and state.position < max(state.witnesses):
                last = max(state.witnesses)
                witness = state.witnesses[last][0]
                detail = (
                    f"{witness.source} saw position {last}; "
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
            if s.events or s.broken
        )
        found = (*(b for _, b in broken), *self.broken)
        report = IntegrityReport(self.events, chains, found, None, self.position)
        if report.ok:
            digest = chain.ledger_digest(report.heads())
            return replace(report, digest=digest, digest_at=self._digest_at)
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


def verify_entries(entries: Iterable[LogEntry], verifier: ChainVerifier) -> IntegrityReport:
    for entry in entries:
        verifier.add(entry)
    return verifier.report()


def verify_log(app: Application[Any], verifier: ChainVerifier | None = None) -> IntegrityReport:
    """Every chain of the stored log, recomputed from the raw rows (by `verifier`, which
    holds the witnesses; none by default).

    Witnesses must be read before the log: they never run ahead of it, so a witness beyond
    the log's end means events were removed.
    """
    return verify_entries(read_log(app), verifier or ChainVerifier())


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
