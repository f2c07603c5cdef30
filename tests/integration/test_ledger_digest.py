"""Policy and version answers name the ledger digest they were computed from: the digest of
every country's chain head, kept by the projection, on both stores."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from api.bootstrap import Services
from domain import chain
from domain.commands import AmendmentDraft
from domain.domainmodel import CountryPolicy
from domain.loader import record_file
from events.vocabulary import DesignateGroup, GroupCategory, Source, SourceKind
from integration.raw_store import RawStore

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
DAY = dt.date(2024, 11, 26)


def designate(group: str) -> AmendmentDraft:
    source = Source(kind=SourceKind.KAMERSTUK, reference="Kamerstuk 19637, nr. 1", date=DAY)
    change = DesignateGroup(
        group=group, category=GroupCategory.RISK_PROFILE, label_nl=group, label_en=group
    )
    return AmendmentDraft(announced_on=DAY, in_force_from=DAY, sources=(source,), changes=(change,))


def digest_of_the_log(ledger: Services, countries: list[str]) -> str:
    """The digest from the stored events' own hashes (the last event of each country)."""
    heads = {}
    for country in countries:
        events = list(ledger.app.repository.event_store.get(CountryPolicy.create_id(country)))
        heads[country] = events[-1].hash
    return chain.ledger_digest(heads)


def index_answer(ledger: Services, on: dt.date = DAY) -> dict[str, object]:
    document = ledger.reads.index().policy_json("PK", on, dt.datetime.now(dt.UTC))
    return dict(json.loads(document))


def test_every_policy_answer_names_the_digest_of_the_chain_heads(ledger: Services) -> None:
    record_file(ledger.app, DEMO, "tester")
    ledger.catch_up.run()
    expected = digest_of_the_log(ledger, ["PK"])

    from_sql = ledger.reads.as_projected.policy("PK", DAY, dt.datetime.now(dt.UTC))
    version = ledger.reads.as_projected.version("PK", str(from_sql["version_id"]))

    assert from_sql["ledger_digest"] == expected
    assert version["ledger_digest"] == expected
    assert index_answer(ledger)["ledger_digest"] == expected
    assert expected != chain.EMPTY_DIGEST


def test_a_write_moves_the_digest_and_the_index_follows(ledger: Services) -> None:
    record_file(ledger.app, DEMO, "tester")
    before = index_answer(ledger)["ledger_digest"]

    recorded = ledger.app.record_amendment(
        "AF", designate("hazaras"), author="alice", expected_version=None
    )
    after = index_answer(ledger)["ledger_digest"]

    assert recorded.version == 2
    assert after != before
    assert after == digest_of_the_log(ledger, ["AF", "PK"])
    assert ledger.reads.as_projected.ledger_digest() == after


def test_a_rebuilt_read_model_names_the_same_digest(ledger: Services) -> None:
    record_file(ledger.app, DEMO, "tester")
    ledger.catch_up.run()
    before = ledger.reads.as_projected.ledger_digest()

    ledger.view.drop_policy_rows(ledger.app.name)
    ledger.projection.forget()
    assert ledger.reads.as_projected.ledger_digest() == chain.EMPTY_DIGEST
    ledger.catch_up.run()

    assert ledger.reads.as_projected.ledger_digest() == before


def test_version_1_events_are_chained_by_their_computed_hashes(ledger: Services) -> None:
    """A store written before the chain (no stored hashes) names the same digest as one with
    them: version 1 links are computed from the same content."""
    record_file(ledger.app, DEMO, "tester")
    ledger.catch_up.run()
    with_hashes = ledger.reads.as_projected.ledger_digest()

    assert RawStore(ledger).downgrade_to_v1() == 4
    ledger.view.drop_policy_rows(ledger.app.name)
    ledger.projection.forget()
    ledger.catch_up.run()

    assert ledger.reads.as_projected.ledger_digest() == with_hashes
