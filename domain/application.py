"""The application service: commands that record policy changes, with optimistic concurrency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from domain.commands import AmendmentDraft
from domain.countries import country_code
from domain.domainmodel import CountryPolicy
from domain.errors import CountryNotFoundError, VersionConflictError
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
    name = "PolicyLedger"

    def __init__(self, env: Mapping[str, str] | None = None, clock: Clock = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    # Commands -------------------------------------------------------------------------

    def record_amendment(
        self,
        country: str,
        draft: AmendmentDraft,
        *,
        author: str,
        expected_version: int | None,
    ) -> Recorded:
        policy = self._policy_for_writing(country_code(country), expected_version)
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
        policy = self._existing_policy(country_code(country), expected_version)
        policy.record_in_force_date(amendment_id, in_force_from, author, self.clock(), announced_on)
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
        policy = self._existing_policy(country_code(country), expected_version)
        policy.retract(amendment_id, reason, author, self.clock(), source, announced_on)
        return self._save(policy, amendment_id)

    def record_amendments(
        self, drafts: Iterable[tuple[str, AmendmentDraft]], *, author: str
    ) -> list[Recorded]:
        """Records many amendments in one transaction: all of them or none.

        Each draft is checked against the country's policy including the drafts before
        it, so a bad one raises before anything is stored.
        """
        policies: dict[str, CountryPolicy] = {}
        ids: list[tuple[str, str]] = []
        for country, draft in drafts:
            code = country_code(country)
            if code not in policies:
                policies[code] = self._current_or_new(code)
            ids.append((code, policies[code].record_amendment(draft, author, self.clock())))
        self._save_all(policies.values())
        return [Recorded(c, policies[c].version, None, amendment_id=a) for c, a in ids]

    # Queries --------------------------------------------------------------------------

    def policy(self, country: str) -> CountryPolicy:
        try:
            aggregate_id = CountryPolicy.create_id(country_code(country))
            aggregate: CountryPolicy = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise CountryNotFoundError(
                f"no policy is recorded for {country}", field="country"
            ) from None
        assert isinstance(aggregate, CountryPolicy)
        return aggregate

    def policy_or_new(self, country: str) -> CountryPolicy:
        """The country's policy, or a new unsaved one; for trying drafts in memory."""
        return self._current_or_new(country_code(country))

    def version_of(self, country: str) -> int | None:
        try:
            return self.policy(country).version
        except CountryNotFoundError:
            return None

    # Helpers --------------------------------------------------------------------------

    def _current_or_new(self, code: str) -> CountryPolicy:
        try:
            return self.policy(code)
        except CountryNotFoundError:
            return CountryPolicy.open(code, self.clock())

    def _policy_for_writing(self, code: str, expected_version: int | None) -> CountryPolicy:
        try:
            existing = self.policy(code)
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
        return self._check_version(self.policy(code), expected_version)

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
        """Caches the saved copies, so the next command starts from them: the cached
        originals would otherwise replay these events (fast-forward) on the next read. A
        cached aggregate newer than ours stays; one older is caught up on its next read."""
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
