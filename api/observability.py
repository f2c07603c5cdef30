"""Request ids, structured JSON logs and Prometheus metrics.

- Every HTTP request gets an id: the caller's `X-Request-ID` when it is sane (1-128 of
  `A-Za-z0-9._:@/+=-`), else a new one. It is echoed in the response's `X-Request-ID` and
  carried by a context variable onto every log line written while the request runs (thread
  pool work included: the context is copied there).
- Logs are one JSON object per line (`JsonFormatter`); bearer tokens, `plt_` tokens and
  passwords in database URLs are masked in every field of every line (message, path,
  request id, traceback), whoever wrote it; an `X-Request-ID` that looks like a secret is
  replaced by a new id. The access line carries method, path (never the query string or
  any header), status and duration_ms.
- Metrics (prometheus-client): request latencies by method, route template and status (the
  histogram's `_count` is the request count), amendments recorded, decisions audited, and,
  computed when scraped, the projection's position, the log head and the lag between them.
  With several worker processes set PROMETHEUS_MULTIPROC_DIR (`policy-ledger serve
  --workers N` makes one): every worker writes its samples there and a scrape, whichever
  worker answers it, sums them.

`Observe` is a plain ASGI middleware (not BaseHTTPMiddleware), outermost, so it sees every
response, 500s included; it costs a few microseconds per request (README, Performance).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any

import orjson
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from api.bootstrap import Services
    from api.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

access = logging.getLogger("policy_ledger.access")

# Metrics -------------------------------------------------------------------------------

# No `_created` series: half the output, nothing we use.
disable_created_metrics()  # type: ignore[no-untyped-call]
# Our own registry, not the library's global one: apps made in one process (tests) share
# these metrics without registering them twice.
REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "policy_ledger_http_request_duration_seconds",
    "HTTP requests by method, route template and status; _count is the request count.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
AMENDMENTS = Counter(
    "policy_ledger_amendments_recorded",
    "Commands recorded through the API: amendment, in_force (date), retraction.",
    ["kind"],
    registry=REGISTRY,
)
DECISIONS = Counter(
    "policy_ledger_decisions_audited",
    "Decisions through POST /audits: audited, or rejected (a bad row).",
    ["outcome"],
    registry=REGISTRY,
)


class LedgerCollector:
    """Gauges read from the store when scraped (the same for every worker)."""

    def __init__(self, ledger: Services) -> None:
        self.ledger = ledger

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("policy_ledger_store_up", "1 when the store answered the scrape.")
        try:
            head, position = self.ledger.catch_up.head(), self.ledger.catch_up.position()
        except Exception:  # a scrape reports a broken store, it does not fail
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _gauge("policy_ledger_log_head", "Notification id of the last event.", head)
        yield _gauge(
            "policy_ledger_projection_position",
            "Notification id of the last event in the read model.",
            position,
        )
        yield _gauge(
            "policy_ledger_projection_lag_events",
            "Events in the log not yet in the read model.",
            head - position,
        )
        replica = self.ledger.reads.replica
        if replica is None:
            return
        try:
            lag = replica.lag()
        except Exception:
            return
        yield _gauge(
            "policy_ledger_replica_lag_events",
            "Events in the primary's log not yet in the read replica's read model.",
            lag.events,
        )
        yield _gauge(
            "policy_ledger_replica_lag_seconds",
            "Age of the oldest event the read replica's read model lacks (0: none).",
            lag.seconds,
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge


def exposition(ledger: Services) -> bytes:
    """The metrics in Prometheus' text format: every worker's samples, then the store's."""
    if os.environ.get(MULTIPROCESS_DIR):
        counted = CollectorRegistry()
        MultiProcessCollector(counted)  # type: ignore[no-untyped-call]
    else:
        counted = REGISTRY
    live = CollectorRegistry(auto_describe=False)
    live.register(LedgerCollector(ledger))
    return generate_latest(counted) + generate_latest(live)


# Middleware ---------------------------------------------------------------------------


class Observe:
    """Request id, latency histogram and access log line, for every HTTP request."""

    def __init__(self, app: ASGIApp, *, access_log: bool) -> None:
        self.app = app
        self.access_log = access_log
        # Label children by (method, route, status): a dict lookup instead of .labels().
        self._timers: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                if SANE_REQUEST_ID.fullmatch(value) and SUSPECT.search(value.decode()) is None:
                    request_id = value.decode()  # never a token: it is logged and echoed
                break
        if request_id is None:
            request_id = os.urandom(8).hex()
        reset = REQUEST_ID.set(request_id)
        echo = (b"x-request-id", request_id.encode())
        status = 500  # unless a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echo]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = perf_counter() - started
            route = scope.get("route")
            key = (scope["method"], getattr(route, "path", "unmatched"), status)
            timer = self._timers.get(key)
            if timer is None:
                method = key[0] if key[0] in METHODS else "other"
                timer = self._timers[key] = REQUEST_SECONDS.labels(method, key[1], str(status))
            timer.observe(elapsed)
            if self.access_log and access.isEnabledFor(logging.INFO):
                _log_access(key[0], scope["path"], status, elapsed)
            REQUEST_ID.reset(reset)


def _log_access(method: str, path: str, status: int, elapsed: float) -> None:
    # The record is made directly: Logger.info would also walk the stack for the caller.
    record = access.makeRecord(
        access.name,
        logging.INFO,
        __file__,
        0,
        "%s %s %d",
        (method, path, status),
        None,
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
        },
    )
    access.handle(record)


# Logs ---------------------------------------------------------------------------------

SECRETS = [
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1[masked]"),
    # Anywhere, not only at a word's start: `idplt_…` holds a whole token too.
    (re.compile(r"plt_[A-Za-z0-9_\-]+"), "plt_[masked]"),
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=,]\s*[\"']?)[^\"'\n]+"), r"\1[masked]"),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1[masked]@"),
]
FIELDS = ("method", "path", "status", "duration_ms")


SUSPECT = re.compile(r"(?i)bearer|plt_|authorization|://")


def mask(text: str) -> str:
    if SUSPECT.search(text) is None:  # one scan for the common case: nothing to mask
        return text
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and for access
    lines method, path, status, duration_ms; an exception's traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": _utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            doc["request_id"] = mask(str(request_id))
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:  # every text field masked, the path included
                doc[name] = mask(value) if isinstance(value, str) else value
        if record.exc_info:
            doc["exception"] = mask(self.formatException(record.exc_info))
        return orjson.dumps(doc, default=str).decode()


_second: tuple[int, str] = (0, "1970-01-01T00:00:00")  # last whole second, formatted


def _utc_time(created: float) -> str:
    """ISO 8601 UTC with milliseconds; the date and time part is formatted once a second."""
    global _second
    whole = int(created)
    cached = _second  # one read: threads may replace it meanwhile
    if cached[0] != whole:
        cached = _second = (
            whole,
            dt.datetime.fromtimestamp(whole, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        )
    return f"{cached[1]}.{int((created - whole) * 1000):03d}+00:00"


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, with the request id and the same masking."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        return mask(f"{line} [{request_id}]" if request_id else line)


def log_config(settings: Settings) -> dict[str, Any]:
    """A logging.config dict for uvicorn and our own processes (uvicorn's access log is off:
    `Observe` writes a richer one)."""
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
