"""Every file of data/ loads into a fresh store, the chains verify after, and loading the
folder again with --skip-loaded (what `./dev demo` runs) records nothing twice."""

from __future__ import annotations

from pathlib import Path

from integration.test_cli import DEMO, LATER, Shell

DATA = Path(__file__).parents[2] / "data"


def test_the_data_folder_loads_whole_and_verifies(shell: Shell) -> None:
    shell.ok("init")
    result = shell.ok("load", str(DATA), "--skip-loaded", "--author", "tester")

    assert "Recorded 13 amendments from" in result.stdout
    assert "(3 files)" in result.stdout
    assert [c["country"] for c in shell.json("countries")] == ["AF", "PK", "SY"]
    assert shell.json("verify")["ok"] is True


def test_loading_the_folder_again_with_skip_loaded_records_nothing(shell: Shell) -> None:
    shell.ok("init")
    shell.ok("load", str(DEMO), "--author", "tester")  # a store from before: PK only

    second = shell.ok("load", str(DATA), "--skip-loaded", "--author", "tester")
    third = shell.ok("load", str(DATA), "--skip-loaded", "--author", "tester")

    assert f"Skipped {DEMO}" in second.stdout
    assert "Recorded 10 amendments" in second.stdout
    assert "Recorded 0 amendments" in third.stdout
    timeline = shell.json("timeline", "PK", "--known-at", LATER)
    assert len(timeline["amendments"]) == 3
    assert shell.json("verify")["ok"] is True


def test_the_pakistan_demo_answers_the_same_beside_the_other_countries(
    shell: Shell, other_store_url: str, tmp_path: Path
) -> None:
    alone = Shell(other_store_url, tmp_path / "alone")
    for s, path in ((shell, DATA), (alone, DEMO)):
        s.ok("init")
        s.ok("load", str(path), "--author", "tester")
    for day in ("2024-11-25", "2024-11-26", "2025-01-01"):
        question = ("policy", "PK", "--on", day, "--known-at", LATER)
        mine, theirs = shell.json(*question), alone.json(*question)
        assert mine["version_id"] == theirs["version_id"]
        assert [(g["id"], g["label_nl"], g["since"]) for g in mine["groups"]] == [
            (g["id"], g["label_nl"], g["since"]) for g in theirs["groups"]
        ]


def test_a_bad_file_in_a_folder_names_itself_and_nothing_is_loaded(
    shell: Shell, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "1-pakistan.yaml").write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    bad = folder / "2-bad.yaml"
    bad.write_text(
        DEMO.read_text(encoding="utf-8").replace("country: PK", "country: AF"), encoding="utf-8"
    )
    shell.ok("init")

    result = shell.run("load", str(folder), "--author", "tester")

    assert result.exit_code != 0
    assert f"{bad}: nothing loaded from {folder}" in result.stderr
    assert "region" in result.stderr  # PK-BA is not a region of AF
    assert shell.json("countries") == []
