"""The CLI's policy output with the v2 fields (exceptions, both moratorium ends, a 15(c)
bound, protection actors) still fits 80 columns and says what was stated."""

from __future__ import annotations

import io

from api import render


def printed(renderable: object) -> str:
    out = render.Output(file=io.StringIO())
    out.print(renderable)
    return out.file.getvalue()  # type: ignore[attr-defined]


def test_new_fields_fit_80_columns_and_are_shown() -> None:
    long = "applications lodged more than twenty-one months before the decision " * 3
    exceptions = [{"group": None, "text": long}, {"group": "pti", "text": "Family reunification"}]
    element = {
        "since": "2024-12-09",
        "amendments": [],
        "sources": [{"reference": "K", "date": None}],
    }
    doc = {
        "country": "SY",
        "name": "Syrian Arab Republic",
        "on": "2025-01-01",
        "known_at": "2100-01-01T00:00:00+00:00",
        "coverage": True,
        "version_id": "0" * 64,
        "valid_from": "2024-12-09",
        "valid_to": None,
        "groups": [
            {
                "id": "women",
                "category": "attention_group",
                "label_en": "Women",
                "label_nl": "Vrouwen",
                "exceptions": exceptions,
                **element,
            }
        ],
        "protection": {
            "general": {
                "authorities_protect": False,
                "note": None,
                "actors": ["international_organisations"],
                **element,
            }
        },
        "internal_protection_alternative": {
            "general": {"available": True, "note": None, "exceptions": exceptions, **element}
        },
        "article_15c": {
            "default": {"at_most": "higher", **element},
            "regions": {
                "SY-DI": {
                    "level": "most_exceptional",
                    "armed_conflict": True,
                    "exceptions": exceptions,
                    "name": "Dimashq",
                    **element,
                }
            },
        },
        "unaccompanied_minors": None,
        "moratoria": [
            {
                "kind": "decision",
                "until": "2025-06-09",
                "through": "2025-06-08",
                "exceptions": exceptions,
                **element,
            }
        ],
        "notes": [],
        "pending": [],
    }

    text = printed(render.policy(doc))

    assert [line for line in text.splitlines() if len(line) > render.WIDTH] == []
    for words in (  # each fits in one line of its cell
        "at most higher (no level",
        "through 2025-06-08, until",
        "actors=international_organis",
        "Vrouwen; except:",
        "attention_group",
    ):
        assert words in text
