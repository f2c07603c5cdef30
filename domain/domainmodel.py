"""The country policy aggregate: one event stream per country, one event per legal act.

Every event is a link of the country's hash chain (domain.chain): the aggregate computes
each new event's hash from its current head, so a stored event carries `previous_hash` and
`hash`, and the library's optimistic concurrency (one event per version) keeps the chain
from forking. Stored hashes are taken as they are here; `domain.integrity` checks them.
"""

from __future__ import annotations

import datetime as dt
from copy import deepcopy
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from domain import chain
from domain.commands import AmendmentDraft
from domain.errors import (
    AmendmentNotFoundError,
    AmendmentRetractedError,
    InForceDateAlreadyKnownError,
)
from domain.fold import ElementLines, record_effects
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord
from domain.rules import (
    check_amendment,
    check_moratoria_start,
    check_publication,
    check_source,
)
from events import payloads, upcasting
from events.vocabulary import Source

COUNTRY_POLICY_NAMESPACE = uuid5(NAMESPACE_URL, "https://policy-ledger.example/country-policy")
ONE_TICK = dt.timedelta(microseconds=1)


class CountryPolicy(Aggregate):
    """Everything recorded about one country's policy, in record order."""

    class Opened(Aggregate.Created):
        """The country's stream begins (always saved with its first amendment).

        Version 2 added `previous_hash` and `hash`; see `upcast_v1_v2`.
        """

        class_version = 2
        country: str
        previous_hash: str | None
        hash: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _unchained(state)

        def apply(self, aggregate: CountryPolicy) -> None:
            aggregate.head = chain_hash(self, aggregate.country, chain.GENESIS)

    class Chained(Aggregate.Event):
        """An event after Opened: a payload, and its link in the country's hash chain.

        Version 1 events were stored before the chain existed and hold no hashes;
        `upcast_v1_v2` reads them with `previous_hash` and `hash` None. Their links are
        computed when they are read (from their stored content and the head before them),
        so the first version 2 event after them commits to them through its
        `previous_hash`; until one is recorded, a version 1 event at the end of a stream is
        covered by no stored hash. `policy-ledger verify` counts them as legacy events.
        """

        class_version = 2
        payload: dict[str, Any]
        previous_hash: str | None
        hash: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _unchained(state)

        def apply(self, aggregate: CountryPolicy) -> None:
            aggregate.head = chain_hash(self, aggregate.country, aggregate.head)
            self.fold(aggregate)

        def fold(self, aggregate: CountryPolicy) -> None:
            raise NotImplementedError

    class AmendmentRecorded(Chained):
        def fold(self, aggregate: CountryPolicy) -> None:
            aggregate.on_amendment_recorded(self)

    class InForceDateRecorded(Chained):
        def fold(self, aggregate: CountryPolicy) -> None:
            aggregate.on_in_force_date_recorded(self)

    class AmendmentRetracted(Chained):
        """Version 2: the payload cites the act that withdrew the amendment (`source`);
        version 3: the hash chain (as every Chained event's version 2)."""

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["payload"] = upcasting.amendment_retracted_v1_v2(state["payload"])

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            _unchained(state)

        def fold(self, aggregate: CountryPolicy) -> None:
            aggregate.on_amendment_retracted(self)

    @staticmethod
    def create_id(country: str) -> UUID:
        return uuid5(COUNTRY_POLICY_NAMESPACE, country)

    @classmethod
    def open(cls, country: str, at: dt.datetime) -> CountryPolicy:
        first = chain.link(
            "Opened", country, cls.INITIAL_VERSION, at, chain.opened_payload(country), chain.GENESIS
        )
        return cls._create(
            cls.Opened,
            country=country,
            timestamp=at,
            previous_hash=chain.GENESIS,
            hash=first.hash(),
        )

    def __init__(self, country: str) -> None:
        self.country = country
        self.amendments: dict[str, AmendmentRecord] = {}
        self.head = chain.GENESIS  # the hash of the last event applied
        # The element lines of the amendments as known now, kept current by the handlers
        # below: the rules read a state on any date from them without refolding history.
        self.known = ElementLines()

    def __deepcopy__(self, memo: dict[int, Any]) -> CountryPolicy:
        """A copy for a reader that may change it (what-if answers try drafts on one);
        commands change the cached aggregate itself (domain.application). The records are
        immutable and shared, the lines copied on write."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.amendments = dict(self.amendments)
        copy.known = deepcopy(self.known, memo)
        copy._pending_events = list(self._pending_events)
        return copy

    # Commands -------------------------------------------------------------------------

    def record_amendment(self, draft: AmendmentDraft, author: str, at: dt.datetime) -> str:
        check_amendment(self.country, draft, self.amendments.values(), self.known)
        payload = payloads.AmendmentRecorded(
            amendment_id=str(uuid4()),
            country=self.country,
            author=author,
            **draft.model_dump(),
        )
        self._trigger(self.AmendmentRecorded, payload.model_dump(mode="json"), at)
        return payload.amendment_id

    def record_in_force_date(
        self,
        amendment_id: str,
        in_force_from: dt.date,
        author: str,
        at: dt.datetime,
        announced_on: dt.date | None = None,
    ) -> None:
        """`announced_on`: when the in-force date was published; None: the day it is
        recorded (stored as absent, read so)."""
        record = self.check_live(amendment_id)
        check_moratoria_start(record.changes, in_force_from, field="in_force_from")
        check_publication(announced_on, record, at, field="announced_on")
        if record.in_force_as_of(self.modified_on) is not None:
            raise InForceDateAlreadyKnownError(
                f"amendment {amendment_id} is already in force from "
                f"{record.in_force_as_of(self.modified_on)}; retract it and record a correction",
                field="in_force_from",
            )
        payload = payloads.InForceDateRecorded(
            amendment_id=amendment_id,
            country=self.country,
            in_force_from=in_force_from,
            author=author,
            announced_on=announced_on,
        )
        self._trigger(self.InForceDateRecorded, payload.model_dump(mode="json"), at)

    def retract(
        self,
        amendment_id: str,
        reason: str,
        author: str,
        at: dt.datetime,
        source: Source | None = None,
        announced_on: dt.date | None = None,
    ) -> None:
        """`announced_on`: when the retraction was published; None: the day it is recorded."""
        record = self.check_live(amendment_id)
        if source is not None:
            check_source(source, field="source")
        check_publication(announced_on, record, at, field="announced_on")
        payload = payloads.AmendmentRetracted(
            amendment_id=amendment_id,
            country=self.country,
            reason=reason,
            source=source,
            author=author,
            announced_on=announced_on,
        )
        self._trigger(self.AmendmentRetracted, payload.model_dump(mode="json"), at)

    def check_live(self, amendment_id: str) -> AmendmentRecord:
        record = self.amendments.get(amendment_id)
        if record is None:
            raise AmendmentNotFoundError(
                f"{self.country} has no amendment {amendment_id}", field="amendment_id"
            )
        if record.retracted_at is not None:
            raise AmendmentRetractedError(
                f"amendment {amendment_id} was retracted on {record.retracted_at.isoformat()}",
                field="amendment_id",
            )
        return record

    def _trigger(self, event_class: type[Any], payload: dict[str, Any], at: dt.datetime) -> None:
        # Knowledge time must grow along the stream even if a writer's clock lags; the first
        # act may share the moment the policy was opened (they are saved together).
        opened_only = self.version == self.INITIAL_VERSION
        timestamp = max(at, self.modified_on if opened_only else self.modified_on + ONE_TICK)
        position = self.version + 1
        link = chain.link(
            event_class.__name__, self.country, position, timestamp, payload, self.head
        )
        self.trigger_event(
            event_class,
            payload=payload,
            timestamp=timestamp,
            previous_hash=self.head,
            hash=link.hash(),
        )

    # Event handlers -----------------------------------------------------------------

    def on_amendment_recorded(self, event: CountryPolicy.AmendmentRecorded) -> None:
        record = amendment_record(event.payload, event.originator_version, event.timestamp)
        self.amendments[record.id] = record
        self.known.add(record_effects(record, END_OF_TIME))

    def on_in_force_date_recorded(self, event: CountryPolicy.InForceDateRecorded) -> None:
        payload = payloads.InForceDateRecorded.model_validate(event.payload)
        record = self.amendments[payload.amendment_id]
        self.amendments[record.id] = record.with_in_force(
            payload.in_force_from, event.timestamp, payload.announced_on
        )
        self.known.add(record_effects(self.amendments[record.id], END_OF_TIME))

    def on_amendment_retracted(self, event: CountryPolicy.AmendmentRetracted) -> None:
        payload = payloads.AmendmentRetracted.model_validate(event.payload)
        record = self.amendments[payload.amendment_id]
        self.amendments[record.id] = record.with_retraction(
            payload.reason, event.timestamp, payload.source, payload.announced_on
        )
        self.known.remove(record.id)


def event_link(event: Any, country: str, previous_hash: str) -> chain.Link:
    """The link an event of a country's stream makes after `previous_hash`."""
    if isinstance(event, CountryPolicy.Opened):
        payload = chain.opened_payload(event.country)
    else:
        payload = event.payload
    return chain.link(
        type(event).__name__,
        country,
        event.originator_version,
        event.timestamp,
        payload,
        previous_hash,
    )


def chain_hash(event: Any, country: str, previous_hash: str) -> str:
    """The event's stored hash, or for a version 1 event (none stored) its computed one."""
    if event.hash is not None:
        return str(event.hash)
    return event_link(event, country, previous_hash).hash()


def _unchained(state: dict[str, Any]) -> None:
    state["previous_hash"] = None
    state["hash"] = None


def amendment_record(
    payload: dict[str, Any], position: int, recorded_at: dt.datetime
) -> AmendmentRecord:
    return AmendmentRecord.from_payload(
        payloads.AmendmentRecorded.model_validate(payload),
        position=position,
        recorded_at=recorded_at,
    )
