"""ISO 3166 codes: countries (alpha-2) and their regions (3166-2 subdivisions)."""

from __future__ import annotations

from functools import cache, lru_cache

import pycountry

from domain.errors import RegionOutsideCountryError, UnknownCountryCodeError


@lru_cache(maxsize=4096)
def country_code(raw: str) -> str:
    """The canonical (upper-case) alpha-2 code, or UnknownCountryCodeError."""
    code = raw.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise UnknownCountryCodeError(
            f"'{raw}' is not an ISO 3166-1 alpha-2 country code", field="country"
        )
    return code


def country_code_value(raw: str) -> str:
    """`country_code` for pydantic validators, where a ValueError names the field."""
    try:
        return country_code(raw)
    except UnknownCountryCodeError as error:
        raise ValueError(error.detail) from None


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country is not None else code


@cache
def regions_of(code: str) -> frozenset[str]:
    return frozenset(s.code for s in pycountry.subdivisions.get(country_code=code) or ())


@cache
def region_name(region: str) -> str:
    subdivision = pycountry.subdivisions.get(code=region)
    return subdivision.name if subdivision is not None else region


def check_region(country: str, region: str, *, field: str) -> None:
    if region not in regions_of(country):
        raise RegionOutsideCountryError(
            f"'{region}' is not an ISO 3166-2 subdivision of {country}", field=field
        )


@cache
def parent_regions(region: str) -> tuple[str, ...]:
    """The regions `region` lies in, nearest first (ISO 3166-2 parent codes: IQ-AR, Arbīl,
    lies in IQ-KR, the Kurdistan Region)."""
    parents: list[str] = []
    code = region
    while (subdivision := pycountry.subdivisions.get(code=code)) is not None:
        parent = subdivision.parent_code
        if not parent:
            break
        if "-" not in parent:  # some pycountry releases give the code without its country
            parent = f"{code.split('-')[0]}-{parent}"
        if parent in parents or parent == region:
            break
        parents.append(parent)
        code = parent
    return tuple(parents)
