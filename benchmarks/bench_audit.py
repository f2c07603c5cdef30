"""Policy Ledger benchmark: `policy-ledger audit` on a large decision file vs. a bisect floor.

    python benchmarks/bench_audit.py [--decisions N] [--amendments A] [--countries C] [--quick]
                                     [--floor-runs R] [--seed S] [--keep DIR] [--ledger FILE]

Builds a synthetic ledger of A amendments over C countries in a temp SQLite file (the
generator, clock and `build` of bench_ledger.py), catches the projection up, and writes a CSV
of N synthetic decisions (streamed to disk, ~0.5 % bad rows). Then, in the same run:

- the floor: a separate Python process that reads the same CSV with the csv module, makes the
  same field conversions as projections/audit/reading.py (strip, country, ISO dates,
  recorded_at or the end of the day in Amsterdam in UTC micros, groups, region, booleans,
  lengths) and does the same three lookups per decision as bare `bisect` over in-memory
  sorted lists (segment starts as known now on the decision date and on the review date,
  segment history by valid_from for "as recorded"); no output. Median of R runs, half of
  them before the CLI runs and half after (a shared machine's speed drifts in between).
- the CLI path: `policy-ledger audit decisions.csv -o report.csv --review-date 2025-12-31`
  as a subprocess on the ledger file, on the whole file, on its first N/10 rows and on the
  header alone (the fixed cost: start-up, catch-up check, index load).

Peak memory is each child's own peak RSS (`ru_maxrss` from `os.wait4`, taken by a tiny
launcher process so the benchmark's own memory cannot leak into it). The report's row count
and the summary are checked against the input. Prints a Markdown table; timings are
reported, never asserted. See README.md.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

# Only the standard library at module level: the floor child imports this file and must not
# pay for (or carry the memory of) the product's imports.

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REVIEW_DATE = "2025-12-31"
MB = 1024 * 1024

# Field rules, as projections/audit/reading.py and domain/decision.py apply them.
COLUMNS = (
    "id",
    "country",
    "decided_on",
    "recorded_at",
    "groups",
    "region",
    "unaccompanied_minor",
    "cited_version_id",
    "outcome",
    "areas",
    "age",
    "applied_on",
    "application_type",
    "cited",
)
AREAS = ("area-1", "area-2", "area-1;area-2")  # ids the synthetic ledger may not define
APPLICATION_TYPES = frozenset({"first", "subsequent", "family_reunification"})
AREA_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
TRUE = frozenset({"true", "yes", "1"})
FALSE = frozenset({"false", "no", "0"})
GROUP_SEPARATOR = re.compile(r"[;|]")
GROUP_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
RESERVED_GROUP_IDS = frozenset({"general", "default"})
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)

BAD_KINDS = (
    "unknown_country",
    "impossible_date",
    "bad_boolean",
    "foreign_region",
    "bad_group",
    "empty_id",
    "short_row",
)

# Runs a command and writes its own rusage (not the launcher's, not the benchmark's) as JSON.
LAUNCHER = """
import json, os, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
child = subprocess.Popen(cmd)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
child.returncode = os.waitstatus_to_exitcode(status)
with open(out, "w") as f:
    json.dump({"wall": wall, "maxrss_kb": usage.ru_maxrss, "user": usage.ru_utime,
               "sys": usage.ru_stime, "exit": child.returncode}, f)
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# The floor (runs in its own process) --------------------------------------------------------


