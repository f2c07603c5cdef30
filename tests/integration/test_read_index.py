"""The in-process index answers exactly as the SQL read model does, and stays fresh."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from api.bootstrap import Services
from domain.loader import record_file

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
DATES = ["2024-11-24", "2024-11-25", "2024-11-26", "2024-12-18", "2025-06-01", "9999-12-31"]


@pytest.mark.parametrize("on", DATES)
def test_index_document_equals_the_sql_document(ledger: Services, on: str) -> None:
    record_file(ledger.app, DEMO, "test")
    now = dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(on)

    from_index = json.loads(ledger.reads.index().policy_json("PK", day, now))
    from_sql = ledger.reads.as_projected.policy("PK", day, now)

    assert from_index == json.loads(json.dumps(from_sql))


def test_index_sees_a_write_from_another_process(
    open_ledger: Callable[..., Services],
) -> None:
    reader, writer = open_ledger(), open_ledger()
    record_file(writer.app, DEMO, "test")
    writer.catch_up.run()  # the writer projects; the reader only sees the tables move

    document = json.loads(
        reader.reads.index().policy_json("PK", dt.date(2024, 11, 26), dt.datetime.now(dt.UTC))
    )

    assert "pti" in [g["id"] for g in document["groups"]]
