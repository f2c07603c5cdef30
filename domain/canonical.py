"""RFC 8785 canonical JSON, fast: what the ledger hashes (events, states, digests).

The `rfc8785` package is pure Python (about 60 µs for an element, 0.3 ms for an event).
For the JSON the ledger holds (strings, booleans, null, safe integers, arrays and objects
with ASCII member names) orjson with sorted keys writes the same bytes: the same string
escapes, no whitespace, and for ASCII names code-point order is RFC 8785's UTF-16 order.
Anything else (a float, a large integer, a non-ASCII name) goes to `rfc8785`. A property
test holds the two equal.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate: rfc8785 says what is wrong with it
    return rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    """Whether orjson writes the RFC 8785 bytes of `value` (loops, not recursion through
    generators: this check is most of the cost)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        else:
            return False
    return True
