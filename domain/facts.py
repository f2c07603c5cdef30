"""The facts of a policy that matter to one applicant, and how a change in them reads from
the applicant's side.

Pure functions over element values (element id -> value); the read side supplies the
states for "on the decision date as known now", "as recorded when decided" and "on the
review date". Compiled with mypyc where the build does (setup.py): an audit of a large file
calls these millions of times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from events.vocabulary import ViolenceLevel

Values = Mapping[str, Mapping[str, Any]]

# The usual assumption for a value never recorded: protection and an internal protection
# alternative available, reception adequate, no moratorium, no indiscriminate violence.
ASSUMED: dict[str, Any] = {
    "protection": True,
    "ipa": True,
    "reception": True,
    "moratorium": False,
    "article_15c": ViolenceLevel.NONE.value,
    "group": None,
}
# How a group's category reads from the applicant's side, lowest to highest: not designated;
# an attention group (aandachtsgroep: assessed with particular care, no lighter burden of
# proof); a vulnerable minority group; a risk profile (limited individual indications
# suffice); group persecution (membership alone suffices). `special_policy` (bijzonder
# beleid) is a rule of the group's own, whose content differs from case to case: it is off
# this scale. Being given one is in the applicant's favour and losing it against; a move
# between it and a category of the scale is UNCLEAR.
GROUP_RANK = {
    None: 0,
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
# The ways a change of a fact can go, as bits of a verdict: unclear counts as both.
WAYS = {"in_favour": 1, "against": 2, UNCLEAR: 3}


class Verdict(StrEnum):
    UNCHANGED = "unchanged"
    IN_FAVOUR = "changed_in_favour"
    AGAINST = "changed_against"
    MIXED = "changed_mixed"


class Citation(StrEnum):
    MATCHES = "matches"
    MISMATCH = "mismatch"
    NOT_GIVEN = "not_given"


Profile = tuple[tuple[str, ...], str | None, bool]


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

    @property
    def profile(self) -> Profile:
        """What the relevant facts depend on besides the policy."""
        return self.groups, self.region, self.unaccompanied_minor


@dataclass(init=False, unsafe_hash=True)  # init=False: as Case
class Fact:
    """One relevant fact: its value and the element it was read from (None: assumed)."""

    key: str
    value: Any
    element: str | None

    def __init__(self, key: str, value: Any, element: str | None) -> None:
        self.key = key
        self.value = value
        self.element = element


class FactSpec(NamedTuple):  # a tuple: hashed in C, it keys caches millions of times
    """Where one relevant fact is read: the most specific of `candidates` that is recorded,
    its `field` (None: whether the element is recorded at all), else the usual assumption."""

    key: str
    field: str | None
    assumption: str
    candidates: tuple[str, ...]


def relevant_facts(
    values: Values | None, groups: tuple[str, ...], region: str | None, minor: bool
) -> dict[str, Fact]:
    """The facts of a policy state that matter to this applicant."""
    v = values or {}
    return {spec.key: read_fact(spec, v) for spec in fact_specs(groups, region, minor)}


@lru_cache(maxsize=4096)
def fact_specs(groups: tuple[str, ...], region: str | None, minor: bool) -> tuple[FactSpec, ...]:
    """The facts that matter to an applicant with this profile, and where each is read."""
    specs: list[FactSpec] = []
    for group in groups:
        specs += group_specs(group, region)
    return (*specs, *place_specs(region, minor))


@lru_cache(maxsize=1024)  # asked for once per (group, region) an audit meets
def group_specs(group: str, region: str | None) -> tuple[FactSpec, ...]:
    return (
        FactSpec(f"group:{group}", "category", "group", (f"group:{group}",)),
        FactSpec(
            f"protection:{group}",
            "authorities_protect",
            "protection",
            (f"protection:{group}", "protection:general"),
        ),
        FactSpec(f"ipa:{group}", "available", "ipa", _ipa_candidates(group, region)),
    )


@lru_cache(maxsize=1024)
def place_specs(region: str | None, minor: bool) -> tuple[FactSpec, ...]:
    fifteen_c = (f"article_15c:{region}",) if region else ()
    specs = [FactSpec("article_15c", "level", "article_15c", (*fifteen_c, "article_15c:default"))]
    for kind in ("decision", "departure"):
        specs.append(FactSpec(f"moratorium:{kind}", None, "moratorium", (f"moratorium:{kind}",)))
    if minor:
        specs.append(
            FactSpec("unaccompanied_minors", "adequate", "reception", ("unaccompanied_minors",))
        )
    return tuple(specs)


def read_fact(spec: FactSpec, v: Values) -> Fact:
    for element in spec.candidates:
        if element in v:
            stated = v[element]
            if spec.field == "category" and stated.get("declined"):
                # A stated no: the group is stated as not designated (in that category).
                return Fact(spec.key, None, element)
            if spec.field is None:
                value: Any = True
            elif spec.field == "level" and "level" not in stated:
                value = BOUND_PREFIX + str(stated["at_most"])  # a bound, not a level
            else:
                value = stated[spec.field]
            return Fact(spec.key, value, element)
    return Fact(spec.key, ASSUMED[spec.assumption], None)


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


def _ipa_candidates(group: str, region: str | None) -> tuple[str, ...]:
    if region is None:
        return (f"ipa:{group}", "ipa:general")
    return (f"ipa:{group}:{region}", f"ipa:{group}", f"ipa:general:{region}", "ipa:general")


@dataclass(init=False, unsafe_hash=True)  # init=False: as Case
class FactChange:
    key: str
    before: Any
    after: Any
    direction: str  # in_favour | against
    element: str | None  # the element that holds the new value (or held the old one)

    def __init__(
        self, key: str, before: Any, after: Any, direction: str, element: str | None
    ) -> None:
        self.key = key
        self.before = before
        self.after = after
        self.direction = direction
        self.element = element


def direction(key: str, before: Any, after: Any) -> str | None:
    """How a change of one fact reads from the applicant's side (None: no change; UNCLEAR:
    it may go either way, see GROUP_RANK and BOUND_PREFIX)."""
    if before == after:
        return None
    kind = key.split(":")[0]
    if kind == "group":
        if before == OFF_SCALE_GROUP or after == OFF_SCALE_GROUP:
            if before is None:
                return "in_favour"
            return "against" if after is None else UNCLEAR
        better = GROUP_RANK[after] > GROUP_RANK[before]
    elif kind == "article_15c":
        return _ranges_direction(level_range(str(before)), level_range(str(after)))
    elif kind == "moratorium":
        better = bool(after)
    else:  # protection, internal protection alternative, reception: losing them favours
        better = not after
    return "in_favour" if better else "against"


def compare(before: dict[str, Fact], after: dict[str, Fact]) -> list[FactChange]:
    changes = []
    for key, old in before.items():
        new = after[key]
        way = direction(key, old.value, new.value)
        if way is not None:
            changes.append(FactChange(key, old.value, new.value, way, new.element or old.element))
    return changes


def verdict(changes: Iterable[FactChange]) -> Verdict:
    """Unclear changes count both ways: the verdict is then mixed (a person must look)."""
    ways = 0
    for c in changes:
        ways |= WAYS[c.direction]
    return verdict_of(bool(ways & 1), bool(ways & 2))


def verdict_of(in_favour: bool, against: bool) -> Verdict:
    """The verdict from which ways the changes went."""
    return VERDICTS[in_favour + 2 * against]


VERDICTS = (Verdict.UNCHANGED, Verdict.IN_FAVOUR, Verdict.AGAINST, Verdict.MIXED)


def citation(cited: str | None, recorded_version: str | None) -> Citation:
    if cited is None:
        return Citation.NOT_GIVEN
    return Citation.MATCHES if cited == recorded_version else Citation.MISMATCH


def same_facts(first: dict[str, Fact], second: dict[str, Fact]) -> bool:
    return all(first[k].value == second[k].value for k in first)
