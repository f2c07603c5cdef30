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
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from domain.countries import (
    check_region,
    country_code,
    country_name,
    parent_regions,
    region_name,
)
from domain.effects import element_ids
from domain.errors import AreaNotDefinedError, CountryNotFoundError, VersionNotFoundError
from domain.fold import (
    Attested,
    Chronicle,
    Transition,
    annotated_document,
    attestations,
    attested_later,
    attests_after,
    diff,
    element_history,
    pending_on,
    transitions,
    visible_effects,
)
from domain.instants import from_micros, iso, to_micros
from domain.places import area_of, parse_element, place_chain, region_of, resolve, scope_of
from domain.records import AmendmentRecord, as_published
from events.vocabulary import DefineArea, Source
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

    def policy(
        self, country: str, on: dt.date, known_at: dt.datetime, place: Place | None = None
    ) -> Doc:
        """The policy on `on` as known at `known_at`; with `place`, as it applies to a person
        from there (`resolve_sections`)."""
        code = country_code(country)
        at = to_micros(known_at)
        # The row before the records: the records then include every amendment it cites.
        segment = self.view.segment_at(code, on.isoformat(), at)
        records = self.records(code)
        version: tuple[str, str, str | None] | None = None
        elements: dict[str, Any] = {}
        if segment is not None:
            body = self.view.state_body(segment["state"])
            assert body is not None
            elements = json.loads(body)["elements"]
            version = (segment["version_id"], *self._version_span(code, segment, at))
        sections, later = answer_sections(code, elements, records, on, known_at, place)
        pending = [amendment_summary(r) for r in pending_on(records, on, known_at)]
        doc = policy_header(code, on, known_at, version, self.ledger_digest())
        return {**doc, **sections, "pending": pending, "attested_later": later}

    def published_policy(
        self,
        country: str,
        on: dt.date,
        known_at: dt.datetime,
        published_by: dt.date,
        place: Place | None = None,
    ) -> Doc:
        """`policy`, counting only the acts published on or before `published_by` (and
        recorded by `known_at`): folded from the country's records in memory, since the
        segment rows hold record time only. The same document, saying `published_by`."""
        code = country_code(country)
        records = self.records(code)
        digest = self.ledger_digest()  # after the records: it names every event they rest on
        return published_answer(code, records, digest, on, known_at, published_by, place)

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
            sources: list[Doc] = []
            if cause is not None and d.cause is not None:
                sources = change_sources(cause, d.cause.key[2])
            changes.append(
                {
                    "element": d.element,
                    "kind": d.kind,
                    "before": answer_value(d.element, d.before.value) if d.before else None,
                    "after": answer_value(d.element, d.after.value) if d.after else None,
                    "amendment": amendment_summary(cause) if cause else None,
                    "sources": sources,
                }
            )
        return {
            "country": records[0].country,
            "from": first.isoformat(),
            "to": second.isoformat(),
            **moments(known_at, published_by),
            "changes": changes,
        }


def published_answer(
    code: str,
    records: list[AmendmentRecord],
    digest: str,
    on: dt.date,
    known_at: dt.datetime,
    published_by: dt.date,
    place: Place | None = None,
    folded: tuple[list[AmendmentRecord], Chronicle] | None = None,
) -> Doc:
    """The answer of `PolicyQueries.published_policy` from a country's `records` and the
    digest of the ledger they rest on; `folded`: the records as published by `published_by`
    and their Chronicle as known at `known_at`, when the caller keeps them."""
    if folded is None:
        published = as_published(records, published_by)
        folded = (published, Chronicle.build(code, published, known_at))
    published, chronicle = folded
    segment = chronicle.segment_on(on)
    version: tuple[str, str, str | None] | None = None
    elements: dict[str, Any] = {}
    if segment is not None:
        elements = annotated_document(code, segment.state)["elements"]
        segments = chronicle.segments
        spans = version_spans([(s.version_id, s.valid_from, s.valid_to) for s in segments])
        valid_from, valid_to = spans[segments.index(segment)]
        version = (segment.version_id, valid_from.isoformat(), iso(valid_to))
    sections, later = answer_sections(code, elements, published, on, known_at, place)
    pending = pending_on(records, on, known_at, published_by=published_by)
    doc = policy_header(code, on, known_at, version, digest, published_by)
    return {
        **doc,
        **sections,
        "pending": [amendment_summary(r) for r in pending],
        "attested_later": later,
    }


