"""The stored states an audit reads, with draft amendments applied in memory only.

POST /audits with drafts judges decisions against what the policy would be if the drafts
were adopted (projections.whatif answers the policy itself). Drafts are checked by the same
domain rules on an unsaved copy of the country's policy; they change present knowledge only.
Compiled with the rest of the audit's hot path: it subclasses the compiled `StoredStates`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial

from domain.commands import AmendmentDraft
from domain.domainmodel import CountryPolicy
from domain.errors import LedgerError
from domain.fold import Chronicle
from domain.instants import END_OF_TIME
from domain.records import AmendmentRecord
from projections.audit.judging import StoredStates
from projections.index import ReadIndex
from projections.timeline import Timeline, ValueChanges, segment_timeline, value_changes


class WhatIfStates(StoredStates):
    """The stored states, with draft amendments applied in memory to what is known now.

    Nothing of a draft is stored. Drafts change the present knowledge only: what was
    recorded at an earlier moment stays as it was.
    """

    def __init__(
        self,
        index: ReadIndex,
        drafts: Iterable[tuple[str, AmendmentDraft]],
        load_policy: Callable[[str], CountryPolicy],
    ) -> None:
        super().__init__(index)
        self._load_policy = load_policy
        self._records: dict[str, dict[str, AmendmentRecord]] = {}
        self._chronicles: dict[str, Chronicle] = {}
        self._timelines: dict[str, Timeline] = {}
        self._changes: dict[str, ValueChanges] = {}
        self._drafts: dict[str, list[str]] = {}
        by_country: dict[str, list[AmendmentDraft]] = {}
        for country, draft in drafts:
            by_country.setdefault(country, []).append(draft)
        for country, country_drafts in by_country.items():
            self._apply(country, country_drafts)

    def _apply(self, country: str, drafts: list[AmendmentDraft]) -> None:
        policy = self._load_policy(country)  # an unsaved copy: drafts never reach the store
        moment = dt.datetime.now(dt.UTC)
        ids = self._drafts.setdefault(policy.country, [])
        for n, draft in enumerate(drafts):
            try:
                ids.append(policy.record_amendment(draft, "what-if", moment))
            except LedgerError as error:
                error.field = f"drafts.{n}.{error.field}" if error.field else f"drafts.{n}"
                raise
        records = list(policy.amendments.values())
        self._records[policy.country] = {r.id: r for r in records}
        self._chronicles[policy.country] = Chronicle.build(policy.country, records, END_OF_TIME)

    def has_policy(self, country: str) -> bool:
        return country in self._chronicles or super().has_policy(country)

    def history(self, country: str) -> Timeline:
        """The stored rows; for a country only drafts give a policy, the drafted present."""
        if country in self._chronicles and not super().has_policy(country):
            return self.timeline(country)
        return super().history(country)

    def timeline(self, country: str) -> Timeline:
        chronicle = self._chronicles.get(country)
        if chronicle is None:
            return super().timeline(country)
        found = self._timelines.get(country)
        if found is None:
            found = self._timelines[country] = segment_timeline(
                chronicle.country,
                chronicle.segments,
                partial(self.value_changes, country),
            )
        return found

    def records(self, country: str) -> dict[str, AmendmentRecord]:
        return self._records.get(country) or super().records(country)

    def value_changes(self, country: str) -> ValueChanges:
        records = self._records.get(country)
        if records is None:
            return super().value_changes(country)
        found = self._changes.get(country)
        if found is None:
            found = self._changes[country] = value_changes(records.values())
        return found

    def chronicle(self, country: str) -> Chronicle:
        return self._chronicles[country]

    def draft_ids(self, country: str) -> list[str]:
        return self._drafts.get(country, [])
