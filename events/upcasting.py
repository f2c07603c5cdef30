"""Upcasters: functions that turn an older stored payload into the next version's shape.

The domain's event classes call these from their `upcast_vN_vM` hooks, so the library's
mapper applies them on read and the payload models only ever see the current shape.
Each takes the stored payload (plain JSON data) and returns the next version's; stored
events are never rewritten.
"""

from __future__ import annotations

from typing import Any


def amendment_retracted_v1_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """AmendmentRetracted 1 -> 2: version 2 cites the act that withdrew the amendment
    (`source`); a version 1 retraction cited none."""
    return {**payload, "source": None}
