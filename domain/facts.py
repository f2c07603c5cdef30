"""The facts of a policy that matter to one applicant, and how a change in them reads from
the applicant's side.

A fact is only ever what the policy states: `stated` (a value, and the element it was read
from), `not_stated` (no value: nothing is filled in by default), or `attested_later` (not
stated on the date, but a later attestation says it already held: its value, and from
when). Where rules for several places could apply, the most specific stated one answers
(domain.places). A rule whose exceptions name the applicant (one of their groups, or the
kind of application) does not apply to them: the fact is then not stated, and says why.

Pure functions over element values (element id -> value); the read side supplies the
states. Compiled with mypyc where the build does (setup.py): an audit of a large file calls
these millions of times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from sys import intern
from typing import Any, NamedTuple

from domain.places import element_id, place_chain
from events.vocabulary import ViolenceLevel

Values = Mapping[str, Mapping[str, Any]]

STATED = "stated"
NOT_STATED = "not_stated"
ATTESTED_LATER = "attested_later"
# A group's stated "no": declined in so many words, or a designation ended by a revocation
# or a replacement of its category's list. Both rank with "not designated".
DECLINED = "declined"
NOT_DESIGNATED = "not_designated"
# Removals of an element that state something (the group is no longer designated, the
# moratorium is over); a withdrawal states nothing, so after it the fact is not stated.
STATED_ENDS = {
    "revoke_group": NOT_DESIGNATED,
    "replace_groups": NOT_DESIGNATED,
    "lift_moratorium": False,
    "lapse": False,
}
# How a group's category reads from the applicant's side, lowest to highest: not designated;
# an attention group (aandachtsgroep: assessed with particular care, no lighter burden of
# proof); a vulnerable minority group; a risk profile (limited individual indications
# suffice); group persecution (membership alone suffices). `special_policy` (bijzonder
# beleid) is a rule of the group's own, whose content differs from case to case: it is off
# this scale. Being given one is in the applicant's favour and losing it against; a move
# between it and a category of the scale is UNCLEAR.
GROUP_RANK = {
    DECLINED: 0,
    NOT_DESIGNATED: 0,
    "attention_group": 1,
    "vulnerable_minority": 2,
    "risk_profile": 3,
    "group_persecution": 4,
}
OFF_SCALE_GROUP = "special_policy"
LEVEL_RANK = {level.value: level.rank for level in ViolenceLevel}
# An Article 15(c) element may state only a bound ("not the most exceptional situation":
# at_most higher). Its fact is the bound itself, "at_most:<level>", never a level made up
# for it: it stands for the levels from `none` up to the bound. A change of the fact is in
# favour only when every level after lies above every level before (against: below); when
# the two ranges overlap (a level and a bound that admits it, two bounds) it is UNCLEAR.
BOUND_PREFIX = "at_most:"
UNCLEAR = "unclear"
# A fact stated on one side and not on the other: nothing says which way it went.
UNKNOWN = "unknown"
# The ways a change of a fact can go, as bits of a verdict: unclear counts as both.
WAYS = {"in_favour": 1, "against": 2, UNCLEAR: 3, UNKNOWN: 4}


class Verdict(StrEnum):
    UNCHANGED = "unchanged"
    IN_FAVOUR = "changed_in_favour"
    AGAINST = "changed_against"
    MIXED = "changed_mixed"
    INDETERMINATE = "indeterminate"


class Basis(StrEnum):
    """What an audit takes the official to have known on the decision date: the acts
    published by then (the default), or the ledger's record when the decision was taken
    (for decisions taken with this ledger in use)."""

    PUBLISHED = "published"
    RECORDED = "recorded"


class Citation(StrEnum):
    MATCHES = "matches"
    MISMATCH = "mismatch"
    NOT_GIVEN = "not_given"


# groups, region, areas, unaccompanied minor, application type
Profile = tuple[tuple[str, ...], str | None, tuple[str, ...], bool, str | None]


# init=False and an __init__ of its own: mypyc compiles that one natively, where the
# dataclass-made one stays Python (several times slower, and made millions of times).
@dataclass(init=False, unsafe_hash=True)
class Case:
    """A checked decision in plain values, as the auditor reads it: cheap to make, so a file
    of millions of rows need not become millions of models (projections.audit.reading makes
    them from rows it can vouch for, and from a Decision otherwise). Compiled, a native
    class."""

    id: str
    country: str  # ISO 3166-1 alpha-2, upper case
    decided_on: str  # ISO date
    recorded_at: str  # when the decision was taken, ISO 8601 in UTC
    micros: int  # the same moment, in microseconds since 1970
    groups: tuple[str, ...]  # distinct and sorted: a set of claimed groups
    region: str | None
    unaccompanied_minor: bool
    cited_version_id: str | None
    outcome: str | None
    areas: tuple[str, ...]  # defined areas the applicant is from, as given
    applied_on: str | None  # ISO date
    application_type: str | None  # first | subsequent | family_reunification
    age: int | None
    cited: tuple[str, ...]  # the policy texts the decision cites, as written

    def __init__(
        self,
        id: str,
        country: str,
        decided_on: str,
        recorded_at: str,
        micros: int,
        groups: tuple[str, ...],
        region: str | None,
        unaccompanied_minor: bool,
        cited_version_id: str | None,
        outcome: str | None,
        areas: tuple[str, ...] = (),
        applied_on: str | None = None,
        application_type: str | None = None,
        age: int | None = None,
        cited: tuple[str, ...] = (),
    ) -> None:
        self.id = id
        self.country = country
        self.decided_on = decided_on
        self.recorded_at = recorded_at
        self.micros = micros
        self.groups = groups
        self.region = region
        self.unaccompanied_minor = unaccompanied_minor
        self.cited_version_id = cited_version_id
        self.outcome = outcome
        self.areas = areas
        self.applied_on = applied_on
        self.application_type = application_type
        self.age = age
        self.cited = cited

    @property
    def profile(self) -> Profile:
        """What the relevant facts depend on besides the policy."""
        return (
            self.groups,
            self.region,
            self.areas,
            self.unaccompanied_minor,
            self.application_type,
        )


@dataclass(init=False, unsafe_hash=True)  # init=False: as Case
class Fact:
    """One relevant fact: its status, its value (None when not stated) and the element it
    was read from; `since` the date an attestation states it from (attested_later);
    `excepted` the exception that keeps a stated rule from applying to this applicant;
    `ended`: stated by the act that ended the element (a revocation, a lifted moratorium)."""

    key: str
    value: Any
    element: str | None
    status: str
    since: str | None
    excepted: str | None
    ended: bool

    def __init__(
        self,
        key: str,
        value: Any,
        element: str | None,
        status: str = STATED,
        since: str | None = None,
        excepted: str | None = None,
        ended: bool = False,
    ) -> None:
        self.key = key
        self.value = value
        self.element = element
        self.status = status
        self.since = since
        self.excepted = excepted
        self.ended = ended

    @property
    def stated(self) -> bool:
        return self.status != NOT_STATED


class FactSpec(NamedTuple):  # a tuple: hashed in C, it keys caches millions of times
    """Where one relevant fact is read: the first of `candidates` (most specific first) that
    is stated, its `field` (None: whether the element is stated at all); `exempt` the
    applicant's groups and application type, as exceptions name them ("group:<id>",
    "type:<kind>")."""

    key: str
    field: str | None
    candidates: tuple[str, ...]
    exempt: tuple[str, ...] = ()


def not_stated(spec: FactSpec) -> Fact:
    return Fact(spec.key, None, None, NOT_STATED)


def relevant_facts(
    values: Values | None,
    groups: tuple[str, ...],
    region: str | None,
    *,
    areas: tuple[str, ...] = (),
    minor: bool = False,
    application_type: str | None = None,
) -> dict[str, Fact]:
    """The facts of a policy state that matter to this applicant (no attestations read)."""
    v = values or {}
    specs = fact_specs(groups, region, areas, minor, application_type)
    return {spec.key: read_fact(spec, v) for spec in specs}


@lru_cache(maxsize=4096)
def fact_specs(
    groups: tuple[str, ...],
    region: str | None,
    areas: tuple[str, ...] = (),
    minor: bool = False,
    application_type: str | None = None,
) -> tuple[FactSpec, ...]:
    """The facts that matter to an applicant with this profile, and where each is read."""
    exempt = exemptions(groups, application_type)
    chain = place_chain(region, areas)
    specs: list[FactSpec] = []
    for group in groups:
        specs += group_specs(group, chain, exempt)
    return (*specs, *place_specs(chain, minor, exempt))


@lru_cache(maxsize=4096)
def exemptions(groups: tuple[str, ...], application_type: str | None) -> tuple[str, ...]:
    found = tuple(f"group:{g}" for g in groups)
    return (*found, f"type:{application_type}") if application_type else found


def group_specs(
    group: str, chain: tuple[str | None, ...], exempt: tuple[str, ...] = ()
) -> tuple[FactSpec, ...]:
    """A claimed group's facts, read along `chain` (domain.places.place_chain)."""
    return (
        FactSpec(f"group:{group}", "category", _along("group", group, chain), exempt),
        FactSpec(
            f"protection:{group}",
            "authorities_protect",
            (*_along("protection", group, chain), *_along("protection", "general", chain)),
            exempt,
        ),
        FactSpec(
            f"ipa:{group}",
            "available",
            (*_along("ipa", group, chain), *_along("ipa", "general", chain)),
            exempt,
        ),
    )