def floor_pass(csv_path: str, lists: dict[str, Any], review: str) -> dict[str, int]:
    """Parse every row as the CLI does and make its three lookups as bare bisects."""
    bisect_right = bisect.bisect_right
    fromisoformat_date = dt.date.fromisoformat
    fromisoformat_moment = dt.datetime.fromisoformat
    combine, end_of_day, utc = dt.datetime.combine, dt.time.max, dt.UTC
    rows = bad = found_now = found_then = checksum = 0
    with open(csv_path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = [name.strip().lower() for name in next(reader)]
        width = len(header)
        at = {name: header.index(name) for name in COLUMNS}
        i_id, i_country, i_day, i_rec = at["id"], at["country"], at["decided_on"], at["recorded_at"]
        i_groups, i_region, i_minor = at["groups"], at["region"], at["unaccompanied_minor"]
        i_cited, i_outcome = at["cited_version_id"], at["outcome"]
        i_areas, i_age, i_applied = at["areas"], at["age"], at["applied_on"]
        i_type, i_cites = at["application_type"], at["cited"]
        for cells in reader:
            if not cells or not any(c.strip() for c in cells):
                continue
            rows += 1
            if len(cells) != width:
                bad += 1
                continue
            v = [c.strip() for c in cells]
            try:
                if not v[i_id] or len(v[i_id]) > 200:
                    raise ValueError("id")
                country = lists.get(v[i_country].upper())
                if country is None:
                    raise ValueError("country")
                now_starts, then_starts, regions = country
                decided = fromisoformat_date(v[i_day])
                day = decided.isoformat()
                if v[i_rec]:
                    moment = fromisoformat_moment(v[i_rec])
                    moment = (
                        moment.replace(tzinfo=utc)
                        if moment.tzinfo is None
                        else moment.astimezone(utc)
                    )
                else:
                    moment = combine(decided, end_of_day, tzinfo=AMSTERDAM).astimezone(utc)
                micros = (moment - EPOCH) // MICROSECOND
                groups = tuple(
                    sorted({g.strip() for g in GROUP_SEPARATOR.split(v[i_groups]) if g.strip()})
                )
                for group in groups:
                    if len(group) > 64 or not GROUP_ID.match(group) or group in RESERVED_GROUP_IDS:
                        raise ValueError("group")
                region = v[i_region] or None
                if region is not None and region not in regions:
                    raise ValueError("region")
                flag = v[i_minor].lower()
                if flag and flag not in TRUE and flag not in FALSE:
                    raise ValueError("unaccompanied_minor")
                if len(v[i_cited]) > 64 or len(v[i_outcome]) > 200:
                    raise ValueError("length")
                areas = tuple(a.strip() for a in GROUP_SEPARATOR.split(v[i_areas]) if a.strip())
                for area in areas:
                    if len(area) > 64 or not AREA_ID.match(area):
                        raise ValueError("area")
                age = int(v[i_age]) if v[i_age] else None
                if age is not None and (age > 130 or (flag in TRUE and age >= 18)):
                    raise ValueError("age")
                if v[i_applied] and fromisoformat_date(v[i_applied]) > decided:
                    raise ValueError("applied_on")
                if v[i_type] and v[i_type] not in APPLICATION_TYPES:
                    raise ValueError("application_type")
                cites = [t.strip() for t in GROUP_SEPARATOR.split(v[i_cites]) if t.strip()]
                if len(cites) > 20 or any(len(t) > 200 for t in cites):
                    raise ValueError("cited")
            except ValueError:
                bad += 1
                continue
            # The three lookups: on the decision date as known now, as recorded then (the
            # history by valid_from), on the review date as known now.
            now = bisect_right(now_starts, day)
            then = bisect_right(then_starts, day)
            review_at = bisect_right(now_starts, review)
            found_now += now > 0
            found_then += then > 0
            checksum += now + then + review_at + (micros & 1) + (flag in TRUE) + len(areas)
    return {
        "rows": rows,
        "bad": bad,
        "found_now": found_now,
        "found_then": found_then,
        "checksum": checksum,
    }


def floor_child(csv_path: str, lists_path: str, review: str) -> None:
    start = time.perf_counter()
    with open(lists_path, encoding="utf-8") as stream:
        raw = json.load(stream)
    lists = {c: (d["now"], d["then"], frozenset(d["regions"])) for c, d in raw.items()}
    del raw
    loaded = time.perf_counter()
    counts = floor_pass(csv_path, lists, review)
    done = time.perf_counter()
    print(json.dumps({"load": loaded - start, "loop": done - loaded, **counts}), flush=True)


# Measuring a child process ------------------------------------------------------------------


@dataclass
class ChildRun:
    wall: float
    maxrss_mb: float
    user: float
    sys: float
    exit: int
    stdout: str
    stderr: str


def run_child(cmd: list[str], work: Path, name: str, env: dict[str, str] | None = None) -> ChildRun:
    usage_file = work / f"{name}.usage.json"
    out_file, err_file = work / f"{name}.stdout", work / f"{name}.stderr"
    with out_file.open("wb") as out, err_file.open("wb") as err:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(usage_file), *cmd],
            stdout=out,
            stderr=err,
            env=env,
            cwd=work,
            check=True,
        )
    usage = json.loads(usage_file.read_text())
    return ChildRun(
        wall=usage["wall"],
        maxrss_mb=usage["maxrss_kb"] * 1024 / MB,
        user=usage["user"],
        sys=usage["sys"],
        exit=usage["exit"],
        stdout=out_file.read_text(encoding="utf-8", errors="replace"),
        stderr=err_file.read_text(encoding="utf-8", errors="replace"),
    )


