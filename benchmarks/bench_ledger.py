"""Policy Ledger benchmark: synthetic ledger -> projection rebuild -> point-in-time lookups.

    python benchmarks/bench_ledger.py [--amendments N] [--countries C] [--store sqlite|postgres]
                                      [--lookups K] [--docs D] [--quick] [--profile PHASE]
    python benchmarks/bench_ledger.py --growth 5000,20000,100000 [--store sqlite|postgres]

Builds a fresh ledger (a SQLite file in a temp dir, or a PostgreSQL schema in database `test`
dropped afterwards), records N synthetic amendments over C real countries with a controlled
clock (record moments spread over 2000-2025), then measures in the same run:

- the projection rebuild (`CatchUp.run()` from empty) against a raw and a decoded read of the
  same events through the recorder;
- point-in-time lookups through the projection's SQL (`view.segment_at`, known_at = now and a
  random known_at) and the full `queries.policy(...)` document, against the floor: `bisect`
  over per-country sorted lists of segment start dates built in memory from what was generated.

Prints a plain-text (Markdown) table. Timings are reported, never asserted. See README.md.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pycountry  # noqa: E402
from eventsourcing.persistence import Tracking  # noqa: E402

from api.bootstrap import Services, build_services  # noqa: E402
from api.settings import Settings  # noqa: E402
from domain.commands import AmendmentDraft  # noqa: E402
from domain.instants import from_micros, to_micros  # noqa: E402
from events.vocabulary import (  # noqa: E402
    REGION_PATTERN,
    AddNote,
    Change,
    DesignateGroup,
    GroupCategory,
    RevokeGroup,
    Scope,
    SetArticle15c,
    SetUnaccompaniedMinorsReception,
    Source,
    SourceKind,
    ViolenceLevel,
)

POSTGRES_URL = os.environ.get(
    "POLICY_LEDGER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
T0 = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
T_END = dt.datetime(2025, 12, 31, 23, 0, tzinfo=dt.UTC)
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
PAGE = 1000
REGION = re.compile(REGION_PATTERN)
AUTHOR = "bench"

GROUPS = {
    "pti": ("leden van PTI", "members of PTI"),
    "hazaras": ("Hazara's", "Hazaras"),
    "christians": ("christenen", "Christians"),
    "lhbti": ("LHBTI-personen", "LGBTI persons"),
    "journalists": ("journalisten", "journalists"),
    "human-rights-defenders": ("mensenrechtenverdedigers", "human rights defenders"),
    "ahmadis": ("ahmadi's", "Ahmadis"),
    "women-alone": ("alleenstaande vrouwen", "women on their own"),
}
GROUP_IDS = list(GROUPS)
CATEGORIES = list(GroupCategory)
LEVELS = list(ViolenceLevel)
NOTE_TOPICS = ["security", "returns", "documents", "healthcare", "detention"]

# Shares of amendment kinds (the rest are ordinary, in force on or soon after announcement).
RETRACTED_SHARE = 0.01
PENDING_SHARE = 0.03
PENDING_LATER_IN_FORCE = 2 / 3  # of the pending ones, these get an in-force date later
RETROACTIVE_SHARE = 0.05


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Clock -------------------------------------------------------------------------------------


class TickingClock:
    """Each call returns the next moment: T0 + k * step. The benchmark knows k exactly."""

    def __init__(self, start: dt.datetime, step: dt.timedelta) -> None:
        self.start = start
        self.step = step
        self.k = 0

    def moment(self, k: int) -> dt.datetime:
        return self.start + k * self.step

    def __call__(self) -> dt.datetime:
        moment = self.moment(self.k)
        self.k += 1
        return moment


# The Python-side copy of the generated ledger -------------------------------------------------


@dataclass
class Planned:
    """One generated amendment, as the generator knows it."""

    index: int
    country: str
    in_force: dt.date | None  # None: pending (until an in-force date is recorded)
    groups: list[tuple[str, str, str]]  # (group, action, category) in change order
    retracted: bool = False
    amendment_id: str | None = None


@dataclass
class Command:
    due: int  # run before the chunk that starts at this amendment index
    kind: str  # in_force | retract
    target: int  # amendment index
    in_force: dt.date | None = None


@dataclass
class GroupModel:
    """Per country and group: the designate/revoke effects in force, sorted by key."""

    keys: list[tuple[dt.date, int, int]] = field(default_factory=list)
    entries: list[tuple[str, str, int]] = field(default_factory=list)  # (action, category, idx)

    def add(self, key: tuple[dt.date, int, int], action: str, category: str, idx: int) -> None:
        i = bisect.bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.entries.insert(i, (action, category, idx))

    def remove(self, idx: int) -> None:
        keep = [(k, e) for k, e in zip(self.keys, self.entries, strict=True) if e[2] != idx]
        self.keys = [k for k, _ in keep]
        self.entries = [e for _, e in keep]

    def category_on(self, on: dt.date) -> str | None:
        i = bisect.bisect_right(self.keys, (on, 1 << 62, 0)) - 1
        if i < 0:
            return None
        action, category, _ = self.entries[i]
        return category if action == "designate_group" else None


class Generator:
    """Draws amendments and later commands; mirrors the group rule the domain checks."""

    def __init__(
        self,
        n: int,
        countries: list[str],
        seed: int,
        retracted_share: float = RETRACTED_SHARE,
        scoped_share: float = 0.0,
    ) -> None:
        self.n = n
        self.retracted_share = retracted_share
        # The share of Article 15(c) changes limited to a scope of several regions (policy
        # model v2); 0 keeps the random stream, and so the ledger, as it always was.
        self.scoped_share = scoped_share
        self.rng = random.Random(seed)
        self.countries = countries
        self.regions = {c: regions_of(c) for c in countries}
        self.planned: list[Planned] = []
        self.commands: list[Command] = []
        self.groups: dict[tuple[str, str], GroupModel] = {}
        self.opened: set[str] = set()
        # Decide every amendment's kind up front, so the number of clock calls is known.
        self.kinds = [self._kind() for _ in range(n)]
        self.n_in_force = self.kinds.count("pending_later")
        self.n_retract = self.kinds.count("retracted")
        self.clock_calls = n + len(countries) + self.n_in_force + self.n_retract
        self.amendments_per_day = n / (LAST_DAY - FIRST_DAY).days

    def _kind(self) -> str:
        r = self.rng.random()
        if r < self.retracted_share:
            return "retracted"
        r -= self.retracted_share
        if r < PENDING_SHARE:
            return "pending_later" if self.rng.random() < PENDING_LATER_IN_FORCE else "pending"
        r -= PENDING_SHARE
        if r < RETROACTIVE_SHARE:
            return "retroactive"
        return "ordinary"

    def _delay(self, low_days: int, high_days: int) -> int:
        return max(1, round(self.rng.uniform(low_days, high_days) * self.amendments_per_day))

    def due_commands(self, upto: int) -> list[Command]:
        due = [c for c in self.commands if c.due <= upto]
        self.commands = [c for c in self.commands if c.due > upto]
        return sorted(due, key=lambda c: c.due)

    def apply_command(self, command: Command) -> None:
        """Mirrors a command in the Python-side model (after it was sent)."""
        planned = self.planned[command.target]
        if command.kind == "in_force":
            planned.in_force = command.in_force
            self._add_groups(planned)
        else:
            planned.retracted = True
            for group in {g for g, _, _ in planned.groups}:
                self.groups[(planned.country, group)].remove(planned.index)

    def _add_groups(self, planned: Planned) -> None:
        assert planned.in_force is not None
        for idx, (group, action, category) in enumerate(planned.groups):
            model = self.groups.setdefault((planned.country, group), GroupModel())
            model.add((planned.in_force, planned.index, idx), action, category, planned.index)

    def draft(self, index: int, country: str, record_moment: dt.datetime) -> AmendmentDraft:
        rng = self.rng
        kind = self.kinds[index]
        announced = max(FIRST_DAY, record_moment.date() - dt.timedelta(days=rng.randint(0, 14)))
        in_force: dt.date | None
        if kind in ("pending", "pending_later"):
            in_force = None
        elif kind == "retroactive":
            in_force = max(FIRST_DAY, announced - dt.timedelta(days=rng.randint(30, 5 * 365)))
        else:
            in_force = announced + dt.timedelta(days=rng.choice((0, 0, 0, 1, 7, 14, 30, 60)))
        on = in_force or announced
        # Which groups are designated on `on`, as the domain's check will see them.
        designated = {
            g: cat
            for g in GROUP_IDS
            if (m := self.groups.get((country, g))) is not None and (cat := m.category_on(on))
        }
        changes: list[Change] = []
        groups: list[tuple[str, str, str]] = []
        used_groups: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            r = rng.random()
            free_designated = [g for g in designated if g not in used_groups]
            if r < 0.15 and free_designated:
                group = rng.choice(free_designated)
                category = designated[group]
                changes.append(RevokeGroup(group=group, category=GroupCategory(category)))
                groups.append((group, "revoke_group", category))
                used_groups.add(group)
            elif r < 0.45 and len(used_groups) < len(GROUP_IDS):
                group = rng.choice([g for g in GROUP_IDS if g not in used_groups])
                category = rng.choice(CATEGORIES)
                label_nl, label_en = GROUPS[group]
                changes.append(
                    DesignateGroup(
                        group=group, category=category, label_nl=label_nl, label_en=label_en
                    )
                )
                groups.append((group, "designate_group", category.value))
                used_groups.add(group)
            elif r < 0.75:
                regions = self.regions[country]
                if self.scoped_share and len(regions) > 2 and rng.random() < self.scoped_share:
                    places = tuple(sorted(rng.sample(regions, rng.randint(2, 3))))
                    changes.append(
                        SetArticle15c(
                            scope=Scope(regions=places),
                            level=rng.choice(LEVELS),
                            armed_conflict=rng.random() < 0.4,
                        )
                    )
                    continue
                region = rng.choice(regions) if rng.random() < 0.8 else None
                changes.append(
                    SetArticle15c(
                        region=region, level=rng.choice(LEVELS), armed_conflict=rng.random() < 0.4
                    )
                )
            elif r < 0.87:
                changes.append(
                    SetUnaccompaniedMinorsReception(
                        adequate=rng.random() < 0.5,
                        note="ambtsbericht" if rng.random() < 0.3 else None,
                    )
                )
            else:
                topic = rng.choice(NOTE_TOPICS)
                changes.append(
                    AddNote(topic=topic, text=f"{topic} situation per {announced.isoformat()}")
                )
        planned = Planned(index, country, in_force, groups)
        self.planned.append(planned)
        if in_force is not None:
            self._add_groups(planned)
        if kind == "pending_later":
            self.commands.append(
                Command(
                    due=index + self._delay(20, 365),
                    kind="in_force",
                    target=index,
                    in_force=announced + dt.timedelta(days=rng.randint(0, 120)),
                )
            )
        elif kind == "retracted":
            self.commands.append(
                Command(due=index + self._delay(1, 730), kind="retract", target=index)
            )
        return AmendmentDraft(
            announced_on=announced,
            in_force_from=in_force,
            title=f"WBV {announced.year}/{index}",
            sources=(
                Source(
                    kind=SourceKind.KAMERSTUK,
                    reference=f"Kamerstuk 19637, nr. {index}",
                    date=announced,
                ),
            ),
            rationale="synthetic benchmark amendment",
            changes=tuple(changes),
        )

    def segment_starts(self) -> dict[str, list[str]]:
        """The floor's data: per country, sorted distinct in-force dates applied as known now."""
        starts: dict[str, set[str]] = {c: set() for c in self.countries}
        for p in self.planned:
            if p.in_force is not None and not p.retracted:
                starts[p.country].add(p.in_force.isoformat())
        return {c: sorted(s) for c, s in starts.items()}


