"""The projected bitemporal rows answer every (D, T) exactly as the plain fold does.

Random histories are recorded through the application (retroactive, same-day, pending,
later in-force dates, retractions), projected in random slices, and then every question
"policy on D as known at T" asked of the SQL rows and of the in-process index is compared
with `state_on` over the records.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import Services, build_services
from api.routes.countries import _policy_json
from api.settings import Settings
from domain.commands import AmendmentDraft
from domain.errors import DomainRuleError
from domain.fold import state_on
from domain.instants import END_OF_TIME, to_micros
from projections.queries import Place

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def set(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


DAYS = st.integers(0, 40).map(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))
SOURCE = {"kind": "other", "reference": "test", "date": "2024-01-01"}

change = st.one_of(
    st.builds(
        lambda g: {
            "type": "designate_group",
            "group": g,
            "category": "risk_profile",
            "label_nl": g,
            "label_en": g,
        },
        st.sampled_from(["a", "b", "c"]),
    ),
    st.builds(
        lambda r, lvl: {
            "type": "set_article_15c",
            "region": r,
            "level": lvl,
            "armed_conflict": lvl != "none",
        },
        st.sampled_from(["PK-BA", "PK-KP", None]),
        st.sampled_from(["none", "lower", "higher"]),
    ),
    st.builds(
        lambda g: {"type": "revoke_group", "group": g, "category": "risk_profile"},
        st.sampled_from(["a", "b"]),
    ),
    st.builds(
        lambda e: {"type": "reaffirm", "element": e},
        st.sampled_from(["group:a", "article_15c:PK-BA"]),
    ),
    st.builds(
        lambda until: {"type": "impose_moratorium", "kind": "decision", "until": until},
        st.one_of(st.none(), DAYS.map(lambda d: d + dt.timedelta(days=45))),
    ),
    st.just({"type": "lift_moratorium", "kind": "decision"}),
    st.builds(
        lambda g, c: {
            "type": "decline_group",
            "group": g,
            "category": c,
            "label_nl": g,
            "label_en": g,
        },
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["risk_profile", "vulnerable_minority"]),
    ),
    st.builds(
        lambda e: {"type": "withdraw", "element": e},
        st.sampled_from(["group:a", "group:b", "article_15c:PK-BA"]),
    ),
    st.builds(
        lambda gs: {
            "type": "replace_groups",
            "category": "risk_profile",
            "groups": [{"group": g, "label_nl": g, "label_en": g} for g in gs],
        },
        st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True),
    ),
)

step = st.one_of(
    st.tuples(
        st.just("amend"),
        DAYS,
        st.one_of(st.none(), DAYS),
        st.lists(change, min_size=1, max_size=3),
        st.booleans(),
    ),
    st.tuples(st.just("in_force"), st.integers(0, 20), DAYS),
    st.tuples(st.just("retract"), st.integers(0, 20)),
    st.tuples(
        st.just("project"),
    ),
)


def _run(
    ledger: Services,
    clock: Clock,
    steps: list[tuple],
    refused: tuple[type[Exception], ...] = (DomainRuleError,),
) -> list[dt.datetime]:
    """Records the steps an hour apart (a step a rule refuses is skipped) and projects
    them; an in-force or retraction step may end with the day its act was published."""
    ids: list[str] = []
    moments = []
    for n, item in enumerate(steps):
        clock.set(START + dt.timedelta(hours=n + 1))
        moments.append(clock.now)
        version = ledger.app.version_of("PK")
        try:
            if item[0] == "amend":
                _, announced, in_force, changes, attestation = item
                draft = AmendmentDraft.model_validate(
                    {
                        "announced_on": announced,
                        "in_force_from": in_force,
                        "attestation": attestation,
                        "sources": [SOURCE],
                        "changes": changes,
                    }
                )
                ids.append(
                    ledger.app.record_amendment(
                        "PK", draft, author="t", expected_version=version
                    ).amendment_id
                    or ""
                )
            elif item[0] == "in_force" and ids:
                ledger.app.record_in_force_date(
                    "PK",
                    ids[item[1] % len(ids)],
                    item[2],
                    author="t",
                    expected_version=version or 0,
                    announced_on=item[3] if len(item) > 3 else None,
                )
            elif item[0] == "retract" and ids:
                ledger.app.retract_amendment(
                    "PK",
                    ids[item[1] % len(ids)],
                    reason="r",
                    author="t",
                    expected_version=version or 0,
                    announced_on=item[2] if len(item) > 2 else None,
                )
            elif item[0] == "project":
                ledger.catch_up.run()
        except refused:
            pass
    ledger.catch_up.run()
    return moments


ALL_DAYS = [dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(0, 90, 2)]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=2, max_size=14))
def test_projected_rows_answer_like_the_fold(steps: list[tuple]) -> None:
    with _recorded(steps) as recorded:
        if recorded is None:
            return
        ledger, moments = recorded
        records = list(ledger.app.policy("PK").amendments.values())
        for at in [m + dt.timedelta(minutes=30) for m in moments]:
            for day in ALL_DAYS:
                _assert_rows_answer(ledger, records, day, at)
        index = ledger.reads.index()
        queries = ledger.reads.as_projected
        for day in ALL_DAYS:
            expected = state_on(records, day, END_OF_TIME)
            body = index.policy_json("PK", day, END_OF_TIME)
            document = json.loads(body)
            assert document["coverage"] == (expected is not None)
            # The index's answer is the SQL answer as the route sends it, section by
            # section (but for how the route writes the moment asked).
            sql = _policy_json(queries.policy("PK", day, END_OF_TIME))
            for doc in (document, sql):
                doc.pop("known_at")
            assert list(document) == list(sql)
            assert document == sql, day


@contextmanager
def _recorded(steps: list[tuple]) -> Iterator[tuple[Services, list[dt.datetime]] | None]:
    """A fresh SQLite ledger with the steps recorded, and the moments they were recorded at
    (None when no step left a policy)."""
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock(START)
        url = f"sqlite:///{Path(folder) / 'p.sqlite'}"
        ledger = build_services(Settings(database_url=url), clock=clock)
        try:
            moments = _run(ledger, clock, steps)
            yield (ledger, moments) if ledger.app.version_of("PK") is not None else None
        finally:
            ledger.close()


def _assert_rows_answer(ledger: Services, records: list, day: dt.date, at: dt.datetime) -> None:
    expected = state_on(records, day, at)
    row = ledger.view.segment_at("PK", day.isoformat(), to_micros(at))
    assert (row is None) == (expected is None), (day, at)
    if row is not None and expected is not None:
        body = json.loads(ledger.view.state_body(row["state"]) or "{}")
        got = {k: v["value"] for k, v in body["elements"].items()}
        assert got == {k: s.value for k, s in expected.items()}, (day, at)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=2, max_size=14), published=DAYS)
def test_the_index_answers_every_moment_as_the_sql_rows_do(
    steps: list[tuple], published: dt.date
) -> None:
    """The in-process index's answer for any (D, T), and for any publication date P, is the
    document the SQL rows and the records give (as the route sends it), from memory."""
    with _recorded(steps) as recorded:
        if recorded is None:
            return
        ledger, moments = recorded
        index = ledger.reads.index()
        queries = ledger.reads.as_projected
        asked = [START, *moments, *(m + dt.timedelta(minutes=30) for m in moments)]
        for at in asked:
            for day in ALL_DAYS[::3]:
                document = json.loads(index.policy_json_at("PK", day, at))
                sql = json.loads(json.dumps(_policy_json(queries.policy("PK", day, at))))
                assert list(document) == list(sql)
                assert document == sql, (day, at)
                assert index.published_policy("PK", day, at, published) == queries.published_policy(
                    "PK", day, at, published
                ), (day, at)
                place = Place(region="PK-BA")
                assert index.place_policy("PK", day, at, place, stated=True) == queries.policy(
                    "PK", day, at, place
                ), (day, at)