def hot_path_build(env: dict[str, str]) -> str:
    """Whether the CLI runs the audit's hot path compiled (mypyc) or as plain Python."""
    probe = "import projections.audit.judging as m; print(m.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    return "compiled with mypyc" if found.endswith(".so") else "plain Python"


# The ledger ---------------------------------------------------------------------------------


def bench_ledger() -> Any:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import bench_ledger as module

    return module


@dataclass
class LedgerFacts:
    events: int = 0
    build_seconds: float = 0.0
    catchup_seconds: float = 0.0
    reused: bool = False


def build_ledger_file(path: Path, args: argparse.Namespace) -> LedgerFacts:
    bl = bench_ledger()
    from api.bootstrap import build_services
    from api.settings import Settings

    countries = bl.pick_countries(args.countries, args.seed)
    gen = bl.Generator(args.amendments, countries, args.seed)
    clock = bl.TickingClock(bl.T0, (bl.T_END - bl.T0) / gen.clock_calls)
    ledger = build_services(Settings(database_url=f"sqlite:///{path}"), clock=clock)
    try:
        log(f"building: {args.amendments} amendments over {len(countries)} countries")
        start = time.perf_counter()
        bl.build(ledger, gen, clock, 1000)
        built = time.perf_counter() - start
        log("catching the projection up")
        start = time.perf_counter()
        position, failure = bl.guarded_catch_up(ledger)
        caught_up = time.perf_counter() - start
        if failure is not None:
            raise SystemExit(f"projection catch-up failed at {position}: {failure}")
        return LedgerFacts(ledger.catch_up.head(), built, caught_up)
    finally:
        ledger.close()


@dataclass
class Projected:
    """What the decision generator and the floor need from the projection."""

    now: dict[str, list[tuple[str, str]]]  # open rows: (valid_from, version_id), sorted
    then: dict[str, list[str]]  # every row's valid_from, in the history's order
    segment_rows: int
    states: int


def read_projection(path: Path) -> Projected:
    now: dict[str, list[tuple[str, str]]] = {}
    then: dict[str, list[str]] = {}
    rows = 0
    with sqlite3.connect(path) as conn:
        cursor = conn.execute(
            "SELECT g.country, g.valid_from, g.recorded_to, lower(hex(s.version_id)) "
            "FROM policy_segments g JOIN policy_states s ON s.number = g.state "
            "ORDER BY g.country, g.valid_from, g.recorded_from"
        )
        for country, day, recorded_to, version_id in cursor:
            rows += 1
            valid_from = dt.date.fromordinal(day).isoformat()  # stored as a day number
            then.setdefault(country, []).append(valid_from)
            if recorded_to is None:
                now.setdefault(country, []).append((valid_from, version_id))
            else:
                now.setdefault(country, [])
        states = conn.execute("SELECT COUNT(DISTINCT state_id) FROM policy_states").fetchone()[0]
    for starts in now.values():
        starts.sort()
    return Projected(now, then, rows, states)


def write_floor_lists(
    path: Path, projected: Projected, regions: dict[str, list[str]], outsider: str
) -> None:
    doc = {
        c: {
            "now": [s for s, _ in projected.now[c]],
            "then": projected.then[c],
            "regions": regions[c],
        }
        for c in projected.now
    }
    # A country without a recorded policy is audited too (a finding): no rows to bisect.
    doc[outsider] = {"now": [], "then": [], "regions": regions.get(outsider, [])}
    path.write_text(json.dumps(doc), encoding="utf-8")


# The decision file --------------------------------------------------------------------------


