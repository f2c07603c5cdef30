"""Processes starting together on a store never used before (found by the concurrent-editors
test: `policy-ledger serve --workers 2` on a new PostgreSQL schema lost a worker, and
uvicorn stopped the server, when both workers created the library's tables at once).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from api.bootstrap import Services

PROCESSES = 4
START = """
import json, sys, time
from api.bootstrap import build_services
from api.settings import Settings
config = json.loads(sys.argv[1])
time.sleep(max(0.0, config["start_at"] - time.time()))
ledger = build_services(Settings(database_url=config["url"]))
ledger.catch_up.run()
ledger.close()
"""


def test_processes_opening_a_new_store_together_all_open_it(
    store_url: str, open_ledger: Callable[..., Services], figures: Callable[..., Any]
) -> None:
    config = json.dumps({"url": store_url, "start_at": time.time() + 1.5})
    processes = [
        subprocess.Popen([sys.executable, "-c", START, config], stderr=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    failures = []
    for process in processes:
        _, errors = process.communicate(timeout=60)
        if process.returncode != 0:
            failures.append(errors.strip().splitlines()[-1])
    assert failures == []
    ledger = open_ledger()
    assert ledger.catch_up.head() == 0
    assert ledger.view.countries() == []