def moments(known_at: dt.datetime, published_by: dt.date | None = None) -> Doc:
    """An answer's knowledge time, and its publication date only when one was asked (so
    every answer without it reads as it always did)."""
    if published_by is None:
        return {"known_at": known_at.isoformat()}
    return {"known_at": known_at.isoformat(), "published_by": published_by.isoformat()}


def answer_sections(
    code: str,
    elements: dict[str, Any],
    records: list[AmendmentRecord],
    on: dt.date,
    known_at: dt.datetime,
    place: Place | None,
) -> tuple[Doc, list[Doc]]:
    """The sections of a policy answer from a state's annotated `elements` (resolved for
    `place` when one is asked), and its `attested_later`; `records` are the amendments the
    answer counts (all of them, or those published by a date)."""
    by_id = {r.id: r for r in records}
    if place is not None:
        check_place(code, place, defined_areas(elements, records, on, known_at))
        provenances = {k: provenance(k, e, by_id) for k, e in elements.items()}
        sections = resolve_sections(provenances, place.region, place.areas)
    else:
        sections = policy_sections(elements, by_id)
    later: list[Attested] = []
    if attests_after(records, on, known_at):
        values = {k: e["value"] for k, e in elements.items()}
        later = attested_later(attestations(records, known_at), values, on)
    return sections, [attested_doc(a) for a in later]


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
        "sources": [source_json(s) for s in record.sources],
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
        "retraction_source": source_json(record.retraction_source)
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


def attested_doc(attested: Attested) -> Doc:
    """An entry of `attested_later`: an element an attestation in force after the answer's
    date states, so a reader does not take "not yet recorded" for "not so"."""
    return {
        "element": attested.element,
        "value": attested.value,
        "attested_from": attested.attested_from.isoformat(),
        "amendment": attested.amendment_id,
    }


def provenance(element_id: str, element: Doc, records: dict[str, AmendmentRecord]) -> Doc:
    """An element's value with the acts and sources behind it: of each act, the sources its
    change cites (`sources` of the change), or every source of its amendment."""
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
        **answer_value(element_id, element["value"]),
        "since": element["since"],
        "amendments": acts,
        "sources": element_sources(element_id, element["acts"], records),
    }


def answer_value(element_id: str, value: Doc) -> Doc:
    """An element's value as answers show it: a moratorium's end both ways, `until` (the
    first day without it, as stored) and `through` (its last day), derived here so stored
    values and version ids stay as they were."""
    if not element_id.startswith("moratorium:"):
        return value
    until = value.get("until")
    through = None
    if until is not None and until != dt.date.min.isoformat():
        through = (dt.date.fromisoformat(until) - dt.timedelta(days=1)).isoformat()
    return {"until": until, "through": through, **value}


def policy_sections(elements: Mapping[str, Doc], records: dict[str, AmendmentRecord]) -> Doc:
    """Groups an annotated state's elements as the Vreemdelingencirculaire does."""
    return arrange_sections({k: provenance(k, e, records) for k, e in elements.items()})