@dataclass
class Written:
    rows: int = 0
    bad: dict[str, int] = field(default_factory=dict)
    explicit_recorded_at: int = 0
    no_policy: int = 0  # valid rows of a country without a recorded policy (a finding)
    cited: int = 0
    cited_real: int = 0
    size: int = 0


def write_decisions(
    path: Path,
    n: int,
    projected: Projected,
    regions: dict[str, list[str]],
    group_ids: list[str],
    outsider: str,
    seed: int,
) -> Written:
    """N decisions, streamed: ~0.5 % bad rows of eight kinds, the rest valid."""
    rng = random.Random(seed)
    countries = sorted(projected.now)
    first, last = dt.date(2000, 1, 1), dt.date(2025, 12, 31)
    span = (last - first).days
    outsider_region = regions.get(outsider) or [f"{outsider}-01"]
    out = Written()
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for i in range(n):
            country = rng.choice(countries)
            decided = first + dt.timedelta(days=rng.randrange(span + 1))
            recorded_at = ""
            if rng.random() < 0.15:
                out.explicit_recorded_at += 1
                moment = dt.datetime.combine(decided, dt.time()) + dt.timedelta(
                    seconds=rng.randrange(180 * 86400)
                )
                style = rng.random()
                if style < 0.4:
                    recorded_at = moment.isoformat() + "Z"
                elif style < 0.8:
                    recorded_at = moment.isoformat() + "+01:00"
                else:
                    recorded_at = moment.isoformat()  # naive: taken as UTC
            groups = ";".join(rng.sample(group_ids, rng.choice((0, 0, 1, 1, 1, 2, 2, 3))))
            region = rng.choice(regions[country]) if rng.random() < 0.4 else ""
            r = rng.random()
            minor = "true" if r < 0.1 else ("false" if r < 0.7 else "")
            cited = ""
            if rng.random() < 0.2:
                out.cited += 1
                now = projected.now[country]
                day = decided.isoformat()
                j = bisect.bisect_right(now, (day, "\uffff")) - 1
                pick = rng.random()
                if pick < 0.5 and j >= 0:
                    cited = now[j][1]  # the version in force on the day, as known now
                    out.cited_real += 1
                elif pick < 0.8 and now:
                    cited = rng.choice(now)[1]  # a real version of the country, any date
                    out.cited_real += 1
                else:
                    cited = f"{rng.getrandbits(64):016x}"  # no such version
            outcome = rng.choice(("granted", "refused", "refused", ""))
            areas = rng.choice(AREAS) if rng.random() < 0.1 else ""
            age = ""
            if rng.random() < 0.3:
                age = str(rng.randrange(0, 18) if minor == "true" else rng.randrange(0, 80))
            applied = ""
            if rng.random() < 0.5:
                applied = (decided - dt.timedelta(days=rng.randrange(0, 700))).isoformat()
            app_type = rng.choice(("", "first", "subsequent", "family_reunification"))
            cites = ""
            if rng.random() < 0.1:
                index = rng.randrange(1, 20_000)
                cites = f"Kamerstuk 19637, nr. {index}"
                if rng.random() < 0.3:
                    cites += f";WBV {decided.year}/{rng.randrange(1, 60)}"
            cells = [
                f"D{i:07d}",
                country.lower() if rng.random() < 0.01 else country,
                decided.isoformat(),
                recorded_at,
                groups,
                region,
                minor,
                cited,
                outcome,
                areas,
                age,
                applied,
                app_type,
                cites,
            ]
            if rng.random() < 0.001:
                out.no_policy += 1
                cells[1], cells[5] = outsider, ""
            if rng.random() < 0.005:
                kind = rng.choice(BAD_KINDS)
                out.bad[kind] = out.bad.get(kind, 0) + 1
                if kind == "unknown_country":
                    cells[1] = "XX"
                elif kind == "impossible_date":
                    cells[2] = f"{decided.year}-02-30"
                elif kind == "bad_boolean":
                    cells[6] = "maybe"
                elif kind == "foreign_region":
                    cells[5] = rng.choice(outsider_region)
                elif kind == "bad_group":
                    cells[4] = "Not A Group!"
                elif kind == "empty_id":
                    cells[0] = ""
                else:
                    cells = cells[:-1]
            writer.writerow(cells)
            out.rows += 1
    out.size = path.stat().st_size
    return out


