"""The auditor's judgements equal the audit rules applied to the plain fold.

The auditor judges fact by fact along each country's timeline, shares judged runs between
decisions and reads the record only where versions differ: all for speed. Here random
histories (retroactive, same-day, pending, later in-force dates, retractions) are recorded
and projected, then random decisions are judged both ways: by the Auditor over the read
model, and by `relevant_facts`, `compare`, `verdict` and `same_facts` over `state_on` of the
records (as known now on the decision and review dates, as known when the decision was
taken). The full audit document, made through the state-by-state path, must agree too.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from domain.decision import Decision
from domain.facts import FactChange, compare, relevant_facts, same_facts, verdict
from domain.fold import element_histories, element_history, state_on
from domain.instants import END_OF_TIME, to_micros
from integration.test_projection_properties import START, Clock, _run, step
from projections.audit import judging as audit_module
from projections.audit.judging import Auditor, StoredStates

REVIEWS = [dt.date(2024, 1, 20), dt.date(2024, 3, 1)]

decision = st.builds(
    lambda n, hours, groups, region, minor: (
        START.date() + dt.timedelta(days=n),
        START + dt.timedelta(hours=hours),
        tuple(groups),
        region,
        minor,
    ),
    st.integers(-3, 80),
    st.integers(0, 20),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
    st.sampled_from([None, "PK-BA", "PK-KP", "PK-SD"]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(step, min_size=2, max_size=14),
    decisions=st.lists(decision, min_size=1, max_size=25),
    review=st.sampled_from(REVIEWS),
    forgetful=st.booleans(),
)
def test_judgements_equal_the_rules_over_the_fold(
    steps: list[tuple], decisions: list[tuple], review: dt.date, forgetful: bool
) -> None:
    """`forgetful`: the auditor forgets its judged runs after each one (as it does, at a
    bound, on a large file), so every decision is judged from the columns afresh."""
    with tempfile.TemporaryDirectory() as folder, runs_bound(1 if forgetful else None):
        clock = Clock(START)
        url = f"sqlite:///{Path(folder) / 'p.sqlite'}"
        ledger = build_services(Settings(database_url=url), clock=clock)
        try:
            _run(ledger, clock, steps)
            if ledger.app.version_of("PK") is None:
                return
            records = list(ledger.app.policy("PK").amendments.values())
            auditor = Auditor(StoredStates(ledger.reads.index()), review)
            for n, (day, moment, groups, region, minor) in enumerate(decisions):
                case = Decision(
                    id=f"d{n}",
                    country="PK",
                    decided_on=day,
                    recorded_at=moment,
                    groups=groups,
                    region=region,
                    unaccompanied_minor=minor,
                    cited_version_id="x",
                ).case()
                judged = auditor.judge(case)
                assert not forgetful or auditor._runs <= 1
                profile = case.profile
                now = relevant_facts(values(records, day, END_OF_TIME), *profile)
                then = relevant_facts(values(records, day, moment), *profile)
                later = relevant_facts(values(records, review, END_OF_TIME), *profile)
                changes = compare(now, later)
                assert judged.verdict == verdict(changes).value, case
                assert judged.record_differs == (not same_facts(now, then)), case
                assert [c.change for c in judged.changes] == changes, case
                causes = [c.amendment.id if c.amendment else None for c in judged.changes]
                assert causes == [cause(records, c, day, review) for c in changes], case
                recorded = ledger.view.segment_at("PK", day.isoformat(), to_micros(moment))
                assert judged.versions[1] == (recorded["version_id"] if recorded else None)
                doc = judged.doc()
                for key, fact in doc["at_decision"]["facts"].items():
                    assert fact["value"] == now[key].value
                for key, fact in doc["as_recorded"]["facts"].items():
                    assert fact["value"] == then[key].value
        finally:
            ledger.close()


@contextmanager
def runs_bound(bound: int | None) -> Iterator[None]:
    kept = audit_module.MAX_RUNS
    audit_module.MAX_RUNS = kept if bound is None else bound
    try:
        yield
    finally:
        audit_module.MAX_RUNS = kept


def cause(records: list, change: FactChange, day: dt.date, review: dt.date) -> str | None:
    """The last amendment to change the element's value between the dates, from its history."""
    low, high = sorted((day, review))
    found = None
    for t in element_history(records, change.element or "", END_OF_TIME):
        if t.changes_value and low < t.effect.on <= high:
            found = t.effect.amendment_id
    return found


def values(records: list, day: dt.date, at: dt.datetime) -> dict | None:
    state = state_on(records, day, at)
    return None if state is None else {k: s.value for k, s in state.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step, min_size=2, max_size=14))
def test_element_histories_are_each_elements_history(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        clock = Clock(START)
        ledger = build_services(
            Settings(database_url=f"sqlite:///{Path(folder) / 'p.sqlite'}"), clock=clock
        )
        try:
            _run(ledger, clock, steps)
            if ledger.app.version_of("PK") is None:
                return
            records = list(ledger.app.policy("PK").amendments.values())
            every = element_histories(records, END_OF_TIME)
            for element, history in every.items():
                assert history == element_history(records, element, END_OF_TIME)
        finally:
            ledger.close()