def arrange_sections(provenances: Mapping[str, Doc]) -> Doc:
    """The sections of a policy answer from each element's `provenance` document.

    A rule with a scope is listed in its section under its place: map sections key it
    `<subject>:<place>` (as `ipa:general:PK-BA` always was), list entries (groups,
    moratoria) carry `scope`; defined areas follow under `areas`, only when there are any.
    """
    by_kind: dict[str, dict[str, Doc]] = {}
    for element_id, doc in provenances.items():
        kind, _, rest = element_id.partition(":")
        by_kind.setdefault(kind, {})[rest] = doc
    protection = by_kind.get("protection", {})
    ipa = by_kind.get("ipa", {})
    article_15c = by_kind.get("article_15c", {})
    areas = by_kind.get("area", {})
    groups = sorted(by_kind.get("group", {}).items())
    sections: Doc = {
        "groups": [
            _group(rest, doc, protection, ipa) for rest, doc in groups if not doc.get("declined")
        ],
        "declined_groups": [
            _group(rest, {k: v for k, v in doc.items() if k != "declined"}, protection, ipa)
            for rest, doc in groups
            if doc.get("declined")
        ],
        "protection": protection,
        "internal_protection_alternative": ipa,
        "article_15c": {
            "default": article_15c.get("default"),
            "regions": {
                place: {**doc, "name": place_name(place, areas)}
                for place, doc in sorted(article_15c.items())
                if place != "default"
            },
        },
        "unaccompanied_minors": by_kind.get("unaccompanied_minors", {}).get(""),
        "moratoria": [
            {**_subject_and_scope("kind", rest), **doc}
            for rest, doc in sorted(by_kind.get("moratorium", {}).items())
        ],
        "notes": [{"topic": k, **doc} for k, doc in sorted(by_kind.get("note", {}).items())],
    }
    if areas:
        sections["areas"] = dict(sorted(areas.items()))
    return sections


def _subject_and_scope(name: str, rest: str) -> Doc:
    """{name: subject} of an element id's rest, with `scope` when it names a place."""
    subject, _, place = rest.partition(":")
    return {name: subject, "scope": place} if place else {name: subject}


def place_name(place: str, areas: Mapping[str, Doc]) -> str:
    """A region's ISO name, or an area's English label (its id while not defined on the
    date: a pending definition)."""
    area = area_of(place)
    if area is None:
        return region_name(place)
    return str(areas[area]["label_en"]) if area in areas else area


def _group(rest: str, doc: Doc, protection: Doc, ipa: Doc) -> Doc:
    head = _subject_and_scope("id", rest)
    chain = chain_of(head.get("scope"))
    return {
        **head,
        **doc,
        "authorities_protect": flag_of(protection, head["id"], chain, "authorities_protect"),
        "internal_protection_alternative": flag_of(ipa, head["id"], chain, "available"),
    }


@lru_cache(maxsize=4096)
def chain_of(place: str | None) -> tuple[str | None, ...]:
    """The places a rule at `place` is read along (itself, parent regions, the country)."""
    area = area_of(place)
    return place_chain(region_of(place), (area,) if area else ())


def flag_of(section: Mapping[str, Any], group: str, chain: Sequence[str | None], flag: str) -> Any:
    """A group's flag from a protection or ipa section (keyed `<subject>[:<place>]`): its own
    value, else the general one, each at the most specific place of `chain`."""
    for subject in (group, "general"):
        for place in chain:
            found = section.get(f"{subject}:{place}" if place else subject)
            if found is not None:
                return found[flag]
    return None


def resolve_sections(
    provenances: Mapping[str, Doc], region: str | None, areas: tuple[str, ...]
) -> Doc:
    """The sections of a policy answer for a person from `region` in `areas`: each element as
    it applies there, the most specific place first (docs/model.md, "Places"), with the
    `scope` it came from: `country`, a region code or `area:<id>`."""
    chain = place_chain(region, areas)
    subjects: dict[str, set[str]] = {}
    for element_id in provenances:
        ref = parse_element(element_id)
        subjects.setdefault(ref.kind, set()).add(ref.subject)

    def resolved(kind: str, subject: str, chain: Sequence[str | None] = chain) -> Doc | None:
        found = resolve(provenances, kind, subject, tuple(chain))
        if found is None:
            return None
        element, place = found
        return {"scope": scope_of(place), **provenances[element]}

    def by_subject(kind: str) -> dict[str, Doc]:
        docs = {s: resolved(kind, s) for s in sorted(subjects.get(kind, ()))}
        return {s: d for s, d in docs.items() if d is not None}

    protection, ipa = by_subject("protection"), by_subject("ipa")
    groups: list[Doc] = []
    declined: list[Doc] = []
    for group, doc in by_subject("group").items():
        # The most specific place's rule decides: a stated no there is a declined group.
        stated = {k: v for k, v in doc.items() if k != "declined"}
        (declined if doc.get("declined") else groups).append(
            {
                "id": group,
                **stated,
                "authorities_protect": _resolved_flag(protection, group, "authorities_protect"),
                "internal_protection_alternative": _resolved_flag(ipa, group, "available"),
            }
        )
    minors = resolved("unaccompanied_minors", "")
    return {
        "place": {
            "region": region,
            "name": region_name(region) if region else None,
            "parents": list(parent_regions(region)) if region else [],
            "areas": list(areas),
        },
        "groups": groups,
        "declined_groups": declined,
        "protection": protection,
        "internal_protection_alternative": ipa,
        "article_15c": resolved("article_15c", ""),
        "unaccompanied_minors": minors,
        "moratoria": [{"kind": k, **d} for k, d in by_subject("moratorium").items()],
        "notes": [{"topic": k, **d} for k, d in by_subject("note").items()],
    }


