"""Answers read from the projection, as JSON-ready documents (the API and `--json` share them).

Point-in-time answers come from the bitemporal segment rows; timelines, element histories
and diffs fold the amendment records as known at the moment asked (they are per country
and small). The rows hold record time only: an answer that also counts only what was
published by a date P (`published_by`) folds the country's records in memory. Policy and
version answers name the ledger digest of the read model, read after their rows: the ledger
it names holds every event the answer rests on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from domain.countries import country_code, country_name, region_name
from domain.errors import CountryNotFoundError, VersionNotFoundError
from domain.fold import (
    Chronicle,
    Transition,
    annotated_document,
    diff,
    element_history,
    pending_on,
    transitions,
    visible_effects,
)
from domain.instants import from_micros, iso, to_micros
from domain.records import AmendmentRecord, as_published
from projections.records import record_from_json
from projections.views import PolicyViewMixin

Doc = dict[str, Any]
VERSION_ID = re.compile(r"[0-9a-f]{64}")
S = TypeVar("S")


class PolicyQueries:
    def __init__(self, view: PolicyViewMixin) -> None:
        self.view = view

    # Countries ------------------------------------------------------------------------

    def countries(self) -> list[Doc]:
        return [
            {
                "country": row["country"],
                "name": country_name(row["country"]),
                "version": row["version"],
                "amendments": row["amendments"],
                "last_change": from_micros(row["last_recorded"]).isoformat(),
            }
            for row in self.view.countries()
        ]

    def records(self, country: str) -> list[AmendmentRecord]:
        code = country_code(country)
        rows = self.view.amendment_rows(code)
        if not rows:
            raise CountryNotFoundError(f"no policy is recorded for {code}", field="country")
        return [record_from_json(r) for r in rows]

    # Point in time --------------------------------------------------------------------

    def policy(self, country: str, on: dt.date, known_at: dt.datetime) -> Doc:
        code = country_code(country)
        at = to_micros(known_at)
        # The row before the records: the records then include every amendment it cites.
        segment = self.view.segment_at(code, on.isoformat(), at)
        records = self.records(code)
        version: tuple[str, str, str | None] | None = None
        elements: dict[str, Any] = {}
        if segment is not None:
            body = self.view.state_body(segment["state_id"])
            assert body is not None
            elements = json.loads(body)["elements"]
            version = (segment["version_id"], *self._version_span(code, segment, at))
        sections = policy_sections(elements, {r.id: r for r in records})
        pending = [amendment_summary(r) for r in pending_on(records, on, known_at)]
        doc = policy_header(code, on, known_at, version, self.ledger_digest())
        return {**doc, **sections, "pending": pending}

    def published_policy(
        self, country: str, on: dt.date, known_at: dt.datetime, published_by: dt.date
    ) -> Doc:
        """`policy`, counting only the acts published on or before `published_by` (and
        recorded by `known_at`): folded from the country's records in memory, since the
        segment rows hold record time only. The same document, saying `published_by`."""
        code = country_code(country)
        records = self.records(code)
        digest = self.ledger_digest()  # after the records: it names every event they rest on
        chronicle = Chronicle.build(code, as_published(records, published_by), known_at)
        segment = chronicle.segment_on(on)
        version: tuple[str, str, str | None] | None = None
        elements: dict[str, Any] = {}
        if segment is not None:
            elements = annotated_document(code, segment.state)["elements"]
            segments = chronicle.segments
            spans = version_spans([(s.version_id, s.valid_from, s.valid_to) for s in segments])
            valid_from, valid_to = spans[segments.index(segment)]
            version = (segment.version_id, valid_from.isoformat(), iso(valid_to))
        sections = policy_sections(elements, {r.id: r for r in records})
        pending = pending_on(records, on, known_at, published_by=published_by)
        doc = policy_header(code, on, known_at, version, digest, published_by)
        return {**doc, **sections, "pending": [amendment_summary(r) for r in pending]}

    def ledger_digest(self) -> str:
        """The digest of the ledger the read model holds (stored by the projection)."""
        return self.view.ledger_digest()[1]

    def _version_span(self, code: str, segment: Doc, at: int) -> tuple[str, str | None]:
        rows = self.view.segments_as_of(code, at)
        i = next(k for k, r in enumerate(rows) if r["valid_from"] == segment["valid_from"])
        return version_spans([(r["version_id"], r["valid_from"], r["valid_to"]) for r in rows])[i]

    def versions(
        self, country: str, known_at: dt.datetime, published_by: dt.date | None = None
    ) -> Doc:
        """The versions over valid time as known at `known_at`: from the segment rows, or
        with `published_by`, folded from the records (the rows hold record time only)."""
        records = self.records(country)
        code = records[0].country
        if published_by is None:
            rows = self.view.segments_as_of(code, to_micros(known_at))
        else:
            chronicle = Chronicle.build(code, as_published(records, published_by), known_at)
            rows = [
                {
                    "version_id": s.version_id,
                    "valid_from": iso(s.valid_from),
                    "valid_to": iso(s.valid_to),
                }
                for s in chronicle.segments
            ]
        runs: list[Doc] = []
        for row in rows:
            if runs and runs[-1]["version_id"] == row["version_id"]:
                runs[-1]["valid_to"] = row["valid_to"]
            else:
                runs.append({k: row[k] for k in ("version_id", "valid_from", "valid_to")})
        return {"country": code, **moments(known_at, published_by), "versions": runs}

    def version(self, country: str, version_id: str) -> Doc:
        code = self.records(country)[0].country
        # Only a SHA-256 hex digest can name a version; anything else is not sent to SQL
        # (PostgreSQL refuses a NUL in a text parameter with an error).
        known = VERSION_ID.fullmatch(version_id)
        body = self.view.state_for_version(code, version_id) if known else None
        if body is None:
            raise VersionNotFoundError(
                f"{code} has no policy version {version_id}", field="version_id"
            )
        elements = json.loads(body)["elements"]
        return {
            "country": code,
            "version_id": version_id,
            "elements": {k: v["value"] for k, v in elements.items()},
            "ledger_digest": self.ledger_digest(),
        }

    # Over time ------------------------------------------------------------------------

    def timeline(
        self, country: str, known_at: dt.datetime, published_by: dt.date | None = None
    ) -> Doc:
        code = country_code(country)
        records = [
            r for r in as_published(self.records(code), published_by) if r.is_known(known_at)
        ]
        return {
            "country": code,
            **moments(known_at, published_by),
            "amendments": [timeline_entry(r, known_at) for r in records],
        }

    def history(
        self,
        country: str,
        element: str,
        known_at: dt.datetime,
        published_by: dt.date | None = None,
    ) -> Doc:
        records = self.records(country)
        by_id = {r.id: r for r in records}
        visible = as_published(records, published_by)
        transitions = element_history(visible, element, known_at)
        return {
            "country": records[0].country,
            "element": element,
            **moments(known_at, published_by),
            "intervals": history_intervals(transitions, by_id),
        }

    def histories(
        self, country: str, known_at: dt.datetime, published_by: dt.date | None = None
    ) -> Doc:
        """Every element's history at once: `history` for each element, in one fold."""
        records = self.records(country)
        by_id = {r.id: r for r in records}
        by_element: dict[str, list[Transition]] = {}
        visible = as_published(records, published_by)
        for t in transitions(visible_effects(visible, known_at)):
            by_element.setdefault(t.effect.element, []).append(t)
        return {
            "country": records[0].country,
            **moments(known_at, published_by),
            "elements": {
                element: history_intervals(ts, by_id) for element, ts in sorted(by_element.items())
            },
        }

    def diff(
        self,
        country: str,
        first: dt.date,
        second: dt.date,
        known_at: dt.datetime,
        published_by: dt.date | None = None,
    ) -> Doc:
        records = self.records(country)
        by_id = {r.id: r for r in records}
        changes = []
        for d in diff(as_published(records, published_by), first, second, known_at):
            cause = by_id[d.cause.amendment_id] if d.cause else None
            changes.append(
                {
                    "element": d.element,
                    "kind": d.kind,
                    "before": d.before.value if d.before else None,
                    "after": d.after.value if d.after else None,
                    "amendment": amendment_summary(cause) if cause else None,
                    "sources": amendment_summary(cause)["sources"] if cause else [],
                }
            )
        return {
            "country": records[0].country,
            "from": first.isoformat(),
            "to": second.isoformat(),
            **moments(known_at, published_by),
            "changes": changes,
        }


