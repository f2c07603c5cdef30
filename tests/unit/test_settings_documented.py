"""Every setting is in the README's Configuration table, under its environment name."""

from __future__ import annotations

import re
from pathlib import Path

from api.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_configuration_table() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Configuration") : text.index("## Production")]
    documented = set(re.findall(r"^\| `POLICY_LEDGER_([A-Z_]+)` \|", table, re.MULTILINE))
    settings = {name.upper() for name in Settings.model_fields}
    assert documented == settings
