"""Connection pooling is sized by settings: POLICY_LEDGER_POOL_* -> the library's POSTGRES_*
settings -> the psycopg pool every recorder of a process shares."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
from eventsourcing.persistence import OperationalError

from api.bootstrap import build_services, store_env
from api.settings import Settings

PG = "postgresql://app:s3cret@db.example:6543/ledger?schema=policy"


def test_pool_settings_map_onto_the_library_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICY_LEDGER_DATABASE_URL", PG)
    monkeypatch.setenv("POLICY_LEDGER_POOL_SIZE", "7")
    monkeypatch.setenv("POLICY_LEDGER_POOL_MAX_OVERFLOW", "3")
    monkeypatch.setenv("POLICY_LEDGER_POOL_TIMEOUT", "9")
    env = store_env(Settings(_env_file=None))  # type: ignore[call-arg]
    assert env["POSTGRES_POOL_SIZE"] == "7"
    assert env["POSTGRES_MAX_OVERFLOW"] == "3"
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "9"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.example", "6543")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("app", "s3cret")
    assert (env["POSTGRES_DBNAME"], env["POSTGRES_SCHEMA"]) == ("ledger", "policy")


def test_overflow_defaults_to_the_pool_size() -> None:
    env = store_env(Settings(database_url=PG, pool_size=4))
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == ("4", "4")
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"


def test_sqlite_has_no_pool_settings(sqlite_url: str) -> None:
    env = store_env(Settings(database_url=sqlite_url, pool_size=9))
    assert not [key for key in env if key.startswith("POSTGRES_")]


@pytest.mark.postgres
def test_the_pool_is_sized_by_settings_and_shared(postgres_url: str) -> None:
    ledger = build_services(
        Settings(database_url=postgres_url, pool_size=2, pool_max_overflow=1, pool_timeout=1)
    )
    try:
        datastore = ledger.app.recorder.datastore  # type: ignore[attr-defined]
        assert ledger.view.datastore is datastore  # type: ignore[attr-defined]
        assert (datastore.pool.min_size, datastore.pool.max_size) == (2, 3)
        with ExitStack() as held:
            for _ in range(3):  # every connection the pool may open
                held.enter_context(datastore.get_connection())
            started = time.monotonic()
            with pytest.raises(OperationalError), datastore.get_connection():
                pass
            waited = time.monotonic() - started
        assert 0.8 <= waited < 5, waited  # it waited pool_timeout for a free connection
        assert ledger.catch_up.head() == 0  # and the pool serves again once they are back
    finally:
        ledger.close()
