"""Amendment files: the shipped Pakistan history records, and a bad file records nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.application import PolicyLedger
from domain.fold import pending_on, state_on
from domain.loader import AmendmentFileError, Problem, load_amendment_file, record_file

PAKISTAN = Path(__file__).resolve().parents[2] / "data" / "pakistan.yaml"
SIX = {"ahmadis", "christians", "apostates", "hazaras", "lgbti", "journalists_hrd"}


@pytest.fixture
def app(tmp_path: Path) -> PolicyLedger:
    return PolicyLedger(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "l.sqlite"),
        }
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def groups(state: dict[str, Any]) -> set[str]:
    return {k.removeprefix("group:") for k in state if k.startswith("group:")}


def amendment(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "country": "PK",
        "title": "Test letter",
        "announced_on": dt.date(2024, 11, 26),
        "in_force_from": dt.date(2024, 11, 26),
        "sources": [
            {"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 3318", "date": "2024-11-26"}
        ],
        "changes": [
            {"type": "set_article_15c", "region": "PK-BA", "level": "lower", "armed_conflict": True}
        ],
    }
    return {**base, **overrides}


def write(tmp_path: Path, *amendments: dict[str, Any], suffix: str = ".yaml") -> Path:
    path = tmp_path / f"amendments{suffix}"
    document = {"amendments": list(amendments)}
    text = json.dumps(document, default=str) if suffix == ".json" else yaml.safe_dump(document)
    path.write_text(text, encoding="utf-8")
    return path


def refused(app: PolicyLedger, path: Path) -> list[Problem]:
    before = app.recorder.max_notification_id()
    with pytest.raises(AmendmentFileError) as caught:
        record_file(app, path, author="tester")
    assert app.recorder.max_notification_id() == before
    assert str(path) in str(caught.value)
    return caught.value.problems


# The shipped history -------------------------------------------------------------------


def test_pakistan_file_records_three_amendments(app: PolicyLedger) -> None:
    recorded = record_file(app, PAKISTAN, author="loader test")

    assert len(recorded) == 3
    assert {r.country for r in recorded} == {"PK"}
    assert len(app.policy("PK").amendments) == 3


def test_pakistan_history_on_each_date(app: PolicyLedger) -> None:
    record_file(app, PAKISTAN, author="loader test")
    records = list(app.policy("PK").amendments.values())
    at = now()

    assert state_on(records, dt.date(2024, 11, 24), at) is None

    baseline = state_on(records, dt.date(2024, 11, 25), at)
    assert baseline is not None
    assert groups(baseline) == SIX
    assert "article_15c:PK-BA" not in baseline

    letter = state_on(records, dt.date(2024, 11, 26), at)
    assert letter is not None
    assert groups(letter) == SIX | {"pti"}
    assert letter["article_15c:PK-BA"].value == {"level": "lower", "armed_conflict": True}
    assert letter["article_15c:PK-KP"].value == {"level": "lower", "armed_conflict": True}
    assert letter["article_15c:default"].value == {"level": "none", "armed_conflict": False}
    assert letter["unaccompanied_minors"].value["adequate"] is True
    assert letter["group:lgbti"].value["label_nl"] == "LHBTI's"


def test_pakistan_decree_is_pending_and_applies_to_nothing(app: PolicyLedger) -> None:
    record_file(app, PAKISTAN, author="loader test")
    records = list(app.policy("PK").amendments.values())
    at = now()

    pending = pending_on(records, dt.date(2025, 6, 1), at)
    assert [r.title for r in pending] == ["WBV 2024/27: paragraaf C7/27 Vc (Pakistan) vervangen"]
    assert pending_on(records, dt.date(2024, 12, 17), at) == []
    later = state_on(records, dt.date(2025, 6, 1), at)
    assert later is not None
    assert later["group:lgbti"].value["label_nl"] == "LHBTI's"
    assert "note:article_1f" not in later


def test_pakistan_file_cites_no_undated_kamerstuk() -> None:
    references = {s.reference for _, d in load_amendment_file(PAKISTAN) for s in d.sources}
    assert "Kamerstuk 19637, nr. 3211" not in references
    assert "ECLI:NL:RVS:2024:2927" in references


# Files that record nothing -------------------------------------------------------------


def test_unknown_change_type_names_amendment_and_change(app: PolicyLedger, tmp_path: Path) -> None:
    bad = amendment(title="Second", changes=[{"type": "designate_region", "region": "PK-BA"}])
    problems = refused(app, write(tmp_path, amendment(), bad))

    assert len(problems) == 1
    assert problems[0].number == 2
    assert problems[0].name == "Second"
    assert problems[0].field == "amendments[1].changes[0]"
    assert "designate_region" in problems[0].message


def test_region_of_another_country(app: PolicyLedger, tmp_path: Path) -> None:
    changes = [
        {"type": "set_article_15c", "region": "PK-KP", "level": "lower", "armed_conflict": True},
        {"type": "set_article_15c", "region": "IN-MH", "level": "none", "armed_conflict": False},
    ]
    problems = refused(app, write(tmp_path, amendment(), amendment(changes=changes)))

    assert [(p.number, p.field) for p in problems] == [(2, "amendments[1].changes[1].region")]
    assert "IN-MH" in problems[0].message
    assert str(problems[0]).startswith("amendment 2 ('Test letter'): amendments[1].changes[1]")


def test_missing_sources(app: PolicyLedger, tmp_path: Path) -> None:
    bad = amendment()
    del bad["sources"]
    problems = refused(app, write(tmp_path, amendment(), bad))

    assert [(p.number, p.field) for p in problems] == [(2, "amendments[1].sources")]
    assert "required" in problems[0].message.lower()


def test_empty_sources(app: PolicyLedger, tmp_path: Path) -> None:
    problems = refused(app, write(tmp_path, amendment(sources=[])))

    assert [(p.number, p.field) for p in problems] == [(1, "amendments[0].sources")]
    assert "source" in problems[0].message


def test_bad_ecli_is_named_by_its_first_source_without_title(
    app: PolicyLedger, tmp_path: Path
) -> None:
    bad = amendment(
        sources=[{"kind": "ecli", "reference": "ECLI:NL:RVS:2024", "date": "2024-07-17"}]
    )
    del bad["title"]
    problems = refused(app, write(tmp_path, amendment(), bad))

    assert [(p.number, p.field) for p in problems] == [(2, "amendments[1].sources[0].reference")]
    assert problems[0].name == "ECLI:NL:RVS:2024"


def test_relabel_of_a_group_never_designated(app: PolicyLedger, tmp_path: Path) -> None:
    relabel = [{"type": "relabel_group", "group": "pti", "label_en": "PTI"}]
    problems = refused(app, write(tmp_path, amendment(changes=relabel)))

    assert [p.field for p in problems] == ["amendments[0].changes[0].group"]


def test_every_shape_error_in_the_file_is_reported(app: PolicyLedger, tmp_path: Path) -> None:
    first = amendment(colour="blue", country="XX")
    second = amendment(announced_on="26 November 2024")
    problems = refused(app, write(tmp_path, first, amendment(), second))

    assert {(p.number, p.field) for p in problems} == {
        (1, "amendments[0].colour"),
        (1, "amendments[0].country"),
        (3, "amendments[2].announced_on"),
    }


def test_yaml_syntax_error_gives_line(app: PolicyLedger, tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("amendments:\n  - country: PK\n    title: [unclosed\n", encoding="utf-8")
    problems = refused(app, path)

    assert len(problems) == 1
    assert "YAML syntax error at line" in problems[0].message


def test_yaml_duplicate_key_is_refused(app: PolicyLedger, tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("amendments: []\namendments: []\n", encoding="utf-8")
    problems = refused(app, path)

    assert "duplicate key 'amendments'" in problems[0].message
    assert "line 2" in problems[0].message


def test_json_file_records(app: PolicyLedger, tmp_path: Path) -> None:
    recorded = record_file(app, write(tmp_path, amendment(), suffix=".json"), author="tester")

    assert len(recorded) == 1
    assert app.recorder.max_notification_id() is not None


def test_bad_json_file_records_nothing(app: PolicyLedger, tmp_path: Path) -> None:
    bad = amendment(changes=[{"type": "set_article_15c", "region": "IN-MH", "level": "none"}])
    problems = refused(app, write(tmp_path, amendment(), bad, suffix=".json"))

    assert [(p.number, p.field) for p in problems] == [
        (2, "amendments[1].changes[0].armed_conflict")
    ]


def test_json_syntax_error(app: PolicyLedger, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"amendments": [}', encoding="utf-8")

    assert "JSON syntax error at line 1" in refused(app, path)[0].message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "not an empty file"),
        ("- country: PK\n", "not a list"),
        ("amendment: []\n", "unknown key 'amendment'"),
        ("amendments: {}\n", "must be a list"),
    ],
)
def test_file_without_an_amendment_list(
    app: PolicyLedger, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")

    assert any(expected in str(p) for p in refused(app, path))


def test_unreadable_file_and_unknown_suffix(app: PolicyLedger, tmp_path: Path) -> None:
    assert "cannot read" in refused(app, tmp_path / "absent.yaml")[0].message
    other = tmp_path / "amendments.toml"
    other.write_text("", encoding="utf-8")
    assert "unknown file type" in refused(app, other)[0].message


def test_checks_see_what_the_ledger_already_holds(app: PolicyLedger, tmp_path: Path) -> None:
    record_file(app, PAKISTAN, author="loader test")
    relabel = [{"type": "relabel_group", "group": "pti", "label_en": "PTI leaders and members"}]
    ok = amendment(announced_on=dt.date(2025, 1, 2), in_force_from=None, changes=relabel)
    revoke = [{"type": "revoke_group", "group": "nobody", "category": "risk_profile"}]
    bad = write(tmp_path, ok, amendment(changes=revoke))

    assert [p.field for p in refused(app, bad)] == ["amendments[1].changes[0].group"]
    assert len(app.policy("PK").amendments) == 3
