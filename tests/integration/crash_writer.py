"""A writer process for the crash tests: it is killed with SIGKILL at a random moment.

Usage: python crash_writer.py '{"database_url", "round", "seed"}'

Two loops on two Ledgers of their own (two connections, as two processes would have):
the main thread records amendments for ever through PolicyLedger (single amendments,
bulk `record_amendments` of several at once, in-force dates, retractions); a thread runs
the projection's catch-up every few milliseconds. Every amendment says in its title how
many changes it has and, for a bulk, which bulk it belongs to and how large it is, so a
checker can tell a whole amendment (and a whole bulk) from a torn one.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import sys
import threading
import time
from typing import Any

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.commands import AmendmentDraft
from events.vocabulary import AddNote, Source, SourceKind

COUNTRIES = ("PK", "AF", "NL")
DAY = dt.date(2025, 1, 10)
PAUSE = 0.03  # seconds, at most, between two writes


def draft(label: str, changes: int, pending: bool) -> AmendmentDraft:
    """An amendment of `changes` notes whose title states the count."""
    return AmendmentDraft(
        announced_on=DAY,
        in_force_from=None if pending else DAY,
        title=f"{label} changes={changes}",
        sources=(Source(kind=SourceKind.OTHER, reference=f"Crash test {label}", date=DAY),),
        rationale="x" * 2000,  # some bulk, so transactions take a little while
        changes=tuple(
            AddNote(
                topic=re.sub(r"[^a-z0-9]+", "-", f"{label} c{n}"), text=f"Change {n} of {label}."
            )
            for n in range(changes)
        ),
    )


def write_forever(ledger: Services, round_: int, rng: random.Random) -> None:
    app = ledger.app
    for n in range(10**9):
        time.sleep(rng.uniform(0, PAUSE))  # a pace a checker can keep up with
        label = f"r{round_} n{n}"
        roll = rng.random()
        country = rng.choice(COUNTRIES)
        if roll < 0.45:
            app.record_amendment(
                country,
                draft(f"single {label}", rng.randint(1, 8), pending=rng.random() < 0.3),
                author="crash",
                expected_version=app.version_of(country),
            )
        elif roll < 0.8:
            size = rng.randint(2, 6)
            bulk = [
                (rng.choice(COUNTRIES), draft(f"bulk {label} {i}/{size}", rng.randint(1, 8), False))
                for i in range(1, size + 1)
            ]
            app.record_amendments(bulk, author="crash")
        elif app.version_of(country) is not None:
            policy = app.policy(country)
            live = [r for r in policy.amendments.values() if r.retracted_at is None]
            if not live:
                continue
            record = rng.choice(live)
            if record.in_force_as_of(policy.modified_on) is None:
                app.record_in_force_date(
                    country, record.id, DAY, author="crash", expected_version=policy.version
                )
            else:
                app.retract_amendment(
                    country,
                    record.id,
                    reason=f"retracted in {label}",
                    author="crash",
                    expected_version=policy.version,
                )


def project_forever(ledger: Services) -> None:
    while True:
        ledger.catch_up.run()
        time.sleep(0.005)


def main(config: dict[str, Any]) -> None:
    settings = Settings(database_url=config["database_url"])
    writer, projector = build_services(settings), build_services(settings)
    threading.Thread(target=project_forever, args=(projector,), daemon=True).start()
    write_forever(writer, int(config["round"]), random.Random(config["seed"]))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
