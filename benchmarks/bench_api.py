"""HTTP benchmark: GET /countries/{code}/policy at random dates vs. a bare endpoint.

    python benchmarks/bench_api.py [--amendments N] [--countries C] [--seconds S]
                                   [--connections K] [--database PATH] [--keep PATH]
                                   [--store sqlite|postgres] [--database-url URL]
                                   [--workers W ...] [--lines current known_at published_by]
                                   [--freshness head|notify] [--access-log]

For each worker count (default 1, then 2) one server, and in it the bare endpoint and each
policy line in turn: as known now (`?on=`), as known at a random moment (`&known_at=`), as
published by a random date (`&published_by=`); one table per worker count with each line's
ratios to the bare endpoint and the load average before and after.

Builds (or reuses, with --database / a non-empty --database-url) a synthetic ledger of N amendments
over C countries with bench_ledger's generator, in a SQLite file or (--store postgres) a
fresh PostgreSQL schema (POLICY_LEDGER_BENCH_POSTGRES, dropped afterwards unless
--database-url names an existing store), serves it with uvicorn (W workers, httptools +
uvloop) beside `/bare`, a fixed JSON document as large as an average policy answer from
the same processes, and loads both with wrk from a separate process on loopback. Prints
requests/s, p50, p99 and errors (non-2xx responses and socket errors) for both, and the
ratios. Goals (issues 3 and 17): each policy line reaches ≥ 60% of the bare endpoint's
throughput (random known_at ≥ 50%) with p99 at most 2x the bare endpoint's. The app's
access log is off unless --access-log (then JSON lines to a file in the temp dir). Never
asserts; needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import bench_ledger  # noqa: E402

from api.bootstrap import build_services  # noqa: E402
from api.settings import Settings  # noqa: E402

LUA = """
math.randomseed(20250101)
local countries = {%s}
local function day()
  return string.format("%%04d-%%02d-%%02d",
    math.random(2000, 2025), math.random(1, 12), math.random(1, 28))