def place_specs(
    chain: tuple[str | None, ...], minor: bool = False, exempt: tuple[str, ...] = ()
) -> tuple[FactSpec, ...]:
    """The facts for every applicant from the place (read along `chain`): the general
    protection and internal protection alternative, Article 15(c), the moratoria, and
    reception for a minor."""
    specs = [
        FactSpec(
            "protection:general",
            "authorities_protect",
            _along("protection", "general", chain),
            exempt,
        ),
        FactSpec("ipa:general", "available", _along("ipa", "general", chain), exempt),
        FactSpec("article_15c", "level", _along("article_15c", "", chain), exempt),
    ]
    for kind in ("decision", "departure"):
        specs.append(
            FactSpec(f"moratorium:{kind}", None, _along("moratorium", kind, chain), exempt)
        )
    if minor:
        specs.append(FactSpec("unaccompanied_minors", "adequate", ("unaccompanied_minors",)))
    return tuple(specs)


def _along(kind: str, subject: str, chain: tuple[str | None, ...]) -> tuple[str, ...]:
    # Interned: an audit holds the same ids in thousands of specs.
    return tuple(intern(element_id(kind, subject, place)) for place in chain)


def read_fact(spec: FactSpec, v: Values, ends: Mapping[str, str] | None = None) -> Fact:
    """The fact as the state `v` states it: the first stated candidate; else, where `ends`
    (element -> the action that last removed it) says a candidate was ended by a stated end
    (a revocation, a lifted or lapsed moratorium), that end; else not stated. A stated rule
    of a wider place answers before the stated end of a narrower one."""
    for element in spec.candidates:
        if element in v:
            stated = v[element]
            excepted = _exception(stated, spec.exempt) if spec.exempt else None
            if excepted is not None:
                return Fact(spec.key, None, element, NOT_STATED, None, excepted)
            return Fact(spec.key, _value(spec, stated), element)
    if ends:
        for element in spec.candidates:
            action = ends.get(element)
            if action is not None and action in STATED_ENDS:
                return Fact(spec.key, STATED_ENDS[action], element, ended=True)
    return not_stated(spec)


