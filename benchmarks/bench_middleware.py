"""What the observability middleware costs per request, in process (no sockets, no server).

    python benchmarks/bench_middleware.py [--requests N] [--repeat R]

Calls a minimal ASGI app (a fixed 200 response, as `GET /countries/{code}/policy` would
send it) N times directly, bare and wrapped in `api.observability.Observe`: without the
access log (request id, header echo, route-template histogram), and with the access log
written as JSON lines to /dev/null. Prints the median over R runs of microseconds per
request and the difference to bare. Never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.routing import Route

from api.observability import JsonFormatter, Observe

ROUTE = Route("/countries/{code}/policy", endpoint=lambda request: None)
BODY = b"x" * 12_000


async def endpoint(scope: Any, receive: Any, send: Any) -> None:
    scope["route"] = ROUTE  # what Starlette's router records on a match
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


async def run(app: Any, requests: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        return None

    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    started = time.perf_counter()
    for _ in range(requests):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/countries/PK/policy",
            "query_string": b"on=2020-01-01",
            "headers": headers,
        }
        await app(scope, receive, send)
    return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    handler = logging.FileHandler("/dev/null")
    handler.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)

    apps = {
        "bare ASGI app": endpoint,
        "Observe, access log off": Observe(endpoint, access_log=False),
        "Observe, JSON access log to /dev/null": Observe(endpoint, access_log=True),
    }
    results: dict[str, list[float]] = {name: [] for name in apps}
    loop = asyncio.new_event_loop()
    for _ in range(args.repeat):
        for name, app in apps.items():  # interleaved, so drifting load hits all alike
            results[name].append(loop.run_until_complete(run(app, args.requests)))
    bare = statistics.median(results["bare ASGI app"])
    print(f"| path | µs per request (median of {args.repeat} x {args.requests}) | added |")
    print("|---|---:|---:|")
    for name, times in results.items():
        median = statistics.median(times)
        added = "" if name == "bare ASGI app" else f"{median - bare:.2f} µs"
        print(f"| {name} | {median:.2f} | {added} |")


if __name__ == "__main__":
    main()
