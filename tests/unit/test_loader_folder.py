"""Loading a folder: its amendment files in name order, all recorded or none; and the
shipped data/ folder: one country per file, every amendment citing a source."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.application import PolicyLedger
from domain.fold import state_on
from domain.loader import (
    AmendmentFileError,
    amendment_files,
    load_amendment_file,
    record_path,
)

DATA = Path(__file__).resolve().parents[2] / "data"
LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def app(tmp_path: Path) -> PolicyLedger:
    return PolicyLedger(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / "l.sqlite"),
        }
    )


def amendment(country: str, day: str, *changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "country": country,
        "title": f"Test {country} {day}",
        "announced_on": day,
        "in_force_from": day,
        "sources": [{"kind": "kamerstuk", "reference": "Kamerstuk 19637, nr. 1", "date": day}],
        "changes": list(changes),
    }


def designate(group: str) -> dict[str, Any]:
    return {
        "type": "designate_group",
        "group": group,
        "category": "risk_profile",
        "label_nl": group.title(),
        "label_en": group.title(),
    }


def relabel(group: str, label: str) -> dict[str, Any]:
    return {"type": "relabel_group", "group": group, "label_en": label}


def write(folder: Path, name: str, *amendments: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump({"amendments": list(amendments)}), encoding="utf-8")
    return path


def stored(app: PolicyLedger) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_folder_loads_its_files_in_name_order_each_seeing_the_ones_before(
    app: PolicyLedger, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    # "10-…" sorts before "2-…" by name: the relabel needs the group designated first.
    write(folder, "10-designate.yaml", amendment("PK", "2024-01-01", designate("ahmadis")))
    write(folder, "2-relabel.yml", amendment("PK", "2024-02-01", relabel("ahmadis", "A")))
    write(folder, "3-other.yaml", amendment("AF", "2024-03-01", designate("women")))

    loaded = record_path(app, folder, author="tester")

    assert [p.name for p in loaded.files] == ["10-designate.yaml", "2-relabel.yml", "3-other.yaml"]
    assert [r.country for r in loaded.recorded] == ["PK", "PK", "AF"]
    assert loaded.skipped == []
    state = state_on(list(app.policy("PK").amendments.values()), dt.date(2024, 2, 1), LATER) or {}
    assert state["group:ahmadis"].value["label_en"] == "A"


def test_only_amendment_files_directly_in_the_folder_count(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "b.json", amendment("PK", "2024-01-01", designate("x")))
    write(folder, "a.YAML", amendment("PK", "2024-01-01", designate("y")))
    write(folder, ".hidden.yaml", amendment("PK", "2024-01-01", designate("z")))
    write(folder / "sub", "c.yaml", amendment("PK", "2024-01-01", designate("z")))
    (folder / "README.md").write_text("not an amendment file")

    assert [p.name for p in amendment_files(folder)] == ["a.YAML", "b.json"]


def test_a_bad_file_names_itself_and_nothing_of_the_folder_is_stored(
    app: PolicyLedger, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    write(folder, "1-good.yaml", amendment("PK", "2024-01-01", designate("ahmadis")))
    bad = write(folder, "2-bad.yaml", amendment("AF", "2024-01-01", relabel("nobody", "N")))
    write(folder, "3-good.yaml", amendment("SY", "2024-01-01", designate("kurds")))
    before = stored(app)

    with pytest.raises(AmendmentFileError) as caught:
        record_path(app, folder, author="tester")

    assert caught.value.path == str(bad)
    assert "amendments[0].changes[0].group" in str(caught.value)
    assert stored(app) == before
    assert app.version_of("PK") is None
    assert app.version_of("SY") is None


def test_a_file_that_cannot_be_read_names_itself(app: PolicyLedger, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "1-good.yaml", amendment("PK", "2024-01-01", designate("ahmadis")))
    broken = folder / "2-broken.json"
    broken.write_text("{ not json", encoding="utf-8")

    with pytest.raises(AmendmentFileError) as caught:
        record_path(app, folder, author="tester")

    assert caught.value.path == str(broken)
    assert "JSON syntax error" in str(caught.value)
    assert app.version_of("PK") is None


def test_a_folder_without_amendment_files_is_refused(app: PolicyLedger, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(AmendmentFileError, match="no amendment files"):
        record_path(app, tmp_path / "empty", author="tester")


def test_skip_loaded_records_a_folder_once(app: PolicyLedger, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder, "pk.yaml", amendment("PK", "2024-01-01", designate("ahmadis")))
    first = record_path(app, folder, author="tester", skip_loaded=True)
    write(folder, "af.yaml", amendment("AF", "2024-01-01", designate("women")))

    second = record_path(app, folder, author="tester", skip_loaded=True)
    third = record_path(app, folder, author="tester", skip_loaded=True)

    assert len(first.recorded) == 1
    assert [p.name for p in second.skipped] == ["pk.yaml"]
    assert [r.country for r in second.recorded] == ["AF"]
    assert third.recorded == []
    assert len(third.skipped) == 2
    assert len(app.policy("PK").amendments) == 1


def test_skip_loaded_refuses_a_file_with_loaded_and_new_countries(
    app: PolicyLedger, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    record_path(app, write(folder, "pk.yaml", amendment("PK", "2024-01-01", designate("a"))), "t")
    mixed = write(
        tmp_path / "next",
        "mixed.yaml",
        amendment("PK", "2024-02-01", designate("b")),
        amendment("AF", "2024-02-01", designate("c")),
    )
    with pytest.raises(AmendmentFileError, match="PK already has a recorded policy") as caught:
        record_path(app, mixed.parent, author="tester", skip_loaded=True)
    assert caught.value.path == str(mixed)
    assert app.version_of("AF") is None


# The shipped data/ folder ------------------------------------------------------------------


def test_data_holds_only_amendment_files_one_country_each() -> None:
    files = amendment_files(DATA)
    assert {p.name for p in files} >= {"afghanistan.yaml", "pakistan.yaml", "syria.yaml"}
    assert {p.name for p in DATA.iterdir()} == {p.name for p in files}
    countries = [{c for c, _ in load_amendment_file(p)} for p in files]
    assert all(len(c) == 1 for c in countries), "--skip-loaded skips by country: one per file"
    assert len(set().union(*countries)) == len(files), "two files of data/ share a country"


def test_every_amendment_in_data_cites_a_source_with_a_reference() -> None:
    for path in amendment_files(DATA):
        for _, draft in load_amendment_file(path):
            assert draft.sources, (path.name, draft.title)
            assert all(s.reference.strip() for s in draft.sources), (path.name, draft.title)
            assert draft.rationale.strip(), (path.name, draft.title)


def test_the_whole_data_folder_records(app: PolicyLedger) -> None:
    loaded = record_path(app, DATA, author="tester")
    assert {r.country for r in loaded.recorded} == {"AF", "PK", "SY"}
    assert len(app.policy("PK").amendments) == 3
    assert len(app.policy("AF").amendments) == 7
    assert len(app.policy("SY").amendments) == 3


def test_a_change_in_data_that_cites_its_own_sources_cites_fewer_than_all() -> None:
    # Listing every source says nothing a change without `sources` does not: a list names
    # the sources one change rests on, and only where that is fewer than all.
    for path in amendment_files(DATA):
        for _, draft in load_amendment_file(path):
            for change in draft.changes:
                cited = getattr(change, "sources", ())
                assert len(cited) < len(draft.sources) or not cited, (path.name, draft.title)
