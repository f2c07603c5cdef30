"""HTTP schemas: what the API accepts and returns (separate from the stored event payloads).

The change vocabulary and sources are shared on purpose: their `type` names and fields are
the public contract of both the ledger and the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.commands import AmendmentDraft
from domain.countries import country_code_value
from domain.facts import Basis
from events.payloads import Text
from events.vocabulary import ApplicationType, Day, Source


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


HASH_PATTERN = r"^[0-9a-f]{64}$"
LedgerDigest = Annotated[
    str,
    Field(
        pattern=HASH_PATTERN,
        description="SHA-256 of the ledger (every country's chain head) this answer was "
        "computed from; GET /integrity and `policy-ledger verify` recompute it from the log.",
    ),
]


# Requests ----------------------------------------------------------------------------


class ExpectedVersion(Model):
    expected_version: int | None = Field(
        default=None,
        ge=1,
        le=2**62,
        description="The country's version you read; omit only for its first amendment.",
    )


# The draft's fields (domain.commands), after expected_version (the bases' fields come in
# reverse MRO order). No docstring: it would become the schema's description.
class AmendmentIn(AmendmentDraft, ExpectedVersion):
    pass


class InForceIn(Model):
    in_force_from: Day
    announced_on: Day | None = Field(
        default=None,
        description="When the in-force date was published (not after today, not before the "
        "amendment's own announced_on); default: the day it is recorded.",
    )
    expected_version: int = Field(ge=1, le=2**62)


class RetractionIn(Model):
    reason: Text = Field(min_length=1)
    source: Source | None = Field(
        default=None, description="The act that withdrew the amendment (e.g. a ruling), if any."
    )
    announced_on: Day | None = Field(
        default=None,
        description="When the retraction was published (not after today, not before the "
        "amendment's own announced_on); default: the day it is recorded.",
    )
    expected_version: int = Field(ge=1, le=2**62)


# Responses ---------------------------------------------------------------------------


def _unasked(value: object) -> bool:
    return value is None


# Present in an answer only when the question named a publication date.
PublishedBy = Annotated[
    dt.date | None,
    Field(
        default=None,
        exclude_if=_unasked,
        description="Only acts published on or before this date count (present when asked).",
    ),
]
Stated = Annotated[
    dt.date | None,
    Field(default=None, exclude_if=_unasked, description="Present when the editor stated it."),
]


class RecordedEvent(Model):
    type: str
    version: int
    recorded_at: dt.datetime


class Recorded(Model):
    country: str
    amendment_id: str
    version: int = Field(description="The country's new version: the next expected_version.")
    events: list[RecordedEvent]


class CountrySummary(Model):
    country: str
    name: str
    version: int
    amendments: int
    last_change: dt.datetime


class SourceOut(Model):
    kind: str
    reference: str
    date: dt.date | None = Field(description="Null when the citation states none.")
    url: str | None = None


class ExceptionOut(Model):
    group: str | None = Field(description="The group, when the exception is one; else null.")
    application_type: ApplicationType | None = Field(
        default=None,
        description="The kind of application the rule does not cover; absent when the "
        "source names none.",
    )
    text: str


Exceptions = Annotated[
    list[ExceptionOut] | None,
    Field(description="Who the rule does not apply to; absent when none is stated."),
]


class AmendmentRef(Model):
    id: str
    title: str | None
    announced_on: dt.date
    attestation: bool
    sources: list[SourceOut]


class Act(Model):
    amendment: str
    action: str
    on: dt.date
    title: str | None


class Provenance(Model):
    since: dt.date = Field(description="First day of the current value.")
    amendments: list[Act] = Field(description="The acts that made and confirmed the value.")
    sources: list[SourceOut]


def _absent(value: object) -> bool:
    return value is None


Scope = Annotated[
    str | None,
    Field(
        default=None,
        exclude_if=_absent,
        description="Where the rule applies: `country`, an ISO 3166-2 region, or "
        "`area:<id>`. In a whole-country answer only rules limited to a place carry it; in "
        "an answer for a place every element says where the rule it shows came from.",
    ),
]


class GroupOut(Provenance):
    id: str
    scope: Scope = None
    category: str
    label_nl: str
    label_en: str
    exceptions: Exceptions = None
    authorities_protect: bool | None = Field(
        description="The group's own value, else the general one; null when none is recorded."
    )
    internal_protection_alternative: bool | None


class AttestedOut(Model):
    element: str = Field(description="e.g. group:ahmadis")
    value: dict[str, Any] = Field(description="The value the attestation states.")
    attested_from: dt.date = Field(description="The attestation's in-force date.")
    amendment: str = Field(description="The attestation (an amendment id).")


class ProtectionOut(Provenance):
    scope: Scope = None
    authorities_protect: bool
    note: str | None
    actors: list[str] | None = Field(
        default=None,
        description="Who can offer protection (authorities, international_organisations); "
        "absent when not stated.",
    )


class IpaOut(Provenance):
    scope: Scope = None
    available: bool
    note: str | None
    exceptions: Exceptions = None


class LevelOut(Provenance):
    level: str | None = Field(default=None, description="Absent when only a bound is stated.")
    armed_conflict: bool | None = Field(default=None, description="Absent when not stated.")
    at_most: str | None = Field(
        default=None, description="A bound in place of a level: no level above this one."
    )
    exceptions: Exceptions = None


class RegionLevelOut(LevelOut):
    name: str


class Article15cOut(Model):
    default: LevelOut | None
    regions: dict[str, RegionLevelOut]


class MinorsOut(Provenance):
    scope: Scope = None
    adequate: bool
    note: str | None


class MoratoriumOut(Provenance):
    kind: str
    scope: Scope = None
    until: dt.date | None = Field(description="The first day without it; null: open-ended.")
    through: dt.date | None = Field(description="The last day with it; null: open-ended.")
    exceptions: Exceptions = None


class NoteOut(Provenance):
    topic: str
    scope: Scope = None
    text: str


class AreaOut(Provenance):
    label_nl: str
    label_en: str
    within: list[str] | None = Field(
        default=None, exclude_if=_absent, description="The regions it lies in, if stated."
    )
    description: str | None = Field(default=None, exclude_if=_absent)


class AnswerHead(Model):
    country: str
    name: str
    on: dt.date
    known_at: dt.datetime
    published_by: PublishedBy = None
    coverage: bool = Field(description="False: nothing is recorded for this date.")
    version_id: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None = Field(description="Exclusive; null while no later change.")
    ledger_digest: LedgerDigest


class PolicyOut(AnswerHead):
    """The whole-country document; rules limited to a place are listed under their place."""

    groups: list[GroupOut]
    declined_groups: list[GroupOut] = Field(
        description="Groups the policy states are NOT designated in the category given."
    )
    protection: dict[str, ProtectionOut] = Field(description="By `<group|general>[:<place>]`.")
    internal_protection_alternative: dict[str, IpaOut] = Field(
        description="By `<group|general>[:<place>]`."
    )
    article_15c: Article15cOut
    unaccompanied_minors: MinorsOut | None
    moratoria: list[MoratoriumOut]
    notes: list[NoteOut]
    areas: dict[str, AreaOut] | None = Field(
        default=None, exclude_if=_absent, description="Defined areas; absent when none."
    )
    pending: list[AmendmentRef]
    attested_later: list[AttestedOut] = Field(
        description="Elements an attestation in force after `on` states, whose value on `on` "
        "is not that one: attested from a later date, with no statement about `on` itself "
        "(not recorded is not 'not so'). An annotation: not part of the version."
    )


class PlaceOut(Model):
    region: str | None = Field(description="The ISO 3166-2 region asked for.")
    name: str | None
    parents: list[str] = Field(description="The regions it lies in (ISO nesting).")
    areas: list[str] = Field(description="The areas asked for, most specific first.")


class ResolvedLevelOut(LevelOut):
    scope: str


class PlacePolicyOut(AnswerHead):
    """The policy as it applies to a person from `place`: per element, the rule of the most
    specific place (an area asked for, the region, its parents, the whole country)."""

    place: PlaceOut
    groups: list[GroupOut]
    declined_groups: list[GroupOut] = Field(
        description="Groups the policy states are NOT designated there, in the category given."
    )
    protection: dict[str, ProtectionOut] = Field(description="By group, or `general`.")
    internal_protection_alternative: dict[str, IpaOut] = Field(
        description="By group, or `general`."
    )
    article_15c: ResolvedLevelOut | None
    unaccompanied_minors: MinorsOut | None
    moratoria: list[MoratoriumOut]
    notes: list[NoteOut]
    pending: list[AmendmentRef]
    attested_later: list[AttestedOut] = Field(
        description="Elements an attestation in force after `on` states, whose value on `on` "
        "is not that one: attested from a later date, with no statement about `on` itself "
        "(not recorded is not 'not so'). An annotation: not part of the version."
    )


class VersionSpan(Model):
    version_id: str
    valid_from: dt.date
    valid_to: dt.date | None


class VersionsOut(Model):
    country: str
    known_at: dt.datetime
    published_by: PublishedBy = None
    versions: list[VersionSpan]


class VersionOut(Model):
    country: str
    version_id: str
    elements: dict[str, dict[str, Any]]
    ledger_digest: LedgerDigest


class TimelineEntry(AmendmentRef):
    status: str
    in_force_from: dt.date | None
    recorded_at: dt.datetime
    in_force_recorded_at: dt.datetime | None
    retracted_at: dt.datetime | None
    retraction_reason: str | None
    retraction_source: SourceOut | None
    in_force_announced_on: Stated = None
    retraction_announced_on: Stated = None
    author: str
    rationale: str
    changes: list[dict[str, Any]]


class TimelineOut(Model):
    country: str
    known_at: dt.datetime
    published_by: PublishedBy = None
    amendments: list[TimelineEntry]


class HistoryInterval(Model):
    valid_from: dt.date
    valid_to: dt.date | None
    value: dict[str, Any] | None
    action: str
    amendment: AmendmentRef


class HistoryOut(Model):
    country: str
    element: str
    known_at: dt.datetime
    published_by: PublishedBy = None
    intervals: list[HistoryInterval]


class DiffEntry(Model):
    element: str
    kind: str = Field(description="added | removed | changed")
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    amendment: AmendmentRef | None
    sources: list[SourceOut]


class DiffOut(Model):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    country: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    known_at: dt.datetime
    published_by: PublishedBy = None
    changes: list[DiffEntry]


class Health(Model):
    status: str
    store: bool
    projection_position: int
    log_head: int
    lag: int
    replica_lag_events: int | None = Field(
        default=None, description="Where a read replica is configured: events it lacks."
    )
    replica_lag_seconds: float | None = Field(
        default=None, description="Age of the oldest event the replica lacks (0: none)."
    )


class ChainOut(Model):
    country: str
    events: int = Field(description="Stored events of the country, Opened included.")
    head: str | None = Field(description="Hash of its last event; null when its chain is broken.")


class BrokenLinkOut(Model):
    country: str
    position: int = Field(description="The event's version in the country's stream (1: Opened).")
    reason: str = Field(
        description="undecodable | stream | sequence | link | content | unsealed | witness | "
        "checkpoint | missing"
    )
    expected: str | None = Field(description="The hash the chain expects here.")
    found: str | None = Field(description="The hash found (stored, cited or recomputed).")
    detail: str


class CheckpointHeadOut(Model):
    position: int
    head: str = Field(pattern=HASH_PATTERN)


class CheckpointOut(Model):
    id: int | None
    position: int = Field(description="The log position (notification id) of the heads.")
    heads: dict[str, CheckpointHeadOut]
    digest: str = Field(pattern=HASH_PATTERN)
    signature: str | None
    key_id: str | None
    recorded_at: str


class IntegrityOut(Model):
    ok: bool = Field(description="Every chain recomputed from the stored rows holds.")
    checked_at: dt.datetime
    events: int
    legacy_events: int = Field(description="Events stored before the chain (no stored hash).")
    digest: str | None = Field(
        pattern=HASH_PATTERN, description="The ledger digest; null when a chain is broken."
    )
    countries: list[ChainOut]
    first_broken: BrokenLinkOut | None = Field(description="The first break in log order.")
    broken: list[BrokenLinkOut] = Field(description="The first break of each broken chain.")
    signature: str | None = Field(
        description="Ed25519 over 'policy-ledger/ledger-digest/v1\\n' + digest, base64; "
        "null when the ledger is broken or the service has no key."
    )
    key_id: str | None = Field(description="First 16 hex of SHA-256 of the raw public key.")
    public_key: str | None = Field(description="The raw Ed25519 public key, base64.")
    checkpoint: CheckpointOut | None = Field(
        default=None,
        description="The latest checkpoint of the trail kept in the store, with every head "
        "it holds (what tools/verify_export.py --checkpoint takes).",
    )


class FieldError(Model):
    field: str
    message: str


class Problem(Model):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class BrokenLedgerProblem(Problem):
    """503: a chain is broken, so nothing is signed; the links that broke."""

    first_broken: BrokenLinkOut
    broken: list[BrokenLinkOut]
    events: int


# Audits and what-if ------------------------------------------------------------------


class DraftBody(AmendmentDraft):
    """A draft amendment: applied in memory for the answer, never stored."""


class DraftIn(DraftBody):
    country: Annotated[str, AfterValidator(country_code_value)] = Field(
        max_length=8, description="ISO 3166-1 alpha-2 code."
    )


class WhatIfIn(Model):
    on: Day | None = Field(default=None, description="Valid-time date; default: today.")
    drafts: list[DraftBody] = Field(min_length=1, max_length=50)


class WhatIfOut(PolicyOut):
    drafts: list[AmendmentRef] = Field(description="The drafts applied (never stored).")


class AuditIn(Model):
    review_date: Day | None = Field(default=None, description="Default: today (UTC).")
    basis: Basis = Field(
        default=Basis.PUBLISHED,
        description="What the official could know on the decision date: the acts published "
        "by then (`published`), or the ledger's record when the decision was taken "
        "(`recorded`, for decisions taken with this ledger in use).",
    )
    decisions: list[Any] = Field(
        max_length=5000,
        description="Each: id, country, decided_on, recorded_at?, groups, region?, areas?, "
        "unaccompanied_minor?, age?, applied_on?, application_type?, cited_version_id?, "
        "cited?, outcome?",
    )
    drafts: list[DraftIn] = Field(default=[], max_length=50)


class AuditFact(Model):
    status: Literal["stated", "not_stated", "attested_later"]
    value: Any = Field(description="Null when not stated: nothing is filled in.")
    element: str | None
    since: dt.date | None = None
    amendments: list[dict[str, Any]] | None = None
    sources: list[SourceOut] | None = None
    excepted: str | None = Field(
        default=None, description="The exception that keeps the stated rule from this applicant."
    )


class AuditState(Model):
    version_id: str | None
    coverage: bool
    facts: dict[str, AuditFact]


class AuditChange(Model):
    fact: str
    element: str | None
    before: Any
    after: Any
    status_before: str
    status_after: str
    direction: Literal["in_favour", "against", "unclear", "unknown"]
    amendment: AmendmentRef | None
    sources: list[SourceOut]


class CitedOut(Model):
    text: str
    status: Literal["in_force", "not_in_force", "unknown"]
    why: Literal["pending", "retracted", "later", "superseded"] | None
    amendments: list[dict[str, Any]]


class FindingOut(Model):
    code: str
    flags: bool = Field(description="False: information only.")
    facts: dict[str, AuditFact]
    amendments: list[str]


class WarningOut(Model):
    code: str
    groups: list[str]
    message: str


class AuditResult(Model):
    id: str
    country: str
    decided_on: dt.date
    recorded_at: dt.datetime
    review_date: dt.date
    basis: Basis
    groups: list[str]
    region: str | None
    areas: list[str]
    unaccompanied_minor: bool
    age: int | None
    applied_on: dt.date | None
    application_type: str | None
    outcome: str | None
    verdict: str
    indeterminate: list[str] = Field(description="Facts stated on one side only.")
    record_differs: bool
    citation: str
    cited: list[CitedOut]
    findings: list[FindingOut]
    warnings: list[WarningOut]
    at_decision: AuditState
    as_known: AuditState | None = Field(
        default=None, description="On the published basis: as published by the decision date."
    )
    as_recorded: AuditState | None = Field(
        default=None, description="On the recorded basis: as recorded when decided."
    )
    at_review: AuditState
    changes: list[AuditChange]


class RejectedRow(Model):
    line: int
    id: str | None
    errors: list[FieldError]


class AuditSummary(Model):
    basis: Basis
    decisions: int
    audited: int
    rejected: int
    verdicts: dict[str, int]
    record_differs: dict[str, int]
    citations: dict[str, int]
    cited: dict[str, int]
    findings: dict[str, int]
    warnings: dict[str, int]
    countries: dict[str, int]
    months: dict[str, dict[str, int]]


class LedgerSeal(Model):
    digest: str
    signature: str | None
    key_id: str | None


class AuditOut(Model):
    review_date: dt.date
    summary: AuditSummary
    results: list[AuditResult]
    rejected: list[RejectedRow]
    ledger: LedgerSeal = Field(description="The ledger the audit read, with its signature.")
