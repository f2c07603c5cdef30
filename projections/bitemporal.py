"""A country's segment rows over both time axes, in memory: the row in force on D as recorded
at T, found by bisection instead of SQL (`policy_segments`, `PolicyViewMixin.segment_at`).

Rows are grouped by the date they start on (`valid_from`); the rows of one start never overlap
in record time (the read model keeps one open row per start), so the row of a start current
at T is one bisection away. The rows current at T never overlap in valid time either, so the
row containing D is the current row of the latest start on or before D that has one at T.
Starts that have none at T (not yet made, or closed) are skipped a block at a time: each
block of `BLOCK` starts keeps the earliest moment any of them was first recorded.

Held compactly (arrays of machine integers, shared strings): at 100,000 amendments a country
has ~4,300 rows over ~900 starts.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from sys import intern
from typing import Any

BLOCK = 32
OPEN = 2**63 - 1  # the record-time end of a row still current


@dataclass(frozen=True, slots=True)
class Found:
    """A row found at (D, T): its index, its state's index and its version's interval."""

    row: int
    state: int
    version_id: str
    valid_from: str
    valid_to: str | None


@dataclass(slots=True)
class SegmentHistory:
    starts: list[str]  # distinct valid_from, sorted
    first: array[int]  # per start, the index of its first row; one more entry at the end
    born: array[int]  # per start, when its first row was recorded (µs)
    block_born: array[int]  # per BLOCK starts, the earliest of their `born`
    recorded_from: array[int]  # per row, by start then record time (µs)
    recorded_to: array[int]  # per row (µs); OPEN while current
    valid_to: list[str | None]  # per row
    state: array[int]  # per row, its state's index (into the caller's list of states)
    version: array[int]  # per row, its version's index into `version_ids`
    version_ids: list[str]
    last_moment: int  # the latest record time of any row (µs)

    @classmethod
    def build(
        cls, rows: Iterable[Mapping[str, Any]], state_index: Mapping[str, int]
    ) -> SegmentHistory:
        """From rows as `segment_history` reads them (by valid_from, then recorded_from)."""
        starts: list[str] = []
        first, born = array("q"), array("q")
        recorded_from, recorded_to = array("q"), array("q")
        valid_to: list[str | None] = []
        state, version = array("I"), array("I")
        versions: dict[str, int] = {}
        last = 0
        for row in rows:
            start = row["valid_from"]
            if not starts or starts[-1] != start:
                starts.append(intern(start))
                first.append(len(recorded_from))
                born.append(row["recorded_from"])
            closed = row["recorded_to"]
            recorded_from.append(row["recorded_from"])
            recorded_to.append(OPEN if closed is None else closed)
            end = row["valid_to"]
            valid_to.append(None if end is None else intern(end))
            state.append(state_index[row["state_id"]])
            version.append(versions.setdefault(row["version_id"], len(versions)))
            last = max(last, row["recorded_from"], closed or 0)
        first.append(len(recorded_from))
        block_born = array("q", (min(born[i : i + BLOCK]) for i in range(0, len(born), BLOCK)))
        return cls(
            starts,
            first,
            born,
            block_born,
            recorded_from,
            recorded_to,
            valid_to,
            state,
            version,
            list(versions),
            last,
        )

    def row_of(self, start: int, at: int) -> int | None:
        """The row of the `start`-th start current at `at`, if any."""
        if self.born[start] > at:
            return None
        lo, hi = self.first[start], self.first[start + 1]
        j = bisect_right(self.recorded_from, at, lo, hi) - 1
        return j if j >= lo and self.recorded_to[j] > at else None

    def _before(self, start: int, at: int) -> tuple[int, int] | None:
        """The latest start at or before `start` with a row current at `at`, and that row."""
        while start >= 0:
            block = start // BLOCK
            if self.block_born[block] > at:
                start = block * BLOCK - 1
                continue
            j = self.row_of(start, at)
            if j is not None:
                return start, j
            start -= 1
        return None

    def _after(self, start: int, at: int) -> tuple[int, int] | None:
        """The earliest start at or after `start` with a row current at `at`, and that row."""
        while start < len(self.starts):
            block = start // BLOCK
            if self.block_born[block] > at:
                start = (block + 1) * BLOCK
                continue
            j = self.row_of(start, at)
            if j is not None:
                return start, j
            start += 1
        return None

    def find(self, on: str, at: int) -> Found | None:
        """The row containing `on` among those current at `at`, with its version's interval:
        neighbouring rows of one version (differing in provenance only) are one version."""
        found = self._before(bisect_right(self.starts, on) - 1, at)
        if found is None:
            return None
        start, row = found
        end = self.valid_to[row]
        if end is not None and end <= on:
            return None
        version = self.version[row]
        first_start = start
        while (earlier := self._before(first_start - 1, at)) is not None:
            if self.version[earlier[1]] != version:
                break
            first_start = earlier[0]
        last_row, after = row, start
        while (later := self._after(after + 1, at)) is not None:
            if self.version[later[1]] != version:
                break
            after, last_row = later
        return Found(
            row,
            self.state[row],
            self.version_ids[version],
            self.starts[first_start],
            self.valid_to[last_row],
        )
