"""The application service: commands that record policy changes, with optimistic concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.commands import AmendmentDraft
from domain.countries import country_code
from domain.domainmodel import CountryPolicy
from domain.errors import CountryNotFoundError, LedgerError, VersionConflictError
from events.vocabulary import Source

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RecordedEvent:
    type: str
    version: int
    recorded_at: dt.datetime


@dataclass(frozen=True)
class Recorded:
    """What a successful command returns: enough for a caller to read its own write."""

    country: str
    version: int
    notification_id: int | None
    amendment_id: str | None = None
    events: tuple[RecordedEvent, ...] = ()


class PolicyLedger(Application[UUID]):
    """Commands run on the cached aggregate itself, not on a copy of it: a copy costs the
    country's history (its records, its element lines) on every command, and the copies
    kept the cycle collector busy in proportion to all the history held. So a country's
    commands (and the copies readers take) hold that country's lock, and a command that
    fails after changing the cached aggregate evicts it: the next command reads it again
    from the store."""

    name = "PolicyLedger"

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock = utc_now) -> None:
        super().__init__(env)
        self.clock = clock
        self._locks: dict[str, threading.RLock] = {}
        self._locks_lock = threading.Lock()

    # Commands -------------------------------------------------------------------------

    def record_amendment(
        self,
        country: str,
        draft: AmendmentDraft,
        *,
        author: str,
        expected_version: int | None,
    ) -> Recorded:
        code = country_code(country)
        with self._writing([code]) as touched:
            policy = touched(self._policy_for_writing(code, expected_version))
            amendment_id = policy.record_amendment(draft, author, self.clock())
            return self._save(policy, amendment_id)

    def record_in_force_date(
        self,
        country: str,
        amendment_id: str,
        in_force_from: dt.date,
        *,
        author: str,
        expected_version: int,
        announced_on: dt.date | None = None,
    ) -> Recorded:
        code = country_code(country)
        with self._writing([code]) as touched:
            policy = touched(self._existing_policy(code, expected_version))
            policy.record_in_force_date(
                amendment_id, in_force_from, author, self.clock(), announced_on
            )
            return self._save(policy, amendment_id)

    def retract_amendment(
        self,
        country: str,
        amendment_id: str,
        *,
        reason: str,
        author: str,
        expected_version: int,
        source: Source | None = None,
        announced_on: dt.date | None = None,
    ) -> Recorded:
        code = country_code(country)
        with self._writing([code]) as touched:
            policy = touched(self._existing_policy(code, expected_version))
            policy.retract(amendment_id, reason, author, self.clock(), source, announced_on)
            return self._save(policy, amendment_id)

    def record_amendments(
        self, drafts: Iterable[tuple[str, AmendmentDraft]], *, author: str
    ) -> list[Recorded]:
        """Records many amendments in one transaction: all of them or none.

        Each draft is checked against the country's policy including the drafts before
        it, so a bad one raises before anything is stored.
        """
        coded = [(country_code(country), draft) for country, draft in drafts]
        policies: dict[str, CountryPolicy] = {}
        ids: list[tuple[str, str]] = []
        with self._writing({code for code, _ in coded}) as touched:
            for code, draft in coded:
                if code not in policies:
                    policies[code] = touched(self._cached_or_new(code))
                ids.append((code, policies[code].record_amendment(draft, author, self.clock())))
            self._save_all(policies.values())
        return [Recorded(c, policies[c].version, None, amendment_id=a) for c, a in ids]

    # Queries --------------------------------------------------------------------------

    def policy(self, country: str) -> CountryPolicy:
        """A copy of the country's policy as recorded, the caller's to change."""
        code = country_code(country)
        with self._lock(code):
            return self._get(code, copy=True)

    def policy_or_new(self, country: str) -> CountryPolicy:
        """The country's policy, or a new unsaved one; for trying drafts in memory."""
        code = country_code(country)
        try:
            return self.policy(code)
        except CountryNotFoundError:
            return CountryPolicy.open(code, self.clock())

    def version_of(self, country: str) -> int | None:
        code = country_code(country)
        try:
            with self._lock(code):
                return self._get(code, copy=False).version
        except CountryNotFoundError:
            return None

    # Helpers --------------------------------------------------------------------------

    def _get(self, code: str, *, copy: bool) -> CountryPolicy:
        """The cached aggregate (caught up with the store), or with `copy` a copy of it."""
        try:
            aggregate: CountryPolicy = self.repository.get(
                CountryPolicy.create_id(code), deepcopy_from_cache=copy
            )
        except AggregateNotFoundError:
            raise CountryNotFoundError(
                f"no policy is recorded for {code}", field="country"
            ) from None
        assert isinstance(aggregate, CountryPolicy)
        return aggregate

    def _lock(self, code: str) -> threading.RLock:
        with self._locks_lock:
            return self._locks.setdefault(code, threading.RLock())

    @contextmanager
    def _writing(self, codes: Iterable[str]) -> Iterator[Callable[[CountryPolicy], CountryPolicy]]:
        """Holds the countries' locks (taken in one order, so two commands cannot
        deadlock) and yields a function that marks an aggregate as being changed; if the
        command fails, every marked aggregate leaves the cache (it may hold events that were
        not stored), except one a rule of the ledger refused before it changed."""
        touched: list[tuple[CountryPolicy, int]] = []

        def touch(policy: CountryPolicy) -> CountryPolicy:
            touched.append((policy, policy.version))
            return policy

        with ExitStack() as held:
            for code in sorted(codes):
                held.enter_context(self._lock(code))
            try:
                yield touch
            except LedgerError:
                self._evict(p for p, version in touched if p.version != version)
                raise
            except BaseException:
                self._evict(p for p, _ in touched)
                raise

    def _evict(self, policies: Iterable[CountryPolicy]) -> None:
        cache = self.repository.cache
        for policy in policies:
            if cache is not None:
                try:
                    if cache.get(policy.id) is policy:
                        cache.get(policy.id, evict=True)
                except KeyError:
                    pass

    def _cached_or_new(self, code: str) -> CountryPolicy:
        try:
            return self._get(code, copy=False)
        except CountryNotFoundError:
            return CountryPolicy.open(code, self.clock())

    def _policy_for_writing(self, code: str, expected_version: int | None) -> CountryPolicy:
        try:
            existing = self._get(code, copy=False)
        except CountryNotFoundError:
            if expected_version is None:
                return CountryPolicy.open(code, self.clock())
            raise VersionConflictError(
                f"{code} has no policy yet: omit expected_version for its first amendment",
                field="expected_version",
            ) from None
        if expected_version is None:
            raise VersionConflictError(
                f"{code} already has a policy at version {existing.version}: "
                "state the version you read as expected_version",
                field="expected_version",
            )
        return self._check_version(existing, expected_version)

    def _existing_policy(self, code: str, expected_version: int) -> CountryPolicy:
        return self._check_version(self._get(code, copy=False), expected_version)

    @staticmethod
    def _check_version(policy: CountryPolicy, expected_version: int) -> CountryPolicy:
        if policy.version != expected_version:
            raise VersionConflictError(
                f"{policy.country} is at version {policy.version}, not {expected_version}: "
                "read it again and reapply your change",
                field="expected_version",
            )
        return policy

    def _save(self, policy: CountryPolicy, amendment_id: str) -> Recorded:
        pending = tuple(
            RecordedEvent(type(e).__name__, e.originator_version, e.timestamp)
            for e in policy.pending_events
        )
        recordings = self._save_all([policy])
        last = max((r.notification.id for r in recordings), default=None)
        return Recorded(policy.country, policy.version, last, amendment_id, pending)

    def _save_all(self, policies: Iterable[CountryPolicy]) -> Any:
        policies = list(policies)
        try:
            recordings = self.save(*policies)
        except IntegrityError:
            raise VersionConflictError(
                "another editor recorded a change first: read again and reapply yours",
                field="expected_version",
            ) from None
        self._cache_saved(policies)
        return recordings

    def _cache_saved(self, policies: list[CountryPolicy]) -> None:
        """Caches the saved aggregates that are not cached (new ones, or ones the cache let
        go of meanwhile), so the next command starts from them rather than replaying the
        country's events. A cached aggregate newer than ours stays."""
        cache = self.repository.cache
        if cache is None:
            return
        for policy in policies:
            try:
                cached = cache.get(policy.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < policy.version:
                cache.put(policy.id, policy)