def _resolved_flag(section: Mapping[str, Doc], group: str, flag: str) -> Any:
    found = section.get(group) or section.get("general")
    return found[flag] if found is not None else None


@dataclass(frozen=True, slots=True)
class Place:
    """Where the person a policy answer is for comes from (GET …/policy?region=&area=)."""

    region: str | None = None
    areas: tuple[str, ...] = ()


def check_place(
    code: str,
    place: Place,
    defined: Collection[str],
) -> None:
    """A region of the country, and areas defined (`defined`: their ids) -> else 422."""
    if place.region is not None:
        check_region(code, place.region, field="query.region")
    for area in place.areas:
        if area not in defined:
            shown = area if len(area) <= 64 else area[:63] + "…"
            raise AreaNotDefinedError(
                f"area '{shown}' is not defined for {code} on that date", field="query.area"
            )


def defined_areas(
    element_ids: Iterable[str], records: Iterable[AmendmentRecord], on: dt.date, at: dt.datetime
) -> set[str]:
    """Areas in force (the state's `area:` elements) or pending on `on` as known at `at`."""
    defined = {e.partition(":")[2] for e in element_ids if e.startswith("area:")}
    for record in pending_on(records, on, at):
        defined.update(c.area for c in record.changes if isinstance(c, DefineArea))
    return defined


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
                "value": answer_value(t.effect.element, t.after.value) if t.after else None,
                "action": t.effect.action,
                "amendment": amendment_summary(record),
            }
        )
    return intervals


def sources_of(records: Iterable[AmendmentRecord]) -> list[Doc]:
    """Every source of the records, each reference once, in order."""
    seen: dict[str, Doc] = {}
    for record in records:
        for source in record.sources:
            seen.setdefault(source.reference, source_json(source))
    return list(seen.values())


# Read once: pydantic's `model_fields` costs ~40 µs a read (a projection reads it per source
# of every element it stores).
SOURCE_FIELDS = tuple(Source.model_fields)


def source_json(source: Source) -> Doc:
    """A source as answers show it: a date not stated is null (never left out)."""
    doc = source.model_dump(mode="json")
    return {name: doc.get(name) for name in SOURCE_FIELDS}


def cited_sources(record: AmendmentRecord, element_id: str, action: str) -> list[Source]:
    """The sources behind an amendment's act on an element: those its changes on the
    element cite, or, when one of them cites none of its own, every source of the amendment."""
    cited: list[Source] = []
    for change in record.changes:
        if change.type != action or element_id not in element_ids(change):
            continue
        if not change.sources:
            return list(record.sources)
        cited += [record.sources[i] for i in change.sources if i < len(record.sources)]
    return cited or list(record.sources)


def element_sources(
    element_id: str, acts: Iterable[Mapping[str, Any]], records: Mapping[str, AmendmentRecord]
) -> list[Doc]:
    """The sources of an element's acts, each reference once, in order."""
    seen: dict[str, Doc] = {}
    for act in acts:
        for source in cited_sources(records[act["amendment"]], element_id, act["action"]):
            seen.setdefault(source.reference, source_json(source))
    return list(seen.values())


def change_sources(record: AmendmentRecord, index: int) -> list[Doc]:
    """The sources of one change of an amendment (by its index): its own, else all."""
    change = record.changes[index] if 0 <= index < len(record.changes) else None
    own = dict.fromkeys(change.sources if change is not None else ())
    chosen = [record.sources[i] for i in own if i < len(record.sources)] or record.sources
    return [source_json(s) for s in chosen]
