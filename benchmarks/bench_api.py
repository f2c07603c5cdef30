"""HTTP benchmark: GET /countries/{code}/policy at random dates vs. a bare endpoint.

    python benchmarks/bench_api.py [--amendments N] [--countries C] [--seconds S]
                                   [--connections K] [--database PATH] [--keep PATH]

Builds (or reuses, with --database) a synthetic SQLite ledger of N amendments over C
countries with bench_ledger's generator, serves it with uvicorn (one worker, httptools +
uvloop) beside `/bare`, a fixed JSON document as large as an average policy answer from
the same process, and loads both with wrk from a separate process on loopback. Prints
requests/s, p50 and p99 for both, and the ratios. Goal (issue 3): the policy query reaches
≥ 60% of the bare endpoint's throughput with p99 at most 2x the bare endpoint's.
Never asserts; needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
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

from api.bootstrap import build_ledger  # noqa: E402
from api.settings import Settings  # noqa: E402

LUA = """
math.randomseed(20250101)
local countries = {%s}
request = function()
  local c = countries[math.random(#countries)]
  local path = string.format("/countries/%%s/policy?on=%%04d-%%02d-%%02d",
    c, math.random(2000, 2025), math.random(1, 12), math.random(1, 28))
  return wrk.format("GET", path)
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amendments", "-n", type=int, default=100_000)
    parser.add_argument("--countries", "-c", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database", type=Path, help="reuse this ledger file (no build)")
    parser.add_argument("--keep", type=Path, help="keep the built ledger file here")
    parser.add_argument("--seed", type=int, default=20250101)
    return parser.parse_args()


def build(path: Path, amendments: int, countries: int, seed: int) -> None:
    codes = bench_ledger.pick_countries(countries, seed)
    gen = bench_ledger.Generator(amendments, codes, seed)
    clock = bench_ledger.TickingClock(
        bench_ledger.T0, (bench_ledger.T_END - bench_ledger.T0) / gen.clock_calls
    )
    ledger = build_ledger(Settings(database_url=f"sqlite:///{path}"), clock=clock)
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
def server(database: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "POLICY_LEDGER_DATABASE_URL": f"sqlite:///{database}"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench_app:create",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
        ],
        cwd=HERE,
        env={**env, "PYTHONPATH": f"{HERE.parent}:{HERE}"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": _latency(output, "50%"),
        "p99": _latency(output, "99%"),
        "errors": float(len(re.findall(r"Non-2xx|Socket errors", output))),
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
    with tempfile.TemporaryDirectory(prefix="policy-ledger-api-bench-") as tmp:
        database = args.database or args.keep or Path(tmp) / "ledger.sqlite"
        if args.database is None:
            build(database, args.amendments, args.countries, args.seed)
        ledger = build_ledger(Settings(database_url=f"sqlite:///{database}"))
        codes = [row["country"] for row in ledger.view.countries()]
        amendments = sum(row["amendments"] for row in ledger.view.countries())
        ledger.close()
        script = Path(tmp) / "policy.lua"
        script.write_text(LUA % ", ".join(f'"{c}"' for c in codes))
        with server(database) as base:
            wrk(f"{base}/bare", 5, args.connections, None)  # warm up both
            wrk(base, max(args.seconds, 10), args.connections, script)
            bare = wrk(f"{base}/bare", args.seconds, args.connections, None)
            policy = wrk(base, args.seconds, args.connections, script)
    report(args, len(codes), amendments, bare, policy)


def report(
    args: argparse.Namespace, countries: int, amendments: int, bare: dict, policy: dict
) -> None:
    print("| environment | |\n|---|---|")
    print(f"| python | {sys.version.split()[0]} |")
    print(f"| ledger | {amendments} amendments over {countries} countries (SQLite) |")
    print("| server | uvicorn, 1 worker, httptools + uvloop, same machine as the loader |")
    print(f"| load | wrk -t2 -c{args.connections} -d{args.seconds}s, random countries and dates |")
    print(f"| load average (1 min) | {os.getloadavg()[0]:.2f} |\n")
    print("| endpoint | requests/s | p50 ms | p99 ms | error lines |")
    print("|---|---:|---:|---:|---:|")
    for name, m in (("bare fixed JSON (floor)", bare), ("GET …/policy?on=random", policy)):
        print(f"| {name} | {m['rps']:.0f} | {m['p50']:.2f} | {m['p99']:.2f} | {m['errors']:.0f} |")
    print(
        f"\nthroughput ratio {policy['rps'] / bare['rps']:.2f} (goal ≥ 0.60); "
        f"p99 ratio {policy['p99'] / bare['p99']:.2f} (goal ≤ 2.00)"
    )


if __name__ == "__main__":
    main()
