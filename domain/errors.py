"""Domain errors: each rule the ledger enforces has an error of its own.

`field` names the input at fault (dotted path, as pydantic names fields) so every face can
point a user at it.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error the domain raises on purpose."""

    title = "Ledger error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field

    def members(self) -> dict[str, object]:
        """Members a problem document adds beside type, title, status and detail."""
        return {}


class DomainRuleError(LedgerError):
    """The input is well formed but breaks a rule of the domain."""

    title = "Domain rule violated"


class UnknownCountryCodeError(DomainRuleError):
    title = "Not an ISO 3166-1 country code"


class RegionOutsideCountryError(DomainRuleError):
    title = "Region is not a subdivision of the country"


class NoChangesError(DomainRuleError):
    title = "Amendment has no changes"


class NoSourcesError(DomainRuleError):
    title = "Amendment cites no source"


class InvalidSourceError(DomainRuleError):
    title = "Source reference is malformed"


class GroupNotDesignatedError(DomainRuleError):
    title = "Group is not designated"


class UnknownGroupError(DomainRuleError):
    title = "Group is not known in this country"


class SourceIndexError(DomainRuleError):
    title = "Source index out of range"


class ElementNotStatedError(DomainRuleError):
    title = "Element is not stated"


class DuplicateGroupError(DomainRuleError):
    title = "Group listed twice"


class InvalidMoratoriumError(DomainRuleError):
    title = "Moratorium dates are inconsistent"


class InForceDateAlreadyKnownError(DomainRuleError):
    title = "In-force date already recorded"


class PublicationDateError(DomainRuleError):
    title = "Publication date is inconsistent"


class AmendmentRetractedError(DomainRuleError):
    title = "Amendment is retracted"


class NotFoundError(LedgerError):
    title = "Not found"


class CountryNotFoundError(NotFoundError):
    title = "No policy recorded for this country"


class AmendmentNotFoundError(NotFoundError):
    title = "No such amendment"


class VersionNotFoundError(NotFoundError):
    title = "No such policy version"


class LedgerNotEmptyError(LedgerError):
    """An import into a store that already holds events (it would mix two ledgers)."""

    title = "Store is not empty"


class VersionConflictError(LedgerError):
    """The caller's expected version is stale: someone else wrote first."""

    title = "Version conflict"


class InvalidScopeError(DomainRuleError):
    title = "Scope is not valid"


class AreaNotDefinedError(DomainRuleError):
    title = "Area is not defined"
