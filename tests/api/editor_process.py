"""One editor, as a separate OS process, writing amendments through the HTTP API.

Usage: python editor_process.py '{"base_url", "token", "editor", "countries", "edits",
"retries", "start_at"}'

Waits until `start_at` (a time.time() moment shared by all editors, so they start
together), then makes `edits` edits, alternating over `countries`. Each edit reads the
country's version (GET /countries), posts an amendment with it as expected_version (none
for a country not yet recorded) and, on 409, reads again and retries, at most `retries`
times. Every reply is printed as one JSON line: status, country, amendment_id, version,
the fields a problem names, and the edit and attempt it belongs to.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import httpx

TIMEOUT = 30.0


def _versions(client: httpx.Client) -> dict[str, int]:
    response = client.get("/countries")
    response.raise_for_status()
    return {row["country"]: row["version"] for row in response.json()}


def _body(editor: int, edit: int, version: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "announced_on": "2025-01-10",
        "in_force_from": "2025-01-10",
        "title": f"Editor {editor}, edit {edit}",
        "sources": [
            {"kind": "other", "reference": f"Load test {editor}.{edit}", "date": "2025-01-10"}
        ],
        "changes": [{"type": "note", "topic": f"e{editor}-w{edit}", "text": "Written under load."}],
    }
    if version is not None:
        body["expected_version"] = version
    return body


def main(config: dict[str, Any]) -> None:
    editor, countries = int(config["editor"]), list(config["countries"])
    headers = {"Authorization": f"Bearer {config['token']}"}
    with httpx.Client(base_url=config["base_url"], timeout=TIMEOUT, headers=headers) as client:
        time.sleep(max(0.0, float(config["start_at"]) - time.time()))
        for edit in range(int(config["edits"])):
            country = countries[(edit + editor) % len(countries)]
            for attempt in range(int(config["retries"]) + 1):
                version = _versions(client).get(country)
                response = client.post(
                    f"/countries/{country}/amendments", json=_body(editor, edit, version)
                )
                reply = response.json() if response.content else {}
                line = {
                    "editor": editor,
                    "edit": edit,
                    "attempt": attempt,
                    "country": country,
                    "status": response.status_code,
                    "content_type": response.headers.get("content-type"),
                    "amendment_id": reply.get("amendment_id"),
                    "version": reply.get("version"),
                    "fields": [e.get("field") for e in reply.get("errors") or []],
                }
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()
                if response.status_code != 409:
                    break


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
