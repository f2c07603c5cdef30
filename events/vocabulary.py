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
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

GROUP_ID_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
REGION_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"
TOPIC_PATTERN = GROUP_ID_PATTERN
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
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GroupCategory(StrEnum):
    RISK_PROFILE = "risk_profile"
    GROUP_PERSECUTION = "group_persecution"
    VULNERABLE_MINORITY = "vulnerable_minority"


class ViolenceLevel(StrEnum):
    """Article 15(c) levels, an ordinal scale from lowest to highest."""

    NONE = "none"
    LOWER = "lower"
    HIGHER = "higher"
    MOST_EXCEPTIONAL = "most_exceptional"

    @property
    def rank(self) -> int:
        return list(ViolenceLevel).index(self)


class MoratoriumKind(StrEnum):
    DECISION = "decision"
    DEPARTURE = "departure"


class DesignateGroup(Frozen):
    type: Literal["designate_group"] = "designate_group"
    group: GroupId
    category: GroupCategory
    label_nl: Label
    label_en: Label


class RevokeGroup(Frozen):
    type: Literal["revoke_group"] = "revoke_group"
    group: GroupId
    category: GroupCategory


class RelabelGroup(Frozen):
    type: Literal["relabel_group"] = "relabel_group"
    group: GroupId
    label_nl: Label | None = None
    label_en: Label | None = None


class SetProtection(Frozen):
    type: Literal["set_protection"] = "set_protection"
    group: GroupId | None = None
    authorities_protect: bool
    note: Note | None = None


class SetInternalProtectionAlternative(Frozen):
    type: Literal["set_internal_protection_alternative"] = "set_internal_protection_alternative"
    group: GroupId | None = None
    region: RegionCode | None = None
    available: bool
    note: Note | None = None


class SetArticle15c(Frozen):
    type: Literal["set_article_15c"] = "set_article_15c"
    region: RegionCode | None = None
    level: ViolenceLevel
    armed_conflict: bool


class SetUnaccompaniedMinorsReception(Frozen):
    type: Literal["set_unaccompanied_minors_reception"] = "set_unaccompanied_minors_reception"
    adequate: bool
    note: Note | None = None


class ImposeMoratorium(Frozen):
    type: Literal["impose_moratorium"] = "impose_moratorium"
    kind: MoratoriumKind
    until: Day | None = Field(
        default=None, description="First day the moratorium no longer applies (exclusive end)."
    )


class LiftMoratorium(Frozen):
    type: Literal["lift_moratorium"] = "lift_moratorium"
    kind: MoratoriumKind


ELEMENT_ID_PATTERN = re.compile(
    r"^(?:group:[a-z0-9_-]{1,64}"
    r"|protection:[a-z0-9_-]{1,64}"
    r"|ipa:[a-z0-9_-]{1,64}(?::[A-Z]{2}-[A-Z0-9]{1,3})?"
    r"|article_15c:(?:default|[A-Z]{2}-[A-Z0-9]{1,3})"
    r"|unaccompanied_minors"
    r"|moratorium:(?:decision|departure)"
    r"|note:[a-z0-9_-]{1,64})$"
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


class Withdraw(Frozen):
    """The element is no longer stated from the amendment's in-force date on."""

    type: Literal["withdraw"] = "withdraw"
    element: ElementId


class ListedGroup(Frozen):
    group: GroupId
    label_nl: Label
    label_en: Label


class ReplaceGroups(Frozen):
    """From its in-force date the category holds exactly these groups ("komt te luiden"):
    every other designation in it ends then. An empty list ends them all."""

    type: Literal["replace_groups"] = "replace_groups"
    category: GroupCategory
    groups: tuple[ListedGroup, ...] = Field(max_length=500)


class Reaffirm(Frozen):
    type: Literal["reaffirm"] = "reaffirm"
    element: ElementId
    note: Note | None = None


class AddNote(Frozen):
    type: Literal["note"] = "note"
    topic: Topic
    text: Note


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
    date: Day
    url: Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://\S+$")] | None = None
