"""The change vocabulary: what one amendment can say about a country's policy.

These models are the stored form of a change and, with the same `type` names and fields,
the public contract of the HTTP API. They check shape only (types, enums, lengths);
rules that need context (a region of the right country, a group designated on a date)
belong to the domain.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

GROUP_ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
REGION_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"
TOPIC_PATTERN = GROUP_ID_PATTERN
AREA_ID_PATTERN = GROUP_ID_PATTERN
# Words that stand for "no group / no region" in element ids, so no group may take them.
RESERVED_GROUP_IDS = frozenset({"general", "default"})


def _not_reserved(value: str) -> str:
    if value in RESERVED_GROUP_IDS:
        raise ValueError(f"'{value}' is reserved in element ids")
    return value


def _written_date(value: object) -> object:
    """A date comes as text (YYYY-MM-DD) or a date; a number is not taken for a Unix time."""
    if isinstance(value, int | float):
        raise ValueError("a date is written as text, YYYY-MM-DD, not as a number")
    return value


# A calendar date in input: pydantic would read 0 or 20241126 as seconds since 1970.
Day = Annotated[dt.date, BeforeValidator(_written_date)]
GroupId = Annotated[
    str,
    StringConstraints(pattern=GROUP_ID_PATTERN, max_length=64),
    AfterValidator(_not_reserved),
]
RegionCode = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]
Topic = Annotated[str, StringConstraints(pattern=TOPIC_PATTERN, max_length=64)]
AreaId = Annotated[str, StringConstraints(pattern=AREA_ID_PATTERN, max_length=64)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_post_init(self, context: Any, /) -> None:
        # A frozen model's set of given fields never changes (assignment is refused), so
        # instances share one per distinct set: a ledger's records hold hundreds of
        # thousands of these models, and a set each took 18 MB of an audit's 300 at 20,000
        # amendments. pydantic-core wants a `set` (not a frozenset) when it dumps.
        given = self.__pydantic_fields_set__
        shared = _GIVEN.setdefault(frozenset(given), given)
        object.__setattr__(self, "__pydantic_fields_set__", shared)

    # model_copy(update=...) adds to the copy's set: a copy gets a set of its own.
    def __copy__(self) -> Self:
        return _own_given(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return _own_given(super().__deepcopy__(memo))


ModelT = TypeVar("ModelT", bound=BaseModel)
# The shared sets of given fields, by their members (a few hundred: models x the optional
# fields given).
_GIVEN: dict[frozenset[str], set[str]] = {}


def _own_given(model: ModelT) -> ModelT:
    object.__setattr__(model, "__pydantic_fields_set__", set(model.__pydantic_fields_set__))
    return model


def _empty(value: object) -> bool:
    return not value


def _none(value: object) -> bool:
    return value is None


# Fields added after events were stored use one of these as `exclude_if`: a change that does
# not use them dumps to exactly the bytes it had before (stored payloads, hashes, version ids).
def _sources_field() -> Any:
    return Field(
        default=(),
        max_length=50,
        exclude_if=_empty,
        description="Indices into the amendment's `sources`: the sources of this change alone "
        "(none: every source of the amendment).",
    )


def _exceptions_field() -> Any:
    return Field(
        default=(),
        max_length=50,
        exclude_if=_empty,
        description="Who the rule does not apply to, as the source says.",
    )


SourceIndex = Annotated[int, Field(ge=0, le=49)]


class ApplicationType(StrEnum):
    """The kind of application a decision is on (the sources distinguish them: a moratorium
    that does not cover family reunification, say)."""

    FIRST = "first"
    SUBSEQUENT = "subsequent"
    FAMILY_REUNIFICATION = "family_reunification"


class RuleException(Frozen):
    """Who a rule does not apply to: in the source's words, and the group when it is one the
    country's ledger has labelled (designated or declined, at any date), or the kind of
    application when the source names one."""

    group: GroupId | None = None
    application_type: ApplicationType | None = Field(
        default=None,
        exclude_if=_none,
        description="The kind of application the rule does not cover (e.g. family_reunification).",
    )
    text: Note


def _distinct(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ValueError("each place is named once")
    return values


class Scope(Frozen):
    """Where a rule applies: ISO 3166-2 regions of the change's country and areas defined
    with `define_area`. A change without a scope applies to the whole country."""

    regions: Annotated[tuple[RegionCode, ...], AfterValidator(_distinct)] = Field(
        default=(),
        max_length=100,
        exclude_if=_empty,
        description="ISO 3166-2 codes of the country's regions.",
    )
    areas: Annotated[tuple[AreaId, ...], AfterValidator(_distinct)] = Field(
        default=(),
        max_length=100,
        exclude_if=_empty,
        description="Ids of areas defined with define_area (by the amendment's date).",
    )

    @model_validator(mode="after")
    def _names_a_place(self) -> Scope:
        if not self.regions and not self.areas:
            raise ValueError("a scope names at least one region or area (omit it: whole country)")
        return self

    def places(self) -> tuple[str, ...]:
        """The scope's places as element id suffixes: regions, then `area:<id>`."""
        return (*self.regions, *(f"area:{a}" for a in self.areas))