def head_of(source: Path, target: Path, rows: int) -> None:
    """The header and the first `rows` decisions of a file (no cell spans lines here)."""
    with source.open("rb") as src, target.open("wb") as dst:
        for number, line in enumerate(src):
            if number > rows:
                break
            dst.write(line)


# Checking the CLI's output ------------------------------------------------------------------


def summary_counts(stdout: str) -> dict[str, int]:
    """The counts of the summary table the CLI prints: a label, then the count ending the
    line (borderless; older builds drew box characters between the cells)."""
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        found = re.fullmatch(r"[│┃|\s]*(\S.*?)[│┃|\s]+(\d+)[│┃|\s]*", line)
        if found:
            counts[found.group(1)] = int(found.group(2))
    return counts


def report_rows(path: Path) -> tuple[int, int]:
    """(rows including the header, rejected rows) of a CSV report."""
    total = rejected = 0
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        total = 1
        errors = header.index("errors")
        for cells in reader:
            if cells and cells[0].startswith("#"):  # the trailer: ledger digest and seal
                continue
            total += 1
            rejected += bool(cells[errors])
    return total, rejected


# Report -------------------------------------------------------------------------------------


def fmt_rate(rate: float | None) -> str:
    if not rate:
        return ""
    if rate >= 1e6:
        return f"{rate / 1e6:.2f}M/s"
    if rate >= 1e3:
        return f"{rate / 1e3:.1f}k/s"
    return f"{rate:.0f}/s"


@dataclass
class Line:
    what: str
    decisions: int
    seconds: float
    rss_mb: float | None
    ratio: str = ""


