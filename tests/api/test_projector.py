"""`policy-ledger run-projections` on one PostgreSQL: two servers, an active projector and a
standby. The active one is killed with SIGKILL right after a large commit (usually in the
middle of projecting it); the standby takes the advisory lock and catches up, and the read
model equals a rebuild from the log: no row missing, none twice.
"""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from api_support import amendment, bearer
from integration.worked_history import read_model, rebuild
from servers import BIN, json_lines, serving

from api.bootstrap import Services
from domain.commands import AmendmentDraft
from events.vocabulary import AddNote, SetArticle15c, Source, SourceKind, ViolenceLevel

pytestmark = pytest.mark.postgres
POLL = "0.2"
LEVELS = list(ViolenceLevel)


@pytest.fixture
def store_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def projectors(
    server_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [str(BIN / "policy-ledger"), "run-projections"],
            env={**server_env, "POLICY_LEDGER_PROJECTOR_POLL_SECONDS": POLL},
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        process.log = tmp_path / f"{name}.log"  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)


def wait_for(what: str, check: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


def said(process: subprocess.Popen[bytes], words: str) -> bool:
    log: Path = process.log  # type: ignore[attr-defined]
    if process.poll() is not None and process.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"projector exited with {process.returncode}:\n{log.read_text()}")
    return any(words in line["message"] for line in json_lines(log))


def drafts(count: int, start: int) -> list[tuple[str, AmendmentDraft]]:
    """Amendments over three countries, some retroactive, so segments are split and closed."""
    made = []
    for i in range(start, start + count):
        announced = dt.date(2020, 1, 1) + dt.timedelta(days=3 * i)
        in_force = announced - dt.timedelta(days=400) if i % 7 == 0 else announced
        country = ("PK", "AF", "IQ")[i % 3]
        change: Any = (
            SetArticle15c(region=None, level=LEVELS[i % len(LEVELS)], armed_conflict=i % 2 == 0)
            if i % 2
            else AddNote(topic=f"topic{i % 5}", text=f"Note {i}.")
        )
        source = Source(
            kind=SourceKind.KAMERSTUK, reference=f"Kamerstuk 19637, nr. {i}", date=announced
        )
        made.append(
            (
                country,
                AmendmentDraft(
                    announced_on=announced,
                    in_force_from=in_force,
                    sources=(source,),
                    changes=(change,),
                ),
            )
        )
    return made


def test_a_standby_projector_takes_over_when_the_active_one_is_killed(
    projectors: Callable[[str], subprocess.Popen[bytes]],
    server_env: dict[str, str],
    run_cli: Callable[..., str],
    open_ledger: Callable[..., Services],
    tmp_path: Path,
) -> None:
    token = run_cli("token", "create", "--role", "editor", "--subject", "ops").split()[-1]
    probe = open_ledger()  # writes to the log and reads positions; never projects itself

    first = projectors("first")
    wait_for("the first projector to be active", lambda: said(first, "active"))
    second = projectors("second")
    wait_for("the second projector to stand by", lambda: said(second, "standby"))

    with ExitStack() as stack:
        servers = [stack.enter_context(serving(server_env, tmp_path)) for _ in range(2)]
        # Writes through both servers; each reads its own write back from the other.
        version = None
        for i in range(4):
            body = amendment(changes=[{"type": "note", "topic": f"http{i}", "text": "A note."}])
            if version is not None:
                body["expected_version"] = version
            reply = servers[i % 2].post(
                "/countries/PK/amendments", json=body, headers=bearer(token)
            )
            assert reply.status_code == 201, reply.text
            version = reply.json()["version"]
            other = servers[(i + 1) % 2].get("/countries/PK/timeline").json()
            assert other["amendments"][-1]["id"] == reply.json()["amendment_id"]

        # Writes nobody reads: only the active projector can bring the read model up.
        probe.app.record_amendments(drafts(30, 0), author="probe")
        head = probe.catch_up.head()
        wait_for("the active projector", lambda: probe.catch_up.position() == head, 10)

        # A large commit, and the active projector killed while it projects it.
        probe.app.record_amendments(drafts(600, 30), author="probe")
        head = probe.catch_up.head()
        time.sleep(0.1)  # projecting 600 events takes ~1 s here: it is killed mid-page
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        wait_for("the standby to take over", lambda: said(second, "active"), 30)
        wait_for("the standby to catch up", lambda: probe.catch_up.position() == head, 60)

        # And the servers answer from it, both alike.
        countries = [s.get("/countries").json() for s in servers]
        assert countries[0] == countries[1]
        assert {c["country"] for c in countries[0]} == {"AF", "IQ", "PK"}

    projected = read_model(probe)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
    assert said(second, "stopped")
    rebuilt = rebuild(probe)
    for table in rebuilt:
        only_projected = [r for r in projected[table] if r not in rebuilt[table]]
        only_rebuilt = [r for r in rebuilt[table] if r not in projected[table]]
        assert (only_projected, only_rebuilt) == ([], []), table
    assert len(projected["amendments"]) == 4 + 630
