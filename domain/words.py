"""Words for people: a count with its noun in the right number."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 event', '4 events', '0 events'; `plural` where an added s is wrong ('countries')."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