def print_table(env: list[tuple[str, str]], lines: list[Line], notes: list[str]) -> None:
    out = ["", "### Policy Ledger audit benchmark", "", "| environment | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in env]
    out += [
        "",
        "| path | decisions | seconds | decisions/s | peak RSS | time / floor loop time |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for line in lines:
        rate = line.decisions / line.seconds if line.decisions and line.seconds else None
        rss = f"{line.rss_mb:.0f} MB" if line.rss_mb is not None else ""
        out.append(
            f"| {line.what} | {line.decisions:,} | {line.seconds:.2f} | {fmt_rate(rate)} | "
            f"{rss} | {line.ratio} |"
        )
    out += ["", *[f"- {n}" for n in notes], ""]
    print("\n".join(out), flush=True)


# Main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--decisions", "-n", type=int, default=1_000_000)
    parser.add_argument("--amendments", "-a", type=int, default=20_000)
    parser.add_argument("--countries", "-c", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="N=50,000 decisions, A=5,000")
    parser.add_argument("--floor-runs", type=int, default=3, help="floor runs (median)")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--keep", type=Path, help="keep ledger, decisions and reports here")
    parser.add_argument("--ledger", type=Path, help="reuse this ledger file (skips the build)")
    parser.add_argument("--floor-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.decisions, args.amendments = 50_000, 5_000
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.floor_child:
        floor_child(*args.floor_child)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="policy-ledger-bench-audit-") as tmp:
            run(args, Path(tmp))


def run(args: argparse.Namespace, work: Path) -> None:
    load_before = os.getloadavg()
    wall = time.perf_counter()
    n = args.decisions
    bl = bench_ledger()
    code = bl.code_version()

    # 1. The ledger, projected.
    facts = LedgerFacts()
    ledger_path = (work / "ledger.sqlite").resolve()
    if args.ledger:
        if args.ledger.resolve() != ledger_path:
            shutil.copyfile(args.ledger, ledger_path)
        facts.reused = True
        with sqlite3.connect(ledger_path) as conn:
            facts.events = conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]
    else:
        facts = build_ledger_file(ledger_path, args)
    projected = read_projection(ledger_path)
    countries = sorted(projected.now)
    regions = {c: bl.regions_of(c) for c in countries}
    import pycountry

    outsider = next(
        c.alpha_2
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)
        if c.alpha_2 not in projected.now and len(bl.regions_of(c.alpha_2)) >= 2
    )
    log(f"ledger: {facts.events} events, {projected.segment_rows} segment rows")

    # 2. The decisions.
    decisions = work / "decisions.csv"
    log(f"writing {n} decisions to {decisions}")
    start = time.perf_counter()
    written = write_decisions(
        decisions, n, projected, regions, list(bl.GROUP_IDS), outsider, args.seed + 7
    )
    write_s = time.perf_counter() - start
    tenth = max(1, n // 10)
    decisions_tenth = work / "decisions-tenth.csv"
    head_of(decisions, decisions_tenth, tenth)
    header_only = work / "decisions-header.csv"
    head_of(decisions, header_only, 0)
    bad_total = sum(written.bad.values())

    # 3. The floor, in its own process (same interpreter, same file). Half of its runs go
    # before the CLI's and half after: a shared machine's speed drifts between them.
    lists_path = work / "floor-lists.json"
    write_floor_lists(
        lists_path, projected, {**regions, outsider: bl.regions_of(outsider)}, outsider
    )
    floor_runs: list[tuple[ChildRun, dict[str, Any]]] = []

    def run_floor(k: int) -> None:
        log(f"floor run {k + 1}/{args.floor_runs}")
        child = run_child(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--floor-child",
                str(decisions),
                str(lists_path),
                REVIEW_DATE,
            ],
            work,
            f"floor{k}",
        )
        if child.exit != 0:
            raise SystemExit(f"floor child failed:\n{child.stderr}")
        floor_runs.append((child, json.loads(child.stdout.strip().splitlines()[-1])))

    floor_before = (args.floor_runs + 1) // 2
    for k in range(floor_before):
        run_floor(k)

    # 4. The CLI, end to end: header only, N/10, N.
    cli = str(Path(sys.executable).with_name("policy-ledger"))
    # The CLI imports the code of the tree this file is in (an export, say), not whatever
    # the installed entry point would find first.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = {
        **os.environ,
        "POLICY_LEDGER_DATABASE_URL": f"sqlite:///{ledger_path}",
        "PYTHONPATH": path,
    }
    env.pop("COLUMNS", None)
    runs: dict[str, tuple[ChildRun, Path, int]] = {}
    for name, source, count in (
        ("header", header_only, 0),
        ("tenth", decisions_tenth, tenth),
        ("full", decisions, n),
    ):
        report = work / f"report-{name}.csv"
        log(f"CLI audit of {count} decisions ({source.name})")
        child = run_child(
            [cli, "audit", str(source), "-o", str(report), "--review-date", REVIEW_DATE],
            work,
            f"cli-{name}",
            env,
        )
        if child.exit not in (0, 3):  # 3: some rows were rejected, as some are bad
            raise SystemExit(f"CLI audit of {source} exited {child.exit}:\n{child.stderr}")
        runs[name] = (child, report, count)
        log(f"  {child.wall:.1f}s wall, peak RSS {child.maxrss_mb:.0f} MB")

    for k in range(floor_before, args.floor_runs):
        run_floor(k)
    floor_runs.sort(key=lambda r: r[1]["loop"])
    floor_child_run, floor = floor_runs[len(floor_runs) // 2]
    floor_rss = max(r.maxrss_mb for r, _ in floor_runs)

    # 5. Checks and the table.
    notes: list[str] = []
    full, full_report, _ = runs["full"]
    counts = summary_counts(full.stdout)
    total_rows, rejected_rows = report_rows(full_report)
    audited, rejected = counts.get("audited", -1), counts.get("rejected (bad rows)", -1)
    checks = {
        "report rows = N + 1 header": total_rows == n + 1,
        "summary audited + rejected = N": audited + rejected == n,
        "rejected (summary) = rejected rows in report = floor's bad rows = bad rows written": (
            rejected == rejected_rows == floor["bad"] == bad_total
        ),
        "floor read N rows": floor["rows"] == n,
    }
    tenth_rows, _ = report_rows(runs["tenth"][1])
    checks["N/10 report rows = N/10 + 1"] = tenth_rows == tenth + 1
    notes.append(
        "checks: "
        + "; ".join(f"{name}: {'ok' if ok else 'FAILED'}" for name, ok in checks.items())
        + f" (report {total_rows} rows, {rejected_rows} rejected; summary "
        f"{audited} audited, {rejected} rejected; floor "
        f"{floor['rows']} rows, {floor['bad']} bad; written {bad_total} bad)"
    )
    notes.append(
        "summary: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k not in ("audited",))
    )
    header_run = runs["header"][0]
    tenth_run = runs["tenth"][0]
    floor_loop = floor["loop"]
    ratio = full.wall / floor_loop
    lines = [
        Line(
            f"floor: csv + field conversions + 3 bisects, loop (median of {args.floor_runs})",
            n,
            floor_loop,
            None,
            "1 (reference)",
        ),
        Line(
            "floor process: start-up + load sorted lists + loop",
            n,
            floor_child_run.wall,
            floor_rss,
            f"{floor_child_run.wall / floor_loop:.2f}x",
        ),
        Line(
            "CLI `policy-ledger audit -o report.csv`, wall",
            n,
            full.wall,
            full.maxrss_mb,
            f"**{ratio:.1f}x** (goal ≤ 3x)",
        ),
        Line(
            "CLI, first N/10 rows",
            tenth,
            tenth_run.wall,
            tenth_run.maxrss_mb,
            f"{tenth_run.wall / (floor_loop * tenth / n):.1f}x (floor loop scaled to N/10)",
        ),
        Line("CLI, header only (fixed cost)", 0, header_run.wall, header_run.maxrss_mb, ""),
    ]
    per_decision = (full.wall - header_run.wall) / n
    notes.append(
        f"CLI minus its fixed cost: {per_decision * 1e6:.1f} µs/decision "
        f"({1 / per_decision / 1e3:.1f}k decisions/s) vs. floor {floor_loop / n * 1e6:.2f} µs"
        f"/decision; CLI CPU user {full.user:.1f}s + sys {full.sys:.1f}s"
    )
    notes.append(
        f"goals: time {ratio:.1f}x the floor loop, {full.wall / floor_child_run.wall:.1f}x the "
        f"floor process (goal ≤ 3x: {'met' if ratio <= 3 else 'not met'}); "
        f"peak RSS {full.maxrss_mb:.0f} MB at N, {tenth_run.maxrss_mb:.0f} MB at N/10, "
        f"{header_run.maxrss_mb:.0f} MB for the header alone (goal < 300 MB: "
        f"{'met' if full.maxrss_mb < 300 else 'not met'}; growth N/10 → N "
        f"{full.maxrss_mb - tenth_run.maxrss_mb:+.0f} MB)"
    )
    notes.append(
        f"floor: {floor['found_now']:,} decisions on a date with a segment as known now, "
        f"{floor['found_then']:,} with a history row at or before the date; loading its lists "
        f"took {floor['load']:.2f}s"
    )
    amendments = f"(ledger {args.ledger})" if facts.reused else f"{args.amendments:,}"
    env_lines = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("machine", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"),
        ("code", code),
        ("hot path (setup.py)", hot_path_build(env)),
        (
            "N decisions / A amendments / C countries",
            f"{n:,} / {amendments} / {len(countries)}",
        ),
        ("seed", str(args.seed)),
        (
            "ledger",
            f"{facts.events:,} events; projection {projected.segment_rows:,} segment rows "
            f"({sum(len(v) for v in projected.now.values()):,} open), {projected.states:,} states"
            + (
                ""
                if facts.reused
                else f"; built in {facts.build_seconds:.0f}s, caught up in "
                f"{facts.catchup_seconds:.0f}s"
            ),
        ),
        (
            "decisions file",
            f"{written.size / MB:.0f} MB, written in {write_s:.1f}s; {bad_total:,} bad rows "
            f"({', '.join(f'{k} {v}' for k, v in sorted(written.bad.items()))}); "
            f"{written.explicit_recorded_at:,} explicit recorded_at; {written.cited:,} cite a "
            f"version ({written.cited_real:,} real ids)",
        ),
        ("review date", REVIEW_DATE),
        (
            "load average (1 min) before / after",
            f"{load_before[0]:.2f} / {os.getloadavg()[0]:.2f}",
        ),
        (
            "run",
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {time.perf_counter() - wall:.0f}s wall",
        ),
    ]
    if bl.code_version() != code:
        notes.append(f"WARNING: the code changed during the run; now {bl.code_version()}")
    print_table(env_lines, lines, notes)
    if args.keep:
        log(f"kept in {work}")


if __name__ == "__main__":
    main()