def _value(spec: FactSpec, stated: Mapping[str, Any]) -> Any:
    if spec.field is None:
        return True
    if spec.field == "category":
        return DECLINED if stated.get("declined") else stated["category"]
    if spec.field == "level" and "level" not in stated:
        return BOUND_PREFIX + str(stated["at_most"])  # a bound, not a level
    return stated[spec.field]


def _exception(stated: Mapping[str, Any], exempt: tuple[str, ...]) -> str | None:
    """The text of the first exception of a stated rule that names the applicant."""
    for exception in stated.get("exceptions") or ():
        group = exception.get("group")
        kind = exception.get("application_type")
        if (group and f"group:{group}" in exempt) or (kind and f"type:{kind}" in exempt):
            return str(exception["text"])
    return None


def attested(spec: FactSpec, element: str, value: Mapping[str, Any], since: str) -> Fact:
    """The fact as a later attestation states it (from `since`)."""
    return Fact(spec.key, _value(spec, value), element, ATTESTED_LATER, since)


def level_range(value: str) -> tuple[int, int]:
    """The ranks an Article 15(c) fact admits: one for a level, `none` to the bound for a
    bound."""
    if value.startswith(BOUND_PREFIX):
        return 0, LEVEL_RANK[value[len(BOUND_PREFIX) :]]
    rank = LEVEL_RANK[value]
    return rank, rank


