"""POLICY_LEDGER_READ_MODEL_SCHEMA: the read model in a schema of its own beside the event
log, so a new read model can be built in the background (blue/green) while the old one
serves, then switched to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from typer.testing import CliRunner

from api.bootstrap import ConfigurationError, build_services
from api.cli import cli
from api.settings import Settings
from integration.test_projector_lock import leadership_of
from integration.worked_history import (
    NOW,
    at,
    read_model,
    rebuild,
    record_afghanistan,
    record_worked_history,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def green(postgres_url: str) -> Iterator[str]:
    """A schema name for the new read model, dropped afterwards."""
    schema = parse_qs(urlparse(postgres_url).query)["schema"][0] + "_green"
    yield schema
    with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def tables(url: str, schema: str) -> set[str]:
    with psycopg.connect(url.split("?")[0]) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return {r[0] for r in rows}


def test_a_green_read_model_is_built_beside_the_blue_one_and_answers_alike(
    postgres_url: str, green: str, clock: Any
) -> None:
    blue = build_services(Settings(database_url=postgres_url), clock=clock)
    try:
        record_worked_history(blue, clock)
        blue.catch_up.run()
        # Green: the same event log, its read model in another schema, built from the log.
        built = build_services(Settings(database_url=postgres_url, read_model_schema=green))
        try:
            assert built.catch_up.position() == 0
            built.catch_up.run()
            assert read_model(built) == read_model(blue)
            assert built.reads.as_projected.timeline("PK", NOW) == blue.reads.as_projected.timeline(
                "PK", NOW
            )

            # Both follow new writes; each has its own position and its own projector lock.
            record_afghanistan(blue, clock, at(2025, 3, 2))
            blue.catch_up.run()
            assert built.catch_up.lag() == 2  # AF opened, its amendment
            built.catch_up.run()
            assert read_model(built) == read_model(blue) == rebuild(built)
            locks = [leadership_of(blue), leadership_of(built)]
            assert all(lock.try_acquire() for lock in locks)
            for lock in locks:
                lock.release()
        finally:
            built.close()
    finally:
        blue.close()
    event_schema = parse_qs(urlparse(postgres_url).query)["schema"][0]
    assert {"policy_segments", "policyledger_tracking"} <= tables(postgres_url, green)
    assert "policyledger_events" not in tables(postgres_url, green)
    assert "policyledger_events" in tables(postgres_url, event_schema)


def test_doctor_looks_for_the_read_model_in_its_schema(postgres_url: str, green: str) -> None:
    env = {"POLICY_LEDGER_DATABASE_URL": postgres_url, "POLICY_LEDGER_READ_MODEL_SCHEMA": green}
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["init"], env={"POLICY_LEDGER_DATABASE_URL": postgres_url}).exit_code
        == 0
    )
    assert runner.invoke(cli, ["doctor"], env=env).exit_code == 1  # green not built yet
    assert runner.invoke(cli, ["init"], env=env).exit_code == 0
    result = runner.invoke(cli, ["doctor"], env=env)
    assert result.exit_code == 0, result.stdout
    assert green in result.stdout


def test_sqlite_has_no_schemas(sqlite_url: str) -> None:
    with pytest.raises(ConfigurationError, match="READ_MODEL_SCHEMA"):
        build_services(Settings(database_url=sqlite_url, read_model_schema="green"))