def _no_scope(value: Scope | None) -> bool:
    return value is None


# A new optional field: absent from a change's dump when not used, so a change stored
# before scopes existed keeps its bytes (docs/schema-evolution.md).
ScopeField = Annotated[
    Scope | None,
    Field(
        default=None,
        exclude_if=_no_scope,
        description="Where the change applies; absent: the whole country.",
    ),
]


class GroupCategory(StrEnum):
    RISK_PROFILE = "risk_profile"
    GROUP_PERSECUTION = "group_persecution"
    VULNERABLE_MINORITY = "vulnerable_minority"
    ATTENTION_GROUP = "attention_group"  # aandachtsgroep
    SPECIAL_POLICY = "special_policy"  # bijzonder beleid


class ViolenceLevel(StrEnum):
    """Article 15(c) levels, an ordinal scale from lowest to highest."""

    NONE = "none"
    LOWER = "lower"
    HIGHER = "higher"
    MOST_EXCEPTIONAL = "most_exceptional"

    @property
    def rank(self) -> int:
        return list(ViolenceLevel).index(self)


class ProtectionActor(StrEnum):
    """Who can offer protection (Article 7 of the Qualification Directive)."""

    AUTHORITIES = "authorities"
    INTERNATIONAL_ORGANISATIONS = "international_organisations"


class MoratoriumKind(StrEnum):
    DECISION = "decision"
    DEPARTURE = "departure"


class DesignateGroup(Frozen):
    type: Literal["designate_group"] = "designate_group"
    group: GroupId
    category: GroupCategory
    label_nl: Label
    label_en: Label
    scope: ScopeField = None
    exceptions: tuple[RuleException, ...] = _exceptions_field()
    sources: tuple[SourceIndex, ...] = _sources_field()


class RevokeGroup(Frozen):
    type: Literal["revoke_group"] = "revoke_group"
    group: GroupId
    category: GroupCategory
    scope: ScopeField = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class RelabelGroup(Frozen):
    type: Literal["relabel_group"] = "relabel_group"
    group: GroupId
    label_nl: Label | None = None
    label_en: Label | None = None
    scope: ScopeField = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class SetProtection(Frozen):
    type: Literal["set_protection"] = "set_protection"
    group: GroupId | None = None
    authorities_protect: bool
    note: Note | None = None
    scope: ScopeField = None
    actors: tuple[ProtectionActor, ...] = Field(
        default=(),
        max_length=2,
        exclude_if=_empty,
        description="Who can offer protection; lists `authorities` exactly when "
        "`authorities_protect` is true. Omit when the source does not say.",
    )
    sources: tuple[SourceIndex, ...] = _sources_field()

    @field_validator("actors")
    @classmethod
    def _actors(
        cls, actors: tuple[ProtectionActor, ...], info: ValidationInfo
    ) -> tuple[ProtectionActor, ...]:
        if len(set(actors)) != len(actors):
            raise ValueError("an actor is named twice")
        protect = info.data.get("authorities_protect")
        if actors and protect is not None and (ProtectionActor.AUTHORITIES in actors) != protect:
            raise ValueError(
                "`authorities` is among the actors exactly when authorities_protect is true"
            )
        # One order, so the same statement is the same value however it was listed.
        return tuple(a for a in ProtectionActor if a in actors)


