"""The served app for bench_api.py: the real application plus a bare endpoint.

`/bare` returns a fixed JSON document as large as an average policy answer, from the same
server process, so the two are measured under identical conditions.
"""

from __future__ import annotations

import datetime as dt
import os
import random

import orjson
from fastapi import FastAPI, Response

from api.app import create_app
from api.bootstrap import build_services
from api.settings import Settings


def _typical_size(settings: Settings) -> int:
    ledger = build_services(settings)
    try:
        index = ledger.reads.index()
        rng = random.Random(7)
        codes = [row["country"] for row in ledger.view.countries()]
        sizes = []
        for _ in range(200):
            day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(26 * 365))
            sizes.append(len(index.policy_json(rng.choice(codes), day, dt.datetime.now(dt.UTC))))
        return sum(sizes) // len(sizes)
    finally:
        ledger.close()


def create() -> FastAPI:
    settings = Settings()
    app = create_app(settings)
    size = int(os.environ.get("BENCH_BARE_SIZE") or _typical_size(settings))
    filler = "x" * max(size - len(b'{"filler":""}'), 0)
    body = orjson.dumps({"filler": filler})

    @app.get("/bare", include_in_schema=False)
    async def bare() -> Response:
        return Response(body, media_type="application/json")

    return app