def moments(known_at: dt.datetime, published_by: dt.date | None = None) -> Doc:
    """An answer's knowledge time, and its publication date only when one was asked (so
    every answer without it reads as it always did)."""
    if published_by is None:
        return {"known_at": known_at.isoformat()}
    return {"known_at": known_at.isoformat(), "published_by": published_by.isoformat()}


def policy_header(
    code: str,
    on: dt.date,
    known_at: dt.datetime,
    version: tuple[str, str, str | None] | None,
    ledger_digest: str,
    published_by: dt.date | None = None,
) -> Doc:
    """The fields at the top of a policy answer; `version`: (version id, valid from, valid to)
    of the version in force on `on`, None when nothing is recorded for that date."""
    version_id, valid_from, valid_to = version or (None, None, None)
    return {
        "country": code,
        "name": country_name(code),
        "on": on.isoformat(),
        **moments(known_at, published_by),
        "coverage": version is not None,
        "version_id": version_id,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "ledger_digest": ledger_digest,
    }


def version_spans(segments: Sequence[tuple[str, S, S | None]]) -> list[tuple[S, S | None]]:
    """The version interval of each of a country's segments, given in valid-time order as
    (version id, valid from, valid to): neighbouring segments of one version differ only in
    provenance, so the version runs from the first one's start to the last one's end."""
    spans: list[tuple[S, S | None]] = []
    i = 0
    while i < len(segments):
        j = i
        while j + 1 < len(segments) and segments[j + 1][0] == segments[i][0]:
            j += 1
        spans += [(segments[i][1], segments[j][2])] * (j - i + 1)
        i = j + 1
    return spans