class SetInternalProtectionAlternative(Frozen):
    type: Literal["set_internal_protection_alternative"] = "set_internal_protection_alternative"
    group: GroupId | None = None
    region: RegionCode | None = None
    available: bool
    note: Note | None = None
    scope: ScopeField = None
    exceptions: tuple[RuleException, ...] = _exceptions_field()
    sources: tuple[SourceIndex, ...] = _sources_field()


class SetArticle15c(Frozen):
    type: Literal["set_article_15c"] = "set_article_15c"
    region: RegionCode | None = None
    level: ViolenceLevel | None = Field(
        default=None, exclude_if=_none, description="Exactly one of `level` and `at_most`."
    )
    armed_conflict: bool | None = Field(
        default=None,
        exclude_if=_none,
        validate_default=True,
        description="Required with `level`; with `at_most` only when the source says.",
    )
    at_most: ViolenceLevel | None = Field(
        default=None,
        exclude_if=_none,
        validate_default=True,
        description='Only a bound where the source states no level: `higher` for "not the '
        'most exceptional situation", `lower` for "not a higher level".',
    )
    scope: ScopeField = None
    exceptions: tuple[RuleException, ...] = _exceptions_field()
    sources: tuple[SourceIndex, ...] = _sources_field()

    @field_validator("armed_conflict")
    @classmethod
    def _conflict_with_level(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value is None and info.data.get("level") is not None:
            raise ValueError("armed_conflict is required with a level")
        return value

    @field_validator("at_most")
    @classmethod
    def _level_or_bound(
        cls, value: ViolenceLevel | None, info: ValidationInfo
    ) -> ViolenceLevel | None:
        if "level" not in info.data:
            return value  # the level itself was refused
        level = info.data["level"]
        if level is not None and value is not None:
            raise ValueError("state a level or a bound (at_most), not both")
        if level is None and value is None:
            raise ValueError("state a level, or a bound (at_most) where the source gives none")
        if value in (ViolenceLevel.NONE, ViolenceLevel.MOST_EXCEPTIONAL):
            raise ValueError(
                "a bound is `lower` or `higher` (at most none is the level none; "
                "at most the most exceptional bounds nothing)"
            )
        return value


class SetUnaccompaniedMinorsReception(Frozen):
    type: Literal["set_unaccompanied_minors_reception"] = "set_unaccompanied_minors_reception"
    adequate: bool
    note: Note | None = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class ImposeMoratorium(Frozen):
    type: Literal["impose_moratorium"] = "impose_moratorium"
    kind: MoratoriumKind
    until: Day | None = Field(
        default=None, description="First day the moratorium no longer applies (exclusive end)."
    )
    scope: ScopeField = None
    through: Day | None = Field(
        default=None,
        exclude_if=_none,
        description="Last day the moratorium applies (inclusive end); not with `until`.",
    )
    exceptions: tuple[RuleException, ...] = _exceptions_field()
    sources: tuple[SourceIndex, ...] = _sources_field()

    @field_validator("through")
    @classmethod
    def _one_end(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if value is not None and info.data.get("until") is not None:
            raise ValueError("state the end as `until` or as `through`, not both")
        if value == dt.date.max:
            raise ValueError("a moratorium through the last representable day has no end")
        return value

    @property
    def end(self) -> dt.date | None:
        """The first day without the moratorium, however its end was stated."""
        if self.through is not None:
            return self.through + dt.timedelta(days=1)
        return self.until


class LiftMoratorium(Frozen):
    type: Literal["lift_moratorium"] = "lift_moratorium"
    kind: MoratoriumKind
    scope: ScopeField = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class DefineArea(Frozen):
    """Names a place no ISO 3166-2 code captures (the Baghdad belts, the city of Baghdad);
    scopes may then name it. It is an element of its own (`area:<id>`), versioned as any."""

    type: Literal["define_area"] = "define_area"
    area: AreaId
    label_nl: Label
    label_en: Label
    within: Annotated[tuple[RegionCode, ...], AfterValidator(_distinct)] = Field(
        default=(),
        max_length=100,
        exclude_if=_empty,
        description="The ISO 3166-2 regions the area lies in, where the source says so.",
    )
    description: Note | None = Field(default=None, exclude_if=lambda v: v is None)
    sources: tuple[SourceIndex, ...] = _sources_field()


# A place in an element id: an ISO 3166-2 region, or `area:<id>` (always its last part).
PLACE_PATTERN = r"(?:[A-Z]{2}-[A-Z0-9]{1,3}|area:[a-z0-9_-]{1,64})"
ELEMENT_ID_PATTERN = re.compile(
    rf"^(?:group:[a-z0-9_-]{{1,64}}(?::{PLACE_PATTERN})?"
    rf"|protection:[a-z0-9_-]{{1,64}}(?::{PLACE_PATTERN})?"
    rf"|ipa:[a-z0-9_-]{{1,64}}(?::{PLACE_PATTERN})?"
    rf"|article_15c:(?:default|{PLACE_PATTERN})"
    r"|unaccompanied_minors"
    rf"|moratorium:(?:decision|departure)(?::{PLACE_PATTERN})?"
    r"|note:[a-z0-9_-]{1,64}"
    r"|area:[a-z0-9_-]{1,64})$"
)
ElementId = Annotated[str, StringConstraints(pattern=ELEMENT_ID_PATTERN.pattern)]


class DeclineGroup(Frozen):
    """The policy states that the group is NOT designated in the category (a stated no:
    "Shia Muslims are not a vulnerable minority group"), not the absence of a statement."""

    type: Literal["decline_group"] = "decline_group"
    group: GroupId
    category: GroupCategory
    label_nl: Label
    label_en: Label
    scope: ScopeField = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class Withdraw(Frozen):
    """The element is no longer stated from the amendment's in-force date on."""

    type: Literal["withdraw"] = "withdraw"
    element: ElementId
    sources: tuple[SourceIndex, ...] = _sources_field()


class ListedGroup(Frozen):
    group: GroupId
    label_nl: Label
    label_en: Label


class ReplaceGroups(Frozen):
    """From its in-force date the category holds exactly these groups ("komt te luiden"):
    every other designation in it ends then. An empty list ends them all. With a scope, the
    list of each place named: designations of that place only (`group:<id>:<place>`)."""

    type: Literal["replace_groups"] = "replace_groups"
    category: GroupCategory
    groups: tuple[ListedGroup, ...] = Field(max_length=500)
    scope: ScopeField = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class Reaffirm(Frozen):
    type: Literal["reaffirm"] = "reaffirm"
    element: ElementId
    note: Note | None = None
    sources: tuple[SourceIndex, ...] = _sources_field()


class AddNote(Frozen):
    type: Literal["note"] = "note"
    topic: Topic
    text: Note
    sources: tuple[SourceIndex, ...] = _sources_field()


Change = Annotated[
    DesignateGroup
    | RevokeGroup
    | RelabelGroup
    | SetProtection
    | SetInternalProtectionAlternative
    | SetArticle15c
    | SetUnaccompaniedMinorsReception
    | ImposeMoratorium
    | LiftMoratorium
    | Reaffirm
    | AddNote
    | DefineArea
    | DeclineGroup
    | Withdraw
    | ReplaceGroups,
    Field(discriminator="type"),
]


class SourceKind(StrEnum):
    KAMERSTUK = "kamerstuk"
    WBV = "wbv"
    STAATSCOURANT = "staatscourant"
    AMBTSBERICHT = "ambtsbericht"
    ECLI = "ecli"
    OTHER = "other"


ECLI_PATTERN = re.compile(r"^ECLI:[A-Z]{2}:[A-Z0-9]{1,7}:\d{4}:[A-Z0-9.]{1,25}$")


class Source(Frozen):
    kind: SourceKind
    reference: Label
    date: Day | None = Field(
        default=None,
        exclude_if=_none,
        description="Omit when the citation gives none (a Kamerstuk cited by number).",
    )
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = None
