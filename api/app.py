"""The FastAPI application factory: nothing is wired at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api import problems
from api.bootstrap import Services, build_services
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
    _observe_outermost(app, access_log=settings.access_log)
    return app


def _serve_docs(app: FastAPI) -> None:
    """Interactive API documentation (Swagger UI) whose script, styles and icon the app
    serves itself, so it renders on a network without the internet."""
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=SWAGGER_UI), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=None,
            # No badge from the online validator (a request to the internet).
            swagger_ui_parameters={"validatorUrl": None},
        )


def _observe_outermost(app: FastAPI, *, access_log: bool) -> None:
    """Request ids, metrics and the access log wrap the whole stack, error handling
    included, so 500s are counted and carry their request id too."""
    build = app.build_middleware_stack

    def build_observed() -> Any:
        return Observe(build(), access_log=access_log)

    app.build_middleware_stack = build_observed  # type: ignore[method-assign]


def _document_problems(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.problem_media_types(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
