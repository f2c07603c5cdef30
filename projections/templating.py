"""The Jinja environment of every HTML page: the site's (api.routes.pages) and the audit
report's (projections.audit.html)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape


def environment(folder: Path) -> Environment:
    """Templates from `folder`: autoescaped (strings too), strict about undefined names."""
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
