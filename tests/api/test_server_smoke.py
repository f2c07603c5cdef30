"""A real `policy-ledger serve` process over real HTTP (uvicorn), on SQLite and PostgreSQL:
a token made by `policy-ledger token create`, an amendment POSTed and read back, the CLI's
`load` from a third process seen at once, and several workers answering alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx
from api_support import PAKISTAN, SEVEN, amendment, bearer, group_ids
from servers import json_lines, serving


def test_serve_record_and_read_back(
    server_env: dict[str, str], run_cli: Callable[..., str], tmp_path: Path
) -> None:
    output = run_cli("token", "create", "--role", "editor", "--subject", "smoke")
    token = output.strip().splitlines()[-1]
    assert token.startswith("plt_")
    listed = run_cli("token", "list", "--json")
    [stored] = json.loads(listed)
    assert (stored["subject"], stored["role"], stored["state"]) == ("smoke", "editor", "active")
    assert token not in listed
    assert hashlib.sha256(token.encode()).hexdigest() not in listed

    with serving(server_env, tmp_path) as http:
        assert http.get("/health").json()["status"] == "ok"
        assert http.get("/countries").json() == []
        refused = http.post("/countries/PK/amendments", json=amendment())
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

        reply = http.post("/countries/PK/amendments", json=amendment(), headers=bearer(token))
        assert reply.status_code == 201, reply.text
        recorded = reply.json()
        assert recorded["version"] == 2

        answer = http.get("/countries/PK/policy", params={"on": "2025-01-10"}).json()
        assert group_ids(answer) == {"sikhs"}
        [row] = http.get("/countries/PK/timeline").json()["amendments"]
        assert (row["id"], row["author"]) == (recorded["amendment_id"], "smoke")
        assert http.get("/openapi.json").json()["info"]["title"] == "Policy Ledger"
        assert http.get("/docs").status_code == 200

        # `policy-ledger load` from another process: the server sees it at once.
        run_cli("load", str(PAKISTAN), "--author", "loader")
        [country] = http.get("/countries").json()
        assert (country["version"], country["amendments"]) == (5, 4)
        answer = http.get("/countries/PK/policy", params={"on": "2025-01-10"}).json()
        assert group_ids(answer) == {*SEVEN, "sikhs"}
        known = {"on": "2025-01-10", "known_at": "2100-01-01T00:00:00Z"}
        answer = http.get("/countries/PK/policy", params=known).json()
        assert group_ids(answer) == {*SEVEN, "sikhs"}


def test_several_workers_answer_alike(
    server_env: dict[str, str], run_cli: Callable[..., str], tmp_path: Path
) -> None:
    token = run_cli("token", "create", "--role", "editor", "--subject", "smoke").strip().split()[-1]
    with serving(server_env, tmp_path, workers=2) as http:
        version: int | None = None
        for i in range(6):
            body = amendment(changes=[{"type": "note", "topic": f"n{i}", "text": "A note."}])
            if version is not None:
                body["expected_version"] = version
            reply = http.post("/countries/PK/amendments", json=body, headers=bearer(token))
            assert reply.status_code == 201, reply.text
            version = reply.json()["version"]
            # Read-your-writes, whichever worker answers (new connections spread the load).
            for _ in range(4):
                with httpx.Client(base_url=http.base_url, timeout=30) as fresh:
                    answer = fresh.get("/countries/PK/policy", params={"on": "2025-01-10"})
                    topics = {n["topic"] for n in answer.json()["notes"]}
                    assert topics == {f"n{k}" for k in range(i + 1)}
                    assert fresh.get("/countries").json()[0]["version"] == version
        # Both workers answered; each scrape sums what every worker counted, whichever
        # worker answers it (prometheus-client's multiprocess mode).
        route = 'route="/countries/{code}/policy",status="200"'
        for _ in range(4):
            with httpx.Client(base_url=http.base_url, timeout=30) as fresh:
                metrics = fresh.get("/metrics").text
            [count] = [
                line
                for line in metrics.splitlines()
                if line.startswith("policy_ledger_http_request_duration_seconds_count")
                and route in line
            ]
            assert float(count.rpartition(" ")[2]) == 24
        # Every line either worker wrote is one JSON object; each request has its own id.
        lines = json_lines(http.log)  # type: ignore[attr-defined]
        reads = [a for a in lines if a.get("path") == "/countries/PK/policy"]
        assert len(reads) == 24
        assert len({a["request_id"] for a in reads}) == 24
        started = [line for line in lines if line["message"].startswith("Started server process")]
        assert len(started) == 2