def amendment_summary(record: AmendmentRecord) -> Doc:
    return {
        "id": record.id,
        "title": record.title,
        "announced_on": record.announced_on.isoformat(),
        "attestation": record.attestation,
        "sources": [s.model_dump(mode="json") for s in record.sources],
    }


def timeline_entry(record: AmendmentRecord, known_at: dt.datetime) -> Doc:
    in_force = record.in_force_as_of(known_at)
    retracted = record.is_retracted(known_at)
    return {
        **amendment_summary(record),
        "status": record.status(known_at).value,
        "in_force_from": in_force.isoformat() if in_force else None,
        "recorded_at": record.recorded_at.isoformat(),
        "in_force_recorded_at": iso(record.in_force_learned_at)
        if record.in_force_from is None and in_force
        else None,
        "retracted_at": iso(record.retracted_at) if retracted else None,
        "retraction_reason": record.retraction_reason if retracted else None,
        "retraction_source": record.retraction_source.model_dump(mode="json")
        if retracted and record.retraction_source
        else None,
        **stated_publications(record, known_at),
        "author": record.author,
        "rationale": record.rationale,
        "changes": [c.model_dump(mode="json") for c in record.changes],
    }


def stated_publications(record: AmendmentRecord, known_at: dt.datetime) -> Doc:
    """When the in-force date learned later and the retraction were published, where the
    editor stated it (and the fact counts at `known_at`); absent otherwise."""
    stated: Doc = {}
    learned_at = record.in_force_learned_at
    if record.in_force_announced_on and learned_at is not None and learned_at <= known_at:
        stated["in_force_announced_on"] = record.in_force_announced_on.isoformat()
    if record.retraction_announced_on and record.is_retracted(known_at):
        stated["retraction_announced_on"] = record.retraction_announced_on.isoformat()
    return stated


def provenance(element: Doc, records: dict[str, AmendmentRecord]) -> Doc:
    """An element's value with the acts and sources behind it."""
    acts = [
        {
            "amendment": a["amendment"],
            "action": a["action"],
            "on": a["on"],
            "title": records[a["amendment"]].title,
        }
        for a in element["acts"]
    ]
    return {
        **element["value"],
        "since": element["since"],
        "amendments": acts,
        "sources": sources_of(records[a["amendment"]] for a in element["acts"]),
    }


def policy_sections(elements: Mapping[str, Doc], records: dict[str, AmendmentRecord]) -> Doc:
    """Groups an annotated state's elements as the Vreemdelingencirculaire does."""
    return arrange_sections({k: provenance(e, records) for k, e in elements.items()})


def arrange_sections(provenances: Mapping[str, Doc]) -> Doc:
    """The sections of a policy answer from each element's `provenance` document."""
    by_kind: dict[str, dict[str, Doc]] = {}
    for element_id, doc in provenances.items():
        kind, _, rest = element_id.partition(":")
        by_kind.setdefault(kind, {})[rest] = doc
    protection = by_kind.get("protection", {})
    ipa = by_kind.get("ipa", {})
    article_15c = by_kind.get("article_15c", {})
    return {
        "groups": [
            _group(group_id, doc, protection, ipa)
            for group_id, doc in sorted(by_kind.get("group", {}).items())
        ],
        "protection": protection,
        "internal_protection_alternative": ipa,
        "article_15c": {
            "default": article_15c.get("default"),
            "regions": {
                code: {**doc, "name": region_name(code)}
                for code, doc in sorted(article_15c.items())
                if code != "default"
            },
        },
        "unaccompanied_minors": by_kind.get("unaccompanied_minors", {}).get(""),
        "moratoria": [
            {"kind": k, **doc} for k, doc in sorted(by_kind.get("moratorium", {}).items())
        ],
        "notes": [{"topic": k, **doc} for k, doc in sorted(by_kind.get("note", {}).items())],
    }


def _group(group_id: str, doc: Doc, protection: Doc, ipa: Doc) -> Doc:
    own_protection = protection.get(group_id) or protection.get("general")
    own_ipa = ipa.get(group_id) or ipa.get("general")
    return {
        "id": group_id,
        **doc,
        "authorities_protect": own_protection["authorities_protect"] if own_protection else None,
        "internal_protection_alternative": own_ipa["available"] if own_ipa else None,
    }


def history_intervals(
    transitions: list[Transition], records: dict[str, AmendmentRecord]
) -> list[Doc]:
    intervals: list[Doc] = []
    for t in transitions:
        on = t.effect.on.isoformat()
        if intervals and intervals[-1]["valid_from"] == on:
            intervals.pop()  # a later change on the same date wins
        if intervals:
            intervals[-1]["valid_to"] = on
        record = records[t.effect.amendment_id]
        intervals.append(
            {
                "valid_from": on,
                "valid_to": None,
                "value": t.after.value if t.after else None,
                "action": t.effect.action,
                "amendment": amendment_summary(record),
            }
        )
    return intervals


def sources_of(records: Iterable[AmendmentRecord]) -> list[Doc]:
    seen: dict[str, Doc] = {}
    for record in records:
        for source in record.sources:
            seen.setdefault(source.reference, source.model_dump(mode="json"))
    return list(seen.values())
