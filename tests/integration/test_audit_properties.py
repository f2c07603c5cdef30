"""The auditor's judgements equal plain definitions of the audit rules, written here.

The auditor judges fact by fact along each country's timelines, shares judged runs between
decisions and reads what the official could know from a timeline of its own: all for
speed. Here random histories (places and areas, exceptions by group and by kind of
application, declines, revocations, withdrawals, replaced lists, attestations, moratoria
that lapse or are lifted, retroactive and pending amendments, later in-force dates and
retractions with their own publication dates) are recorded and projected, then random
decisions are judged both ways: by the Auditor over the read model, and by the rules as
this module states them over the fold's states (`state_on` as known now, as recorded at a
moment, and of the acts published by a date). Nothing of domain.facts is used as the
reference: a mutation of a direction, a verdict, a place's precedence or an exception in
the production code must fail here.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from api.bootstrap import build_services
from api.settings import Settings
from domain.decision import Decision
from domain.errors import DomainRuleError
from domain.fold import attestations, element_histories, element_history, state_on
from domain.instants import END_OF_TIME
from domain.records import as_published
from integration.test_projection_properties import START, Clock
from integration.test_projection_properties import _run as run_steps
from projections.audit import judging as audit_module
from projections.audit.judging import Auditor, StoredStates

DAYS = st.integers(0, 40).map(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))
REVIEWS = [dt.date(2024, 1, 20), dt.date(2024, 3, 1)]
SOURCE = {"kind": "other", "reference": "test", "date": "2024-01-01"}
GROUPS = ["a", "b", "c"]
SCOPES = st.sampled_from([None, {"regions": ["PK-BA"]}, {"regions": ["PK-KP"]}, {"areas": ["x"]}])
EXCEPTIONS = st.sampled_from(
    [
        [],
        [{"group": "a", "text": "members of a"}],
        [{"application_type": "family_reunification", "text": "family reunification"}],
    ]
)


def _scoped(change: dict[str, Any], scope: dict[str, Any] | None) -> dict[str, Any]:
    return change if scope is None else {**change, "scope": scope}


def _excepting(change: dict[str, Any], exceptions: list[dict[str, Any]]) -> dict[str, Any]:
    return {**change, "exceptions": exceptions} if exceptions else change


change = st.one_of(
    st.just(
        {"type": "define_area", "area": "x", "label_nl": "x", "label_en": "x", "within": ["PK-BA"]}
    ),
    st.builds(
        lambda g, c, s: _scoped(
            {"type": "designate_group", "group": g, "category": c, "label_nl": g, "label_en": g},
            s,
        ),
        st.sampled_from(GROUPS),
        st.sampled_from(["risk_profile", "group_persecution", "vulnerable_minority"]),
        SCOPES,
    ),
    st.builds(
        lambda g, s: _scoped({"type": "revoke_group", "group": g, "category": "risk_profile"}, s),
        st.sampled_from(GROUPS),
        SCOPES,
    ),
    st.builds(
        lambda g: {
            "type": "decline_group",
            "group": g,
            "category": "risk_profile",
            "label_nl": g,
            "label_en": g,
        },
        st.sampled_from(GROUPS),
    ),
    st.builds(
        lambda gs: {
            "type": "replace_groups",
            "category": "risk_profile",
            "groups": [{"group": g, "label_nl": g, "label_en": g} for g in gs],
        },
        st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
    ),
    st.builds(
        lambda lvl, s, e: _excepting(
            _scoped({"type": "set_article_15c", "level": lvl, "armed_conflict": lvl != "none"}, s),
            e,
        ),
        st.sampled_from(["none", "lower", "higher", "most_exceptional"]),
        SCOPES,
        EXCEPTIONS,
    ),
    st.builds(
        lambda g, ok, s: _scoped(
            {"type": "set_protection", "group": g, "authorities_protect": ok}, s
        ),
        st.sampled_from([None, "a"]),
        st.booleans(),
        SCOPES,
    ),
    st.builds(
        lambda g, ok, s, e: _excepting(
            _scoped(
                {"type": "set_internal_protection_alternative", "group": g, "available": ok}, s
            ),
            e,
        ),
        st.sampled_from([None, "a"]),
        st.booleans(),
        SCOPES,
        EXCEPTIONS,
    ),
    st.builds(
        lambda until, s, e: _excepting(
            _scoped({"type": "impose_moratorium", "kind": "decision", "until": until}, s), e
        ),
        st.one_of(st.none(), DAYS.map(lambda d: d + dt.timedelta(days=30))),
        SCOPES,
        EXCEPTIONS,
    ),
    st.builds(lambda s: _scoped({"type": "lift_moratorium", "kind": "decision"}, s), SCOPES),
    st.builds(
        lambda ok: {"type": "set_unaccompanied_minors_reception", "adequate": ok},
        st.booleans(),
    ),
    st.builds(
        lambda e: {"type": "withdraw", "element": e},
        st.sampled_from(["group:a", "article_15c:default", "moratorium:decision", "ipa:general"]),
    ),
)

# The changes whose directions are easiest to get wrong, drawn more often.
directed = st.one_of(
    st.builds(
        lambda lvl, s: _scoped(
            {"type": "set_article_15c", "level": lvl, "armed_conflict": lvl != "none"}, s
        ),
        st.sampled_from(["none", "lower", "higher", "most_exceptional"]),
        st.sampled_from([None, None, {"regions": ["PK-BA"]}]),
    ),
    st.builds(
        lambda until: {"type": "impose_moratorium", "kind": "decision", "until": until},
        st.one_of(st.none(), DAYS.map(lambda d: d + dt.timedelta(days=30))),
    ),
    st.just({"type": "lift_moratorium", "kind": "decision"}),
    st.builds(
        lambda g, c: {
            "type": "designate_group",
            "group": g,
            "category": c,
            "label_nl": g,
            "label_en": g,
        },
        st.sampled_from(GROUPS),
        st.sampled_from(["risk_profile", "group_persecution", "vulnerable_minority"]),
    ),
    st.builds(lambda ok: {"type": "set_protection", "authorities_protect": ok}, st.booleans()),
)

# (kind, announced, in force, changes, attestation) | (kind, which, day, announced)
step = st.one_of(
    st.tuples(
        st.just("amend"),
        DAYS,
        DAYS,
        st.lists(directed, min_size=1, max_size=2),
        st.just(False),
    ),
    st.tuples(
        st.just("amend"),
        DAYS,
        st.one_of(st.none(), DAYS),
        st.lists(change, min_size=1, max_size=3),
        st.booleans(),
    ),
    st.tuples(st.just("in_force"), st.integers(0, 20), DAYS, st.one_of(st.none(), DAYS)),
    st.tuples(st.just("retract"), st.integers(0, 20), st.one_of(st.none(), DAYS)),
)

decision = st.fixed_dictionaries(
    {
        "decided_on": st.integers(-3, 60).map(lambda n: START.date() + dt.timedelta(days=n)),
        "hours": st.integers(0, 20),
        "groups": st.lists(st.sampled_from([*GROUPS, "z"]), max_size=3),
        "region": st.sampled_from([None, "PK-BA", "PK-KP"]),
        "areas": st.sampled_from([[], ["x"]]),
        "unaccompanied_minor": st.booleans(),
        "application_type": st.sampled_from([None, "first", "family_reunification"]),
        "outcome": st.sampled_from([None, "granted", "rejected", "withdrawn"]),
    }
)


# Recorded first, in force from the first day: every fact stated, so that the random steps
# change stated values (most changes a decision sees then have a direction to check).
BASE = (
    "amend",
    dt.date(2024, 1, 1),
    dt.date(2024, 1, 1),
    [
        {"type": "define_area", "area": "x", "label_nl": "x", "label_en": "x", "within": ["PK-BA"]},
        {
            "type": "designate_group",
            "group": "a",
            "category": "risk_profile",
            "label_nl": "a",
            "label_en": "a",
        },
        {
            "type": "designate_group",
            "group": "b",
            "category": "vulnerable_minority",
            "label_nl": "b",
            "label_en": "b",
        },
        {"type": "set_article_15c", "level": "lower", "armed_conflict": True},
        {"type": "set_protection", "authorities_protect": True},
        {"type": "set_internal_protection_alternative", "available": True},
        {"type": "set_unaccompanied_minors_reception", "adequate": True},
        # A moratorium that lapses the next day: "no moratorium" is then stated.
        {"type": "impose_moratorium", "kind": "decision", "until": dt.date(2024, 1, 2)},
    ],
    False,
)


def _run(ledger: Any, clock: Clock, steps: list[tuple]) -> None:
    """Records and projects the steps; a draft the model refuses is skipped too."""
    run_steps(ledger, clock, steps, refused=(DomainRuleError, ValueError))


# The rules, plainly -----------------------------------------------------------------------

RANK = {
    "declined": 0,
    "not_designated": 0,
    "attention_group": 1,
    "vulnerable_minority": 2,
    "risk_profile": 3,
    "group_persecution": 4,
}
LEVELS = ["none", "lower", "higher", "most_exceptional"]
STATED_ENDS = {
    "revoke_group": "not_designated",
    "replace_groups": "not_designated",
    "lift_moratorium": False,
    "lapse": False,
}
Fact = tuple[str, Any]  # (status, value)


def places(region: str | None, areas: list[str]) -> list[str | None]:
    return [*(f"area:{a}" for a in areas), *([region] if region else []), None]


def element(kind: str, subject: str, place: str | None) -> str:
    if kind == "article_15c":
        return f"article_15c:{place or 'default'}"
    return f"{kind}:{subject}" + (f":{place}" if place else "")


def fact_keys(d: dict[str, Any]) -> dict[str, tuple[list[str], str | None]]:
    """Each fact of the decision: where it is read (most specific first) and its field."""
    at = places(d["region"], d["areas"])
    along = lambda kind, subject: [element(kind, subject, p) for p in at]  # noqa: E731
    keys: dict[str, tuple[list[str], str | None]] = {}
    for g in sorted(set(d["groups"])):
        keys[f"group:{g}"] = (along("group", g), "category")
        keys[f"protection:{g}"] = (
            along("protection", g) + along("protection", "general"),
            "authorities_protect",
        )
        keys[f"ipa:{g}"] = (along("ipa", g) + along("ipa", "general"), "available")
    keys["protection:general"] = (along("protection", "general"), "authorities_protect")
    keys["ipa:general"] = (along("ipa", "general"), "available")
    keys["article_15c"] = (along("article_15c", ""), "level")
    keys["moratorium:decision"] = (along("moratorium", "decision"), None)
    keys["moratorium:departure"] = (along("moratorium", "departure"), None)
    if d["unaccompanied_minor"]:
        keys["unaccompanied_minors"] = (["unaccompanied_minors"], "adequate")
    return keys


def value_of(stated: dict[str, Any], field: str | None) -> Any:
    if field is None:
        return True
    if field == "category" and stated.get("declined"):
        return "declined"
    return stated[field]


def excepted(stated: dict[str, Any], d: dict[str, Any]) -> bool:
    for e in stated.get("exceptions") or []:
        if e.get("group") in d["groups"] or (
            e.get("application_type") and e["application_type"] == d["application_type"]
        ):
            return True
    return False


def facts(
    records: list[Any],
    values: dict[str, Any] | None,
    d: dict[str, Any],
    day: dt.date,
    sees: Any,
) -> dict[str, Fact]:
    """The facts of one side: `values` the state's element values (None: no policy), `sees`
    whether an amendment counts on this side (for stated ends and attestations)."""
    found: dict[str, Fact] = {}
    for key, (candidates, field) in fact_keys(d).items():
        found[key] = read(records, values or {}, candidates, field, d, day, sees)
    return found


def read(
    records: list[Any],
    values: dict[str, Any],
    candidates: list[str],
    field: str | None,
    d: dict[str, Any],
    day: dt.date,
    sees: Any,
) -> Fact:
    for e in candidates:
        if e in values:
            if excepted(values[e], d):
                return ("not_stated", None)
            return ("stated", value_of(values[e], field))
    for e in candidates:
        # An end stated as known now counts where its act is seen; unseen, nothing is.
        history = [t for t in element_history(records, e, END_OF_TIME) if t.effect.on <= day]
        changed = [t for t in history if t.changes_value]
        ended = last_end(changed)
        if ended is not None and ended.effect.action in STATED_ENDS:
            if not sees(ended.effect.amendment_id):
                return ("not_stated", None)
            return ("stated", STATED_ENDS[ended.effect.action])
    attested = [a for a in attestations(records, END_OF_TIME) if a.attested_from > day]
    for e in candidates:
        for a in sorted(attested, key=lambda a: a.attested_from):
            if a.element == e and sees(a.amendment_id):
                return ("attested_later", value_of(a.value, field))
    return ("not_stated", None)


def last_end(changed: list[Any]) -> Any:
    """The removal that last took the element from stated at the end of one day to not
    stated at the end of a later one (None: none did, or it is stated now)."""
    end_of_day = {}
    for t in changed:
        end_of_day[t.effect.on] = t  # the last change of each day decides its end
    days = sorted(end_of_day)
    if not days or end_of_day[days[-1]].after is not None:
        return None
    for earlier, later in reversed(list(pairwise(days))):
        if end_of_day[earlier].after is not None and end_of_day[later].after is None:
            return end_of_day[later]
    return None


def direction(key: str, before: Fact, after: Fact) -> str | None:
    was, now = before[0] != "not_stated", after[0] != "not_stated"
    if not was and not now:
        return None
    if was != now:
        return "unknown"
    old, new = before[1], after[1]
    if old == new:
        return None
    kind = key.split(":")[0]
    if kind == "group":
        if RANK[old] == RANK[new]:
            return None
        return "in_favour" if RANK[new] > RANK[old] else "against"
    if kind == "article_15c":
        return "in_favour" if LEVELS.index(new) > LEVELS.index(old) else "against"
    if kind == "moratorium":
        return "in_favour" if new else "against"
    return "in_favour" if not new else "against"  # losing protection, IPA, reception


def verdict(ways: set[str]) -> str:
    if "unknown" in ways:
        return "indeterminate"
    favour = bool(ways & {"in_favour", "unclear"})
    against = bool(ways & {"against", "unclear"})
    return {
        (False, False): "unchanged",
        (True, False): "changed_in_favour",
        (False, True): "changed_against",
        (True, True): "changed_mixed",
    }[(favour, against)]


def findings(no_policy: bool, d: dict[str, Any], seen: dict[str, Fact]) -> list[str]:
    found = ["no_recorded_policy"] if no_policy else []
    if d["outcome"] is None:
        return found
    stated = {k: v for k, (status, v) in seen.items() if status != "not_stated"}
    if stated.get("moratorium:decision") is True:
        found.append("decided_during_decision_moratorium")
    groups = {k: v for k, v in stated.items() if k.startswith("group:")}
    if d["outcome"] == "rejected":
        if "group_persecution" in groups.values():
            found.append("rejected_group_persecution_member")
        if "risk_profile" in groups.values():
            found.append("rejected_risk_profile_member")
        if stated.get("article_15c") == "most_exceptional":
            found.append("rejected_from_most_exceptional_15c_area")
    if d["outcome"] == "granted" and "declined" in groups.values():
        found.append("granted_despite_declined_group")
    return found


def values(state: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if state is None else {k: s.value for k, s in state.items()}


# The property ------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(step, min_size=2, max_size=12),
    decisions=st.lists(decision, min_size=1, max_size=12),
    review=st.sampled_from(REVIEWS),
    basis=st.sampled_from(["published", "recorded"]),
    forgetful=st.booleans(),
    base=st.booleans(),
)
def test_judgements_equal_the_rules_over_the_fold(
    steps: list[tuple],
    decisions: list[dict[str, Any]],
    review: dt.date,
    basis: str,
    forgetful: bool,
    base: bool,
) -> None:
    """`base`: the history starts with every fact stated (BASE). `forgetful`: the auditor
    forgets its judged runs after each one (as it does, at a
    bound, on a large file), so every decision is judged from the columns afresh."""
    with tempfile.TemporaryDirectory() as folder, runs_bound(1 if forgetful else None):
        clock = Clock(START)
        url = f"sqlite:///{Path(folder) / 'p.sqlite'}"
        ledger = build_services(Settings(database_url=url), clock=clock)
        try:
            note(f"steps: {[BASE, *steps] if base else steps!r}")
            _run(ledger, clock, [BASE, *steps] if base else steps)
            if ledger.app.version_of("PK") is None:
                return
            records = list(ledger.app.policy("PK").amendments.values())
            by_id = {r.id: r for r in records}
            histories = element_histories(records, END_OF_TIME)
            auditor = Auditor(StoredStates(ledger.reads.index()), review, basis=basis)
            for n, d in enumerate(decisions):
                day = d["decided_on"]
                moment = START + dt.timedelta(hours=d["hours"])
                case = Decision(
                    id=f"d{n}",
                    country="PK",
                    decided_on=day,
                    recorded_at=moment,
                    groups=d["groups"],
                    region=d["region"],
                    areas=d["areas"],
                    unaccompanied_minor=d["unaccompanied_minor"],
                    application_type=d["application_type"],
                    outcome=d["outcome"],
                ).case()
                judged = auditor.judge(case)
                assert not forgetful or auditor._runs <= 1

                def known_now(_: str) -> bool:
                    return True

                def published_by_day(amendment: str, day: dt.date = day) -> bool:
                    seen = by_id[amendment].as_published(day)
                    return seen is not None and seen.applies_as_of(END_OF_TIME) is not None

                def recorded_then(amendment: str, moment: dt.datetime = moment) -> bool:
                    return by_id[amendment].applies_as_of(moment) is not None

                then = state_on(records, day, END_OF_TIME)
                now = facts(records, values(then), d, day, known_now)
                later = facts(
                    records, values(state_on(records, review, END_OF_TIME)), d, review, known_now
                )
                if basis == "published":
                    seen_state = state_on(as_published(records, day), day, END_OF_TIME)
                    seen = facts(records, values(seen_state), d, day, published_by_day)
                else:
                    seen_state = state_on(records, day, moment)
                    seen = facts(records, values(seen_state), d, day, recorded_then)

                ways = {w for k in now if (w := direction(k, now[k], later[k])) is not None}
                assert judged.verdict == verdict(ways), (case, now, later)
                changed = {k: w for k in now if (w := direction(k, now[k], later[k])) is not None}
                assert {c.change.key: c.change.direction for c in judged.changes} == changed
                assert judged.record_differs == (seen != now), (case, now, seen)
                codes = [f.code for f in judged.findings]
                assert codes == findings(then is None, d, seen), (case, seen)
                named = {e.split(":")[1] for e in histories if e.startswith("group:")}
                unknown = tuple(g for g in sorted(set(d["groups"])) if g not in named)
                assert judged.unknown_groups == unknown
                doc = judged.doc()
                side = "as_known" if basis == "published" else "as_recorded"
                for name, expected in (("at_decision", now), (side, seen), ("at_review", later)):
                    got = {k: (f["status"], f["value"]) for k, f in doc[name]["facts"].items()}
                    assert got == expected, (name, case)
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
