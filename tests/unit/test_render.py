"""The CLI's human output fits 80 columns: on a pipe the width is always 80, and the
demo's policy, diff, history, timeline, countries and an audit summary stay within it."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api import render
from api.cli import cli

DEMO = Path(__file__).resolve().parents[2] / "data" / "pakistan.yaml"
LATER = "2100-01-01"
ELEMENTS = [
    "group:pti",
    "group:lgbti",
    "article_15c:PK-BA",
    "article_15c:default",
    "unaccompanied_minors",
    "note:protection",
]


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('render') / 'ledger.sqlite'}"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env={"POLICY_LEDGER_DATABASE_URL": url})
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.stdout

    run("init")
    run("load", str(DEMO), "--author", "tester")
    return run


def demo_commands() -> list[list[str]]:
    dates = ["2024-11-24", "2024-11-25", "2024-11-26", "2025-01-01"]
    return [
        *(["policy", "PK", "--on", day, "--known-at", LATER] for day in dates),
        ["diff", "PK", "--from", "2024-11-25", "--to", "2024-11-26", "--known-at", LATER],
        ["diff", "PK", "--from", "2024-11-24", "--to", "2025-01-01", "--known-at", LATER],
        ["timeline", "PK", "--known-at", LATER],
        ["countries"],
        *(["history", "PK", element, "--known-at", LATER] for element in ELEMENTS),
    ]


def too_wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > render.WIDTH]


@pytest.mark.parametrize("command", demo_commands(), ids=" ".join)
def test_the_demo_output_of_each_command_fits_80_columns(shell: Any, command: list[str]) -> None:
    output = shell(*command)
    assert output.strip()
    assert too_wide(output) == []


def printed(renderable: Any, **options: Any) -> str:
    screen = io.StringIO()
    render.Output(file=screen, **options).print(renderable)
    return screen.getvalue()


def test_not_a_terminal_is_80_columns_whatever_columns_says() -> None:
    assert render.Output(file=io.StringIO(), _environ={"COLUMNS": "200"}).width == 80
    assert render.Output(file=io.StringIO(), _environ={"COLUMNS": "40"}).width == 80


def test_a_terminal_keeps_its_own_width() -> None:
    assert render.Output(file=io.StringIO(), force_terminal=True, width=132).width == 132


def test_long_labels_ids_and_titles_wrap_within_80_columns() -> None:
    long = "a very long label " * 12
    source = {"reference": "Kamerstuk 19637, nr. 9999 " * 4}
    element = {"since": "2024-01-01", "amendments": [], "sources": [source]}
    doc = {
        "country": "XX",
        "name": "Somewhere",
        "on": "2024-01-01",
        "known_at": "2100-01-01T00:00:00+00:00",
        "coverage": True,
        "version_id": "0" * 64,
        "valid_from": "2024-01-01",
        "valid_to": None,
        "groups": [
            {
                "id": "g" * 50,
                "category": "risk_profile",
                "label_en": long,
                "label_nl": long,
                **element,
            }
        ],
        "protection": {"general": {"authorities_protect": False, "note": long, **element}},
        "internal_protection_alternative": {},
        "article_15c": {"default": None, "regions": {}},
        "unaccompanied_minors": None,
        "moratoria": [{"kind": "decision", "until": None, **element}],
        "notes": [{"topic": "x" * 60, "text": long, **element}],
        "pending": [{"id": "p", "title": long, "announced_on": "2024-01-02", "sources": [source]}],
    }
    assert too_wide(printed(render.policy(doc))) == []
    change = {
        "element": "e" * 60,
        "kind": "changed",
        "before": {"note": long},
        "after": {"note": long},
        "amendment": {"title": long},
    }
    diff = {"country": "XX", "from": "2024-01-01", "to": "2024-02-01", "changes": [change]}
    assert too_wide(printed(render.diff(diff))) == []


def test_the_json_output_is_the_document_unwrapped(shell: Any) -> None:
    text = shell("policy", "PK", "--on", "2024-11-26", "--known-at", LATER, "--json")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def test_an_audit_summary_fits_80_columns_and_names_the_decisions() -> None:
    summary = {
        "decisions": 1_000_000,
        "audited": 995_005,
        "rejected": 4_995,
        "verdicts": {"unchanged": 900_000, "changed_in_favour": 95_005},
        "record_differs": {"true": 5, "false": 995_000},
        "citations": {"matches": 10, "mismatch": 2, "not_given": 994_993},
    }
    text = printed(render.audit_summary(summary))
    assert "Audit of 1000000 decisions" in text
    assert too_wide(text) == []