def regions_of(country: str) -> list[str]:
    subdivisions = pycountry.subdivisions.get(country_code=country) or ()  # type: ignore[no-untyped-call]
    return sorted(s.code for s in subdivisions if REGION.match(s.code))


def pick_countries(count: int, seed: int) -> list[str]:
    eligible = sorted(c.alpha_2 for c in pycountry.countries if len(regions_of(c.alpha_2)) >= 2)
    if count > len(eligible):
        raise SystemExit(f"only {len(eligible)} countries have >= 2 subdivisions, not {count}")
    return sorted(random.Random(seed).sample(eligible, count))


# Stores ------------------------------------------------------------------------------------


@contextmanager
def store(kind: str) -> Iterator[tuple[str, str]]:
    """Yields (database_url, description) for a fresh store, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="policy-ledger-bench-") as tmp:
            path = Path(tmp) / "ledger.sqlite"
            yield f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version} file (temp dir)"
        return
    import psycopg

    schema = f"pl_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema}", f"PostgreSQL {version}, schema {schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        log(f"dropped schema {schema}")


# Measurement helpers ------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    what: str
    count: int | None
    seconds: float | None
    unit: str = ""
    ratio: str = ""

    @property
    def rate(self) -> float | None:
        if self.count is None or not self.seconds:
            return None
        return self.count / self.seconds


class Profiler:
    """Profiles one named phase when asked (--profile PHASE)."""

    def __init__(self, phase: str | None, out: Path | None) -> None:
        self.phase = phase
        self.out = out
        self.profile: cProfile.Profile | None = None

    @contextmanager
    def phase_of(self, name: str) -> Iterator[None]:
        if self.phase != name:
            yield
            return
        self.profile = cProfile.Profile()
        self.profile.enable()
        try:
            yield
        finally:
            self.profile.disable()

    def report(self, lines: int = 35) -> None:
        if self.profile is None:
            return
        buffer = io.StringIO()
        stats = pstats.Stats(self.profile, stream=buffer).strip_dirs()
        stats.sort_stats("cumulative").print_stats(lines)
        stats.sort_stats("tottime").print_stats(20)
        text = buffer.getvalue()
        if self.out is not None:
            self.profile.dump_stats(str(self.out))
            log(f"profile of {self.phase} written to {self.out}")
        print(f"\n## Profile of phase '{self.phase}'\n\n```\n{text}```", file=sys.stderr)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fmt_rate(rate: float | None) -> str:
    if rate is None:
        return ""
    if rate >= 1e6:
        return f"{rate / 1e6:.2f}M"
    if rate >= 1e4:
        return f"{rate / 1e3:.1f}k"
    if rate >= 1e3:
        return f"{rate / 1e3:.2f}k"
    return f"{rate:.1f}"


def ratio_text(value: float | None, reference: float | None, name: str) -> str:
    if not value or not reference:
        return ""
    r = value / reference
    slower = f", {1 / r:.1f}x slower" if r < 1 else ""
    return f"{r:.3g} of {name}{slower}"


# Phases ------------------------------------------------------------------------------------


@dataclass
class Built:
    events: int
    amendments: int
    commands: int
    record_seconds: float
    command_seconds: float
    generate_seconds: float
    last_moment: dt.datetime


def build(ledger: Services, gen: Generator, clock: TickingClock, chunk: int) -> Built:
    app = ledger.app
    versions: dict[str, int] = {}
    rng = random.Random(gen.rng.random())
    record_s = command_s = generate_s = 0.0
    commands = 0

    def run_command(command: Command) -> None:
        nonlocal command_s, commands
        planned = gen.planned[command.target]
        assert planned.amendment_id is not None
        country = planned.country
        start = time.perf_counter()
        if command.kind == "in_force":
            assert command.in_force is not None
            recorded = app.record_in_force_date(
                country,
                planned.amendment_id,
                command.in_force,
                author=AUTHOR,
                expected_version=versions[country],
            )
        else:
            recorded = app.retract_amendment(
                country,
                planned.amendment_id,
                reason="entered in error",
                author=AUTHOR,
                expected_version=versions[country],
            )
        command_s += time.perf_counter() - start
        versions[country] = recorded.version
        gen.apply_command(command)
        commands += 1

    report_every = max(1, (gen.n // chunk) // 20)
    for number, first in enumerate(range(0, gen.n, chunk)):
        for command in gen.due_commands(first):
            run_command(command)
        start = time.perf_counter()
        drafts: list[tuple[str, AmendmentDraft]] = []
        k = clock.k
        for index in range(first, min(first + chunk, gen.n)):
            country = rng.choice(gen.countries)
            if country not in gen.opened:
                gen.opened.add(country)
                k += 1  # the application reads the clock once to open the country
            drafts.append((country, gen.draft(index, country, clock.moment(k))))
            k += 1
        generate_s += time.perf_counter() - start
        start = time.perf_counter()
        recorded = app.record_amendments(drafts, author=AUTHOR)
        record_s += time.perf_counter() - start
        if clock.k != k:
            log(f"warning: clock at {clock.k}, expected {k}")
        for offset, r in enumerate(recorded):
            gen.planned[first + offset].amendment_id = r.amendment_id
            versions[r.country] = r.version
        if number % report_every == 0:
            done = min(first + chunk, gen.n)
            log(
                f"recorded {done}/{gen.n} amendments ({record_s:.1f}s in record_amendments, "
                f"{command_s:.1f}s in {commands} single commands); "
                f"clock at {clock.moment(clock.k):%Y-%m-%d}"
            )
    for command in gen.due_commands(1 << 62):
        run_command(command)
    events = gen.n + len(gen.opened) + commands
    return Built(
        events=events,
        amendments=gen.n,
        commands=commands,
        record_seconds=record_s,
        command_seconds=command_s,
        generate_seconds=generate_s,
        last_moment=clock.moment(clock.k - 1),
    )


def read_log(ledger: Services, decode: bool) -> int:
    recorder = ledger.app.recorder
    mapper = ledger.app.mapper
    start = 1
    count = 0
    while True:
        notifications = recorder.select_notifications(start=start, limit=PAGE)
        if not notifications:
            return count
        if decode:
            for n in notifications:
                mapper.to_domain_event(n)
        count += len(notifications)
        start = notifications[-1].id + 1


class StalledError(Exception):
    """The projection stopped advancing."""


def guarded_catch_up(ledger: Services, patience: int = 3) -> tuple[int, str | None]:
    """CatchUp.run() with a watchdog; returns (position, failure or None).

    Earlier versions of CatchUp.run() retried any IntegrityError from the same position
    forever; the progress callback stops a run after `patience` pages without progress.
    Either way, the failing page is then replayed one event at a time to name the event.
    """
    catch_up = ledger.catch_up
    last = [catch_up.position(), 0]

    def progress(position: int, target: int) -> None:
        if position > last[0]:
            last[0], last[1] = position, 0
            return
        last[1] += 1
        if last[1] >= patience:
            raise StalledError(f"no progress after position {position} of {target}")

    try:
        return catch_up.run(progress=progress), None
    except Exception as error:
        return catch_up.position(), explain_stall(ledger) or f"{type(error).__name__}: {error}"


def explain_stall(ledger: Services) -> str | None:
    app, projection = ledger.app, ledger.projection
    position = ledger.catch_up.position()
    projection.forget()
    for n in app.recorder.select_notifications(start=position + 1, limit=PAGE):
        event = app.mapper.to_domain_event(n)
        try:
            projection.process_events([(event, Tracking(app.name, n.id))])
        except Exception as error:
            country = getattr(event, "payload", {}).get("country")
            return (
                f"notification {n.id} ({type(event).__name__}, {country}) raises "
                f"{type(error).__name__}: {error}"
            )
    return None


def scalar(ledger: Services, statement: str) -> int:
    rows = ledger.view._all(statement)
    return int(next(iter(rows[0].values())))


def random_day(rng: random.Random) -> str:
    days = rng.randrange((LAST_DAY - FIRST_DAY).days + 1)
    return (FIRST_DAY + dt.timedelta(days=days)).isoformat()


# Main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--amendments", "-n", type=int, default=100_000)
    parser.add_argument("--countries", "-c", type=int, default=100)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--lookups", "-k", type=int, default=100_000)
    parser.add_argument(
        "--docs", type=int, default=None, help="policy documents per SQL path (default K/200)"
    )
    parser.add_argument("--chunk", type=int, default=1000, help="drafts per record_amendments")
    parser.add_argument("--reads", type=int, default=3, help="repetitions of each log read")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument(
        "--retract-share",
        type=float,
        default=RETRACTED_SHARE,
        help=f"share of amendments retracted later (default {RETRACTED_SHARE})",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: N=5000, K=20000")
    parser.add_argument(
        "--growth",
        help="comma-separated ledger sizes (e.g. 5000,20000,100000): for each, a fresh store, "
        "then recording and rebuild rates against the decoded log read and the store sizes, "
        "so growth with N shows; no lookups",
    )
    parser.add_argument(
        "--profile",
        choices=("record", "catchup", "lookups", "asof", "index", "hotpath", "policy"),
        help="cProfile one phase; the report goes to stderr",
    )
    parser.add_argument("--profile-out", type=Path, help="also dump the pstats file here")
    args = parser.parse_args(argv)
    if args.quick:
        args.amendments = 5000
        args.lookups = min(args.lookups, 20_000)
    if args.docs is None:
        args.docs = max(50, args.lookups // 200)
    return args


@dataclass
class Report:
    args: argparse.Namespace
    store_text: str = ""
    rows: list[Row] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None

    def add(
        self,
        section: str,
        what: str,
        count: int | None,
        seconds: float | None,
        unit: str,
        ratio: str = "",
    ) -> float:
        self.rows.append(Row(section, what, count, seconds, unit, ratio))
        return (count / seconds) if count and seconds else 0.0


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.growth:
        growth(args, [int(n) for n in args.growth.split(",")])
        return
    profiler = Profiler(args.profile, args.profile_out)
    countries = pick_countries(args.countries, args.seed)
    gen = Generator(args.amendments, countries, args.seed, args.retract_share)
    clock = TickingClock(T0, (T_END - T0) / gen.clock_calls)
    report = Report(args)
    load_before = os.getloadavg()
    wall = time.perf_counter()
    with store(args.store) as (url, store_text):
        report.store_text = store_text
        ledger = build_services(Settings(database_url=url), clock=clock)
        try:
            run_phases(ledger, gen, clock, report, profiler)
        finally:
            ledger.close()
    finished = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    report.facts.append(("run", f"{finished}, {time.perf_counter() - wall:.0f}s wall"))
    report.facts.append(
        (
            "load average (1 min) before / after",
            f"{load_before[0]:.2f} / {os.getloadavg()[0]:.2f} (other processes share the CPUs)",
        )
    )
    print_report(report)
    profiler.report()
    if report.failure is not None:
        sys.exit(2)


def run_phases(
    ledger: Services, gen: Generator, clock: TickingClock, report: Report, profiler: Profiler
) -> None:
    args = report.args
    add = report.add

    # 1. Build the ledger.
    log(f"building: {args.amendments} amendments over {len(gen.countries)} countries")
    with profiler.phase_of("record"):
        built = build(ledger, gen, clock, args.chunk)
    add(
        "write",
        "generate drafts (Python side, untimed below)",
        built.amendments,
        built.generate_seconds,
        "drafts/s",
    )
    add(
        "write",
        f"record_amendments, {args.chunk} drafts per call",
        built.amendments,
        built.record_seconds,
        "amendments/s",
    )
    add(
        "write",
        "record_in_force_date / retract_amendment, one per call",
        built.commands,
        built.command_seconds,
        "commands/s",
    )
    head = ledger.catch_up.head()
    report.facts.append(
        (
            "events in log",
            f"{head} ({built.commands} single commands; retract share {args.retract_share})",
        )
    )
    log(f"built: {head} events in the log")

    # 2. Reads vs. projection rebuild.
    raw_s = statistics.median(
        timed(lambda: read_log(ledger, decode=False))[0] for _ in range(args.reads)
    )
    raw_rate = add(
        "rebuild",
        f"read log: recorder pages of {PAGE}, no decoding (median of {args.reads})",
        head,
        raw_s,
        "events/s",
    )
    dec_s = statistics.median(
        timed(lambda: read_log(ledger, decode=True))[0] for _ in range(args.reads)
    )
    dec_rate = add(
        "rebuild",
        f"read log: recorder + mapper.to_domain_event (median of {args.reads})",
        head,
        dec_s,
        "events/s",
        ratio_text(head / dec_s, raw_rate, "raw read"),
    )
    log("projecting (CatchUp.run from empty)")
    with profiler.phase_of("catchup"):
        catchup_s, (position, failure) = timed(lambda: guarded_catch_up(ledger))
    if failure is not None:
        add(
            "rebuild",
            "projection catch-up from empty (CatchUp.run): FAILED",
            position,
            catchup_s,
            "events/s",
            "",
        )
        report.failure = failure
        report.notes.append(
            f"REBUILD FAILED at position {position}/{head}, lookups not measured: {failure}"
        )
        log(f"catch-up failed at {position}/{head}: {failure}")
        return
    cu_rate = head / catchup_s
    add(
        "rebuild",
        "projection catch-up from empty (CatchUp.run)",
        head,
        catchup_s,
        "events/s",
        f"{ratio_text(cu_rate, raw_rate, 'raw read')}; "
        f"{ratio_text(cu_rate, dec_rate, 'decoded read')}",
    )
    segments = scalar(ledger, "SELECT COUNT(*) AS n FROM {p}policy_segments")
    open_segments = scalar(
        ledger, "SELECT COUNT(*) AS n FROM {p}policy_segments WHERE recorded_to IS NULL"
    )
    states = scalar(ledger, "SELECT COUNT(DISTINCT state_id) AS n FROM {p}policy_states")
    report.facts.append(
        ("projection", f"{segments} segment rows ({open_segments} open), {states} states")
    )
    log(f"projected to {position}: {segments} segment rows, {states} states")
    refresh_s, _ = timed(ledger.reads.index)
    add(
        "rebuild",
        "ReadIndex refresh after rebuild (load every country)",
        len(gen.countries),
        refresh_s,
        "countries/s",
    )

    # 3. Point-in-time lookups.
    measure_lookups(ledger, gen, built, report, profiler)


def hot_path_index(ledger: Services) -> Callable[[], Any]:
    """What GET /countries/{c}/policy does before answering from the index: a freshness
    check, and a refresh when something was committed."""
    reads = ledger.reads

    def current() -> Any:
        index = reads.index_if_fresh() if reads.signal.cheap else None
        return index if index is not None else reads.index()

    return current


def measure_lookups(
    ledger: Services, gen: Generator, built: Built, report: Report, profiler: Profiler
) -> None:
    args, add = report.args, report.add
    k = args.lookups
    countries = gen.countries
    rng = random.Random(args.seed + 1)
    now = max(dt.datetime.now(dt.UTC), built.last_moment + dt.timedelta(seconds=1))
    now_micros = to_micros(now)
    t0_micros, t_end_micros = to_micros(T0), to_micros(built.last_moment)
    sample = [(rng.choice(countries), random_day(rng)) for _ in range(k)]
    asof = [
        (rng.choice(countries), random_day(rng), rng.randint(t0_micros, t_end_micros))
        for _ in range(k)
    ]
    starts = gen.segment_starts()

    def floor() -> int:
        found = 0
        for country, on in sample:
            if bisect.bisect_right(starts[country], on) > 0:
                found += 1
        return found

    floor_s = statistics.median(timed(floor)[0] for _ in range(3))
    floor_rate = add(
        "lookup", "floor: dict of sorted lists + bisect (median of 3)", k, floor_s, "lookups/s"
    )

    def vs_floor(count: int, seconds: float) -> str:
        return ratio_text(count / seconds, floor_rate, "floor")

    segment_at = ledger.view.segment_at

    def sql_now() -> int:
        return sum(1 for c, on in sample if segment_at(c, on, now_micros) is not None)

    log(f"{k} segment_at lookups, known_at = now")
    with profiler.phase_of("lookups"):
        sql_s, found_now = timed(sql_now)
    add(
        "lookup", "view.segment_at (SQL), known_at = now", k, sql_s, "lookups/s", vs_floor(k, sql_s)
    )

    def sql_asof() -> int:
        return sum(1 for c, on, at in asof if segment_at(c, on, at) is not None)

    log(f"{k} segment_at lookups, random known_at")
    with profiler.phase_of("asof"):
        asof_s, found_asof = timed(sql_asof)
    add(
        "lookup",
        "view.segment_at (SQL), random known_at (bitemporal)",
        k,
        asof_s,
        "lookups/s",
        vs_floor(k, asof_s),
    )
    report.notes.append(
        f"lookups that found a segment: {found_now}/{k} (now), {found_asof}/{k} (random known_at)"
    )

    index = ledger.reads.index()

    def index_rows() -> int:
        country = index.country
        return sum(1 for c, on in sample if country(c).row_on(on) is not None)

    log(f"{k} ReadIndex.row_on lookups")
    with profiler.phase_of("index"):
        index_s, _ = timed(index_rows)
    add(
        "lookup",
        "ReadIndex country(c).row_on(on), known_at = now",
        k,
        index_s,
        "lookups/s",
        vs_floor(k, index_s),
    )

    served_index = hot_path_index(ledger)

    def index_documents() -> int:
        n = 0
        for country, on in sample:
            n += len(served_index().policy_json(country, dt.date.fromisoformat(on), now))
        return n

    served_index()  # settles the freshness stamp
    log(f"{k} ReadIndex.policy_json documents")
    with profiler.phase_of("hotpath"):
        index_docs_s, index_bytes = timed(index_documents)
    add(
        "document",
        "hot path: freshness check + ReadIndex.policy_json, known_at = now",
        k,
        index_docs_s,
        "docs/s",
        vs_floor(k, index_docs_s),
    )

    docs = sample[: args.docs]
    docs_asof = asof[: args.docs]
    policy = ledger.reads.as_projected.policy

    def documents() -> int:
        return sum(bool(policy(c, dt.date.fromisoformat(on), now)["coverage"]) for c, on in docs)

    def documents_asof() -> int:
        return sum(
            bool(policy(c, dt.date.fromisoformat(on), from_micros(at))["coverage"])
            for c, on, at in docs_asof
        )

    log(f"{len(docs)} + {len(docs_asof)} queries.policy documents")
    with profiler.phase_of("policy"):
        docs_s, _ = timed(documents)
    add(
        "document",
        "queries.policy (SQL + records), known_at = now",
        len(docs),
        docs_s,
        "docs/s",
        vs_floor(len(docs), docs_s),
    )
    docs_asof_s, _ = timed(documents_asof)
    add(
        "document",
        "queries.policy (SQL + records), random known_at",
        len(docs_asof),
        docs_asof_s,
        "docs/s",
        vs_floor(len(docs_asof), docs_asof_s),
    )
    report.notes.append(
        f"hot-path documents: {index_bytes / max(1, k) / 1024:.1f} KiB each on average"
    )

    # Correctness cross-check (untimed): segment starts from SQL and the index vs. the floor.
    check = sample[: min(len(sample), 5000)]
    agree_sql = agree_index = 0
    mismatch: tuple[Any, ...] | None = None
    for country, on in check:
        days = starts[country]
        i = bisect.bisect_right(days, on) - 1
        expected = days[i] if i >= 0 else None
        row = segment_at(country, on, now_micros)
        got = row["valid_from"] if row else None
        entry = index.country(country)
        j = entry.row_on(on)
        got_index = entry.starts[j] if j is not None else None
        agree_sql += got == expected
        agree_index += got_index == expected
        if mismatch is None and (got != expected or got_index != expected):
            mismatch = (country, on, got, got_index, expected)
    report.notes.append(
        f"cross-check of segment start, SQL / index vs. floor: {agree_sql}/{len(check)} / "
        f"{agree_index}/{len(check)}"
        + (f"; first mismatch (country, on, sql, index, floor) = {mismatch}" if mismatch else "")
    )


def code_version() -> str:
    """The commit of the code measured, and which measured files differ from it."""
    import domain

    where = Path(domain.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(where),
                "diff",
                "--name-only",
                "HEAD",
                "--",
                "domain",
                "events",
                "projections",
                "api",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return f"{where} (not a git checkout)"
    changed = f", uncommitted changes in {', '.join(dirty)}" if dirty else ", clean"
    return f"{where} at {commit}{changed}"


# Growth: the write and rebuild rates at several sizes -----------------------------------------


@dataclass
class GrowthRow:
    amendments: int
    events: int
    record_rate: float  # amendments/s through record_amendments
    command_rate: float  # single commands/s
    decoded_rate: float  # events/s, the floor
    rebuild_rate: float  # events/s
    rebuild_cpu_ratio: float  # this process's CPU time: rebuild / decoded read
    log_bytes: int
    model_bytes: int
    load: tuple[float, float]  # 1-minute load average before / after


def growth(args: argparse.Namespace, sizes: list[int]) -> None:
    """For each size, a fresh ledger: record it, read it decoded (the floor), rebuild the
    projection from empty, and measure the stores; one table with the growth."""
    print_growth(args, [growth_row(args, n) for n in sizes])


def growth_row(args: argparse.Namespace, n: int) -> GrowthRow:
    load_before = os.getloadavg()[0]
    countries = pick_countries(args.countries, args.seed)
    gen = Generator(n, countries, args.seed, args.retract_share)
    clock = TickingClock(T0, (T_END - T0) / gen.clock_calls)
    with store(args.store) as (url, store_text):
        ledger = build_services(Settings(database_url=url), clock=clock)
        try:
            log(f"growth: recording {n} amendments ({store_text})")
            built = build(ledger, gen, clock, args.chunk)
            head = ledger.catch_up.head()
            reads = [cpu_timed(lambda: read_log(ledger, decode=True)) for _ in range(args.reads)]
            decoded = statistics.median(wall for wall, _ in reads)
            decoded_cpu = statistics.median(cpu for _, cpu in reads)
            log(f"growth: rebuilding {head} events")
            cpu = time.process_time()
            seconds, (position, failure) = timed(lambda: guarded_catch_up(ledger))
            rebuild_cpu = time.process_time() - cpu
            if failure is not None:
                raise SystemExit(f"rebuild failed at {position}/{head}: {failure}")
            log_bytes, model_bytes = store_sizes(ledger, args.store)
        finally:
            ledger.close()
    return GrowthRow(
        amendments=n,
        events=head,
        record_rate=n / built.record_seconds,
        command_rate=built.commands / built.command_seconds if built.commands else 0,
        decoded_rate=head / decoded,
        rebuild_rate=head / seconds,
        rebuild_cpu_ratio=rebuild_cpu / decoded_cpu,
        log_bytes=log_bytes,
        model_bytes=model_bytes,
        load=(load_before, os.getloadavg()[0]),
    )


def cpu_timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def store_sizes(ledger: Services, kind: str) -> tuple[int, int]:
    """(bytes of the event log, bytes of the read model), tables with their indexes."""
    if kind == "sqlite":
        rows = ledger.view._all(
            "SELECT m.tbl_name AS t, SUM(d.pgsize) AS n FROM dbstat d "
            "JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name"
        )
    else:
        rows = ledger.view._all(
            "SELECT c.relname AS t, pg_total_relation_size(c.oid) AS n FROM pg_class c "
            "JOIN pg_namespace s ON s.oid = c.relnamespace "
            "WHERE s.nspname = ? AND c.relkind = 'r'",
            (ledger.view.datastore.schema,),  # the store's schema, not the session's default
        )
    sizes = {r["t"]: int(r["n"]) for r in rows}
    log_bytes = sum(n for t, n in sizes.items() if t.endswith("_events"))
    model_bytes = sum(n for t, n in sizes.items() if t.startswith("policy_"))
    return log_bytes, model_bytes


def print_growth(args: argparse.Namespace, rows: list[GrowthRow]) -> None:
    first = rows[0]
    out = [
        "",
        f"### Growth: recording and rebuild ({args.store}, {args.countries} countries, "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {code_version()})",
        "",
        "| amendments | events | record amendments/s | vs first | single commands/s | "
        "decoded read events/s (floor) | rebuild events/s | rebuild / floor | same, CPU time | "
        "log MB | read model MB | model / log | load 1 min before / after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        out.append(
            f"| {r.amendments:,} | {r.events:,} | {fmt_rate(r.record_rate)} | "
            f"{first.record_rate / r.record_rate:.2f}x slower | {fmt_rate(r.command_rate)} | "
            f"{fmt_rate(r.decoded_rate)} | {fmt_rate(r.rebuild_rate)} | "
            f"{r.decoded_rate / r.rebuild_rate:.1f}x | {r.rebuild_cpu_ratio:.1f}x | "
            f"{r.log_bytes / 1e6:.1f} | "
            f"{r.model_bytes / 1e6:.1f} | {r.model_bytes / max(r.log_bytes, 1):.2f} | "
            f"{r.load[0]:.2f} / {r.load[1]:.2f} |"
        )
    print("\n".join(out), flush=True)


def print_report(report: Report) -> None:
    args = report.args
    env = [
        ("python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("eventsourcing", version("eventsourcing")),
        ("machine", f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"),
        ("store", f"{args.store}: {report.store_text}"),
        ("N amendments / C countries", f"{args.amendments} / {args.countries}"),
        ("K lookups / SQL documents", f"{args.lookups} / {args.docs}"),
        ("seed", str(args.seed)),
        ("code", code_version()),
        *report.facts,
    ]
    out = ["", "### Policy Ledger benchmark", ""]
    out += ["| environment | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in env]
    out += [
        "",
        "| phase | measurement | count | seconds | rate | unit | ratio |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in report.rows:
        seconds = f"{r.seconds:.3f}" if r.seconds is not None else ""
        count = str(r.count) if r.count is not None else ""
        out.append(
            f"| {r.section} | {r.what} | {count} | {seconds} | {fmt_rate(r.rate)} | "
            f"{r.unit} | {r.ratio} |"
        )
    out += ["", *report.notes, ""]
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
