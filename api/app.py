"""The FastAPI application factory: nothing is wired at import time."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api import problems
from api.bootstrap import Services, build_services
from api.headers import secured
from api.limits import ConcurrencyLimit
from api.middleware import BodyLimit
from api.observability import Observe
from api.routes import amendments, audits, countries, health, integrity, pages
from api.security import Tokens, migrate_tokens_file
from api.settings import Settings

STATIC = Path(__file__).parent / "static"
# Swagger UI from the pinned swagger-ui-bundle-v2 package: /docs works without the internet.
SWAGGER_UI = Path(str(swagger_ui_bundle.swagger_ui_path))
SWAGGER_ASSETS = "/docs/assets"
log = logging.getLogger("policy_ledger.api")

DESCRIPTION = """
Dutch country-specific asylum policy, versioned from immutable events.

Every read answers *what was the policy on date `on`, as the ledger knew it at moment
`known_at`*: `on` is valid time (when a rule is in force), `known_at` is knowledge time
(when the ledger recorded it). Versions are content-addressed and never change.
"""


def create_app(settings: Settings | None = None, ledger: Services | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.ledger = ledger or build_services(settings)
        tokens = app.state.ledger.tokens
        await run_in_threadpool(migrate_tokens_file, tokens, settings.tokens_file)
        app.state.tokens = Tokens(tokens, settings.tokens, settings.token_cache_seconds)
        app.state.audit_limit = ConcurrencyLimit(settings.audits_per_client, "audits")
        app.state.ledger.catch_up.run()
        await run_in_threadpool(app.state.ledger.reads.warm)
        try:
            yield
        finally:
            if ledger is None:
                app.state.ledger.close()

    app = FastAPI(
        title="Policy Ledger",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load their scripts from a CDN: /docs is ours below.
        docs_url=None,
        redoc_url=None,
    )
    problems.install(app)
    _document_problems(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(countries.router)
    app.include_router(amendments.router)
    app.include_router(audits.router)
    app.include_router(health.router)
    app.include_router(integrity.router)
    # Web pages: HTML over the same queries, kept out of the OpenAPI document.
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _serve_docs(app)
    _observe_outermost(app, settings)
    return app


def _serve_docs(app: FastAPI) -> None:
    """Interactive API documentation (Swagger UI) whose script, styles and icon the app
    serves itself, so it renders on a network without the internet."""
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            DOCS_PAGE.format(
                title=html.escape(f"{app.title} - API"),
                openapi=html.escape(app.openapi_url or "/openapi.json"),
                assets=SWAGGER_ASSETS,
            )
        )


# Swagger UI's page, started by /static/docs.js: no inline script (api/headers.py).
DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def _observe_outermost(app: FastAPI, settings: Settings) -> None:
    """Request ids, metrics, the access log, security headers and CORS wrap the whole
    stack, error handling included, so 500s are counted and carry them too."""
    build = app.build_middleware_stack

    def build_observed() -> Any:
        return Observe(secured(build(), settings.cors_origins), access_log=settings.access_log)

    app.build_middleware_stack = build_observed  # type: ignore[method-assign]


def _document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.problem_media_types(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
