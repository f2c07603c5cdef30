"""The command-line face, run in-process with CliRunner on each store.

Every command opens the ledger from POLICY_LEDGER_DATABASE_URL, as a user's shell would.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.cli import cli

DEMO = Path(__file__).parents[2] / "data" / "pakistan.yaml"
SIX_GROUPS = ["ahmadis", "apostates", "christians", "hazaras", "journalists_hrd", "lgbti"]
LATER = "2100-01-01T00:00:00Z"  # a fixed moment after every load, so answers compare equal


class Shell:
    """Runs policy-ledger commands against one store."""

    def __init__(self, store_url: str, key_dir: Path) -> None:
        self.runner = CliRunner()
        # The tokens file of earlier versions is migrated by `init`: never the checkout's.
        self.env = {
            "POLICY_LEDGER_DATABASE_URL": store_url,
            "POLICY_LEDGER_TOKENS_FILE": str(key_dir / "tokens.json"),
        }
        if not store_url.startswith("sqlite"):
            # PostgreSQL's default key is ./var/signing-key.pem: keep tests out of the checkout.
            self.env["POLICY_LEDGER_SIGNING_KEY_FILE"] = str(key_dir / "signing-key.pem")

    def run(self, *args: str) -> Result:
        return self.runner.invoke(cli, list(args), env=self.env)

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json").stdout)


def group_ids(doc: dict[str, Any]) -> list[str]:
    return [g["id"] for g in doc["groups"]]


def test_init_then_load_records_the_three_amendments_of_the_demo_file(shell: Shell) -> None:
    shell.ok("init")
    result = shell.ok("load", str(DEMO), "--author", "tester")
    assert "Recorded 3 amendments" in result.stdout
    [pakistan] = shell.json("countries")
    assert (pakistan["country"], pakistan["amendments"]) == ("PK", 3)


def test_the_day_before_the_letter_holds_the_six_attested_groups_and_nothing_else(
    loaded: Shell,
) -> None:
    doc = loaded.json("policy", "PK", "--on", "2024-11-25")
    assert doc["coverage"] is True
    assert group_ids(doc) == SIX_GROUPS
    assert {g["category"] for g in doc["groups"]} == {"risk_profile"}
    assert doc["article_15c"] == {"default": None, "regions": {}}
    assert doc["unaccompanied_minors"] is None


def test_the_letter_adds_pti_article_15c_and_minors_reception_on_its_own_date(
    loaded: Shell,
) -> None:
    before = loaded.json("policy", "PK", "--on", "2024-11-25")
    doc = loaded.json("policy", "PK", "--on", "2024-11-26")
    assert group_ids(doc) == sorted([*SIX_GROUPS, "pti"])
    pti = next(g for g in doc["groups"] if g["id"] == "pti")
    assert pti["category"] == "risk_profile"
    regions = doc["article_15c"]["regions"]
    assert sorted(regions) == ["PK-BA", "PK-KP"]
    for region in regions.values():
        assert (region["level"], region["armed_conflict"]) == ("lower", True)
    default = doc["article_15c"]["default"]
    assert (default["level"], default["armed_conflict"]) == ("none", False)
    assert doc["unaccompanied_minors"]["adequate"] is True
    assert doc["version_id"] != before["version_id"]


def test_before_the_attested_date_there_is_no_coverage(loaded: Shell) -> None:
    doc = loaded.json("policy", "PK", "--on", "2024-11-24")
    assert doc["coverage"] is False
    assert doc["groups"] == []


def test_the_diff_across_the_letter_lists_exactly_what_it_added(loaded: Shell) -> None:
    doc = loaded.json("diff", "PK", "--from", "2024-11-25", "--to", "2024-11-26")
    changes = {c["element"]: c for c in doc["changes"]}
    assert sorted(changes) == [
        "article_15c:PK-BA",
        "article_15c:PK-KP",
        "article_15c:default",
        "group:pti",
        "note:protection",
        "unaccompanied_minors",
    ]
    assert {c["kind"] for c in changes.values()} == {"added"}
    assert changes["group:pti"]["after"]["category"] == "risk_profile"
    assert changes["article_15c:PK-BA"]["after"] == {"level": "lower", "armed_conflict": True}
    letter = changes["group:pti"]["amendment"]
    assert "Kamerstuk 19637, nr. 3318" in [s["reference"] for s in letter["sources"]]


def test_the_timeline_lists_three_amendments_with_the_decree_pending(loaded: Shell) -> None:
    amendments = loaded.json("timeline", "PK")["amendments"]
    assert len(amendments) == 3
    assert [a["status"] for a in amendments] == ["in_force", "in_force", "pending"]
    assert [a["in_force_from"] for a in amendments] == ["2024-11-25", "2024-11-26", None]
    assert "WBV 2024/27" in [s["reference"] for s in amendments[2]["sources"]]


def test_the_lgbti_relabel_is_not_applied_while_the_decree_is_pending(loaded: Shell) -> None:
    doc = loaded.json("history", "PK", "group:lgbti")
    intervals = doc["intervals"]
    assert [i["action"] for i in intervals] == ["designate_group", "reaffirm"]
    assert "relabel_group" not in [i["action"] for i in intervals]
    assert intervals[-1]["value"]["label_en"] == "LGBTI people"
    assert intervals[-1]["valid_to"] is None
    today = loaded.json("policy", "PK", "--on", dt.date.today().isoformat())
    assert [p["title"] for p in today["pending"]] == [
        "WBV 2024/27: paragraaf C7/27 Vc (Pakistan) vervangen"
    ]


def test_as_known_before_the_load_there_is_no_coverage(shell: Shell) -> None:
    shell.ok("init")
    before_load = dt.datetime.now(dt.UTC).isoformat()
    shell.ok("load", str(DEMO), "--author", "tester")
    doc = shell.json("policy", "PK", "--on", "2024-11-26", "--known-at", before_load)
    assert doc["coverage"] is False
    assert doc["groups"] == []
    assert doc["pending"] == []
    assert shell.json("policy", "PK", "--on", "2024-11-26")["coverage"] is True


def test_a_file_with_one_bad_region_is_refused_whole_and_names_the_amendment_and_field(
    shell: Shell, tmp_path: Path
) -> None:
    bad = tmp_path / "pakistan.yaml"
    bad.write_text(DEMO.read_text().replace("region: PK-BA", "region: IN-MH", 1))
    shell.ok("init")
    result = shell.run("load", str(bad), "--author", "tester")
    assert result.exit_code != 0
    assert "nothing loaded" in result.stderr
    assert "amendment 2" in result.stderr
    assert "amendments[1].changes[7].region" in result.stderr
    assert "IN-MH" in result.stderr
    assert shell.json("countries") == []


def test_a_rebuild_leaves_every_answer_identical(loaded: Shell) -> None:
    questions = [
        ("policy", "PK", "--on", "2024-11-25", "--known-at", LATER),
        ("policy", "PK", "--on", "2024-11-26", "--known-at", LATER),
        ("timeline", "PK", "--known-at", LATER),
        ("history", "PK", "group:lgbti", "--known-at", LATER),
        ("diff", "PK", "--from", "2024-11-25", "--to", "2024-11-26", "--known-at", LATER),
        ("countries",),
    ]
    before = [loaded.json(*q) for q in questions]
    result = loaded.ok("rebuild")
    assert "Rebuilt the read model" in result.stdout
    assert [loaded.json(*q) for q in questions] == before


@pytest.mark.parametrize(
    "args",
    [
        ("policy", "PK", "--on", "2024-13-45"),
        ("policy", "PK", "--on", "2024-11-26", "--known-at", "yesterday"),
        ("diff", "PK", "--from", "2024-11-25", "--to", "26/11/2024"),
    ],
    ids=["bad-on", "bad-known-at", "bad-to"],
)
def test_a_bad_date_exits_2_with_a_message_not_a_traceback(
    loaded: Shell, args: tuple[str, ...]
) -> None:
    result = loaded.run(*args, "--json")
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    bad_value = args[-1]
    assert f"'{bad_value}'" in result.stderr
    assert result.stdout == ""