end
request = function()
  local c = countries[math.random(#countries)]
  local path = string.format("/countries/%%s/policy?on=%%s", c, day())
  %s
  return wrk.format("GET", path)
end
"""
# What each policy line adds to the query: nothing (as known now), a random knowledge time,
# a random publication date.
LINES = {
    "current": ("GET …/policy?on=random", ""),
    "known_at": (
        "GET …/policy?on=random&known_at=random",
        'path = path .. string.format("&known_at=%s", day()) .. '
        'string.format("T%02d:%02d:00Z", math.random(0, 23), math.random(0, 59))',
    ),
    "published_by": (
        "GET …/policy?on=random&published_by=random",
        'path = path .. "&published_by=" .. day()',
    ),
}
GOALS = {"current": 0.6, "known_at": 0.5, "published_by": 0.6}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amendments", "-n", type=int, default=100_000)
    parser.add_argument("--countries", "-c", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database", type=Path, help="reuse this ledger file (no build)")
    parser.add_argument("--keep", type=Path, help="keep the built ledger file here")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url",
        nargs="+",
        help="serve these stores in turn (each built first when empty)",
    )
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="each count in turn (1 2)"
    )
    parser.add_argument(
        "--lines",
        nargs="+",
        choices=list(LINES),
        default=list(LINES),
        help="the policy lines to load beside the bare endpoint",
    )
    parser.add_argument(
        "--freshness",
        choices=["head", "notify"],
        default="notify",
        help="POLICY_LEDGER_FRESHNESS of the server (PostgreSQL)",
    )
    parser.add_argument(
        "--scoped-share",
        type=float,
        default=0.0,
        help="share of Article 15(c) changes limited to a scope of several regions (model v2)",
    )
    parser.add_argument("--access-log", action="store_true", help="JSON access lines to a file")
    return parser.parse_args()


def build(url: str, amendments: int, countries: int, seed: int, scoped_share: float = 0.0) -> None:
    codes = bench_ledger.pick_countries(countries, seed)
    gen = bench_ledger.Generator(
        amendments, codes, seed, bench_ledger.RETRACTED_SHARE, scoped_share=scoped_share
    )
    clock = bench_ledger.TickingClock(
        bench_ledger.T0, (bench_ledger.T_END - bench_ledger.T0) / gen.clock_calls
    )
    ledger = build_services(Settings(database_url=url), clock=clock)
    try:
        started = time.perf_counter()
        bench_ledger.build(ledger, gen, clock, 1000)
        print(
            f"built {amendments} amendments in {time.perf_counter() - started:.0f}s",
            file=sys.stderr,
        )
        started = time.perf_counter()
        ledger.catch_up.run()
        print(f"projected in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    finally:
        ledger.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    url: str, workers: int, tmp: Path, access_log: bool, freshness: str = "notify"
) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": url,
        "POLICY_LEDGER_FRESHNESS": freshness,
        "POLICY_LEDGER_ACCESS_LOG": "true" if access_log else "false",
        "PYTHONPATH": f"{HERE.parent}:{HERE}",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench_app:create",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    if workers > 1:  # as `policy-ledger serve` does: metrics shared through files
        metrics = tmp / f"metrics-{port}"
        metrics.mkdir()
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    output = None
    if access_log:  # the app's JSON lines, as `policy-ledger serve` configures them
        sys.path.insert(0, str(HERE.parent))
        from api.observability import log_config

        config = tmp / "logging.json"
        config.write_text(json.dumps(log_config(Settings(database_url=url))))
        command += ["--log-config", str(config)]
        output = (tmp / "server.log").open("w")
    process = subprocess.Popen(command, cwd=HERE, env=env, stderr=output)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=60)
        if output is not None:
            output.close()


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _latency(output, "50%"),
        "p99": _latency(output, "99%"),
        "requests": float(re.search(r"(\d+) requests in", output).group(1)),  # type: ignore[union-attr]
        "errors": float(
            (int(non_2xx.group(1)) if non_2xx else 0)
            + (sum(int(n) for n in sockets.groups()) if sockets else 0)
        ),
    }


def _latency(output: str, percentile: str) -> float:
    match = re.search(rf"{re.escape(percentile)}\s+([\d.]+)(us|ms|s)", output)
    assert match is not None, output
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    for url in args.database_url or [None]:
        with (
            tempfile.TemporaryDirectory(prefix="policy-ledger-api-bench-") as tmp,
            _store(args, url, Path(tmp)) as (url, description),
        ):
            if args.database is None and (args.database_url is None or _empty(url)):
                build(url, args.amendments, args.countries, args.seed, args.scoped_share)
            measure(args, url, description, Path(tmp))


def measure(args: argparse.Namespace, url: str, description: str, tmp: Path) -> None:
    """Every worker count and line against one store."""
    ledger = build_services(Settings(database_url=url))
    ledger.catch_up.run()
    codes = [row["country"] for row in ledger.view.countries()]
    amendments = sum(row["amendments"] for row in ledger.view.countries())
    ledger.close()
    scripts = {}
    for line in args.lines:
        scripts[line] = tmp / f"{line}.lua"
        scripts[line].write_text(LUA % (", ".join(f'"{c}"' for c in codes), LINES[line][1]))
    header(args, len(codes), amendments, description)
    for workers in args.workers:
        with server(url, workers, tmp, args.access_log, args.freshness) as base:
            wrk(f"{base}/bare", 5, args.connections, None)  # warm up every path
            for line in args.lines:
                wrk(base, 5, args.connections, scripts[line])
            load = os.getloadavg()[0]
            bare = wrk(f"{base}/bare", args.seconds, args.connections, None)
            results = {
                line: wrk(base, args.seconds, args.connections, scripts[line])
                for line in args.lines
            }
            report(workers, load, os.getloadavg()[0], bare, results)


def _empty(url: str) -> bool:
    ledger = build_services(Settings(database_url=url))
    try:
        return ledger.catch_up.head() == 0
    finally:
        ledger.close()


@contextmanager
def _store(args: argparse.Namespace, url: str | None, tmp: Path) -> Iterator[tuple[str, str]]:
    """(database URL, description) of the ledger to serve."""
    if url is not None:
        yield url, url.split("://")[0] + " store " + url.rsplit("/", 1)[-1]
    elif args.store == "postgres":
        with bench_ledger.store("postgres") as found:
            yield found
    else:
        path = args.database or args.keep or tmp / "ledger.sqlite"
        yield f"sqlite:///{path}", "SQLite file"


def header(args: argparse.Namespace, countries: int, amendments: int, store: str) -> None:
    print("| environment | |\n|---|---|")
    print(f"| python | {sys.version.split()[0]} |")
    scoped = f"; {args.scoped_share:.0%} of 15(c) changes scoped" if args.scoped_share else ""
    print(f"| ledger | {amendments} amendments over {countries} countries ({store}){scoped} |")
    print("| server | uvicorn, httptools + uvloop, same machine as the loader |")
    print(f"| freshness | {args.freshness} (PostgreSQL) |")
    print(f"| access log | {'JSON lines to a file' if args.access_log else 'off'} |")
    print(
        f"| load | wrk -t2 -c{args.connections} -d{args.seconds}s, random countries and dates |\n"
    )


def report(workers: int, load_before: float, load_after: float, bare: dict, lines: dict) -> None:
    print(
        f"\n{workers} worker{'s' if workers > 1 else ''}, load average (1 min) "
        f"{load_before:.2f} → {load_after:.2f}\n"
    )
    print(
        "| endpoint | requests/s | p50 ms | p99 ms | requests | errors | throughput | p99 | goal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| bare fixed JSON (floor) | {bare['rps']:.0f} | {bare['p50']:.2f} | {bare['p99']:.2f} "
        f"| {bare['requests']:.0f} | {bare['errors']:.0f} | | | |"
    )
    for line, m in lines.items():
        ratio, p99 = m["rps"] / bare["rps"], m["p99"] / bare["p99"]
        goal = GOALS[line]
        met = "met" if ratio >= goal and p99 <= 2 else "not met"
        print(
            f"| {LINES[line][0]} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} "
            f"| {m['requests']:.0f} | {m['errors']:.0f} | {ratio:.2f} | {p99:.2f}x "
            f"| ≥ {goal:.2f}, ≤ 2x: {met} |"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