def _ranges_direction(before: tuple[int, int], after: tuple[int, int]) -> str:
    if after[0] > before[1]:
        return "in_favour"
    if after[1] < before[0]:
        return "against"
    return UNCLEAR


@dataclass(init=False, unsafe_hash=True)  # init=False: as Case
class FactChange:
    key: str
    before: Any
    after: Any
    direction: str  # in_favour | against | unclear | unknown
    element: str | None  # the element that holds the new value (or held the old one)
    status_before: str
    status_after: str

    def __init__(
        self,
        key: str,
        before: Any,
        after: Any,
        direction: str,
        element: str | None,
        status_before: str = STATED,
        status_after: str = STATED,
    ) -> None:
        self.key = key
        self.before = before
        self.after = after
        self.direction = direction
        self.element = element
        self.status_before = status_before
        self.status_after = status_after


def fact_direction(key: str, before: Fact, after: Fact) -> str | None:
    """How a fact went between two sides: None for no change (equal, or not stated on
    both); UNKNOWN when it is stated on one side only; else `direction` of the values."""
    was, now = before.status != NOT_STATED, after.status != NOT_STATED
    if not was and not now:
        return None
    if was != now:
        return UNKNOWN
    return direction(key, before.value, after.value)


def direction(key: str, before: Any, after: Any) -> str | None:
    """How a change of one stated fact reads from the applicant's side (None: no change;
    UNCLEAR: it may go either way, see GROUP_RANK and BOUND_PREFIX)."""
    if before == after:
        return None
    kind = key.split(":")[0]
    if kind == "group":
        if before == OFF_SCALE_GROUP or after == OFF_SCALE_GROUP:
            if GROUP_RANK.get(before) == 0:
                return "in_favour"
            return "against" if GROUP_RANK.get(after) == 0 else UNCLEAR
        rank_before, rank_after = GROUP_RANK[before], GROUP_RANK[after]
        if rank_before == rank_after:
            return None  # declined and no longer designated: both "not designated"
        better = rank_after > rank_before
    elif kind == "article_15c":
        return _ranges_direction(level_range(str(before)), level_range(str(after)))
    elif kind == "moratorium":
        better = bool(after)
    else:  # protection, internal protection alternative, reception: losing them favours
        better = not after
    return "in_favour" if better else "against"


def change_of(key: str, before: Fact, after: Fact) -> FactChange | None:
    way = fact_direction(key, before, after)
    if way is None:
        return None
    element = after.element or before.element
    return FactChange(key, before.value, after.value, way, element, before.status, after.status)


def compare(before: dict[str, Fact], after: dict[str, Fact]) -> list[FactChange]:
    changes = []
    for key, old in before.items():
        change = change_of(key, old, after[key])
        if change is not None:
            changes.append(change)
    return changes


def verdict(changes: Iterable[FactChange]) -> Verdict:
    """Unclear changes count both ways (mixed: a person must look); a fact stated on one
    side only makes the verdict indeterminate."""
    ways = 0
    for c in changes:
        ways |= WAYS[c.direction]
    return verdict_of(ways)


def verdict_of(ways: int) -> Verdict:
    """The verdict from the ways the changes went (bits of WAYS)."""
    if ways & 4:
        return Verdict.INDETERMINATE
    return VERDICTS[ways & 3]


VERDICTS = (Verdict.UNCHANGED, Verdict.IN_FAVOUR, Verdict.AGAINST, Verdict.MIXED)


def citation(cited: str | None, version: str | None) -> Citation:
    if cited is None:
        return Citation.NOT_GIVEN
    return Citation.MATCHES if cited == version else Citation.MISMATCH


def same_fact(first: Fact, second: Fact) -> bool:
    return first.status == second.status and first.value == second.value


def same_facts(first: dict[str, Fact], second: dict[str, Fact]) -> bool:
    return all(same_fact(first[k], second[k]) for k in first)
