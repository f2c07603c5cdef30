"""Security headers on every response, and CORS for the origins the settings allow.

`SecureHeaders` is a plain ASGI middleware wrapped around the whole stack (as `Observe` is),
so pages, JSON answers, static files, /docs and errors (a 500 included) all carry:

- a Content-Security-Policy that allows only this origin's own scripts, styles, images,
  fonts and fetches, with no inline script at all and one inline style block, by its hash
  (the audit report's: the report is also a standalone file, so its CSS is inside it);
  no plugins, no <base>, forms posting only here, and no framing (`frame-ancestors`);
- X-Content-Type-Options: nosniff, X-Frame-Options: DENY (for browsers without CSP 3),
  Referrer-Policy: no-referrer (a page's address, dates and all, is not sent to the
  official sources it links to).

A route may set its own value of any of these; it is kept.

CORS is off unless `cors_origins` names origins: then Starlette's CORS middleware answers
their preflights and marks their responses readable; any other origin gets no CORS header
(its preflight a 400), and browsers keep its scripts from reading the answers. Tokens travel
in the Authorization header, never in cookies, so no credentials mode is offered.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import CONSISTENCY, LAG, SOURCE
from projections.audit.page import TEMPLATES as REPORT_TEMPLATES

# Request headers a browser client of another origin may send, and response headers it may
# read, beyond the CORS-safelisted ones.
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "X-Request-ID", CONSISTENCY)
CORS_RESPONSE_HEADERS = ("X-Request-ID", SOURCE, LAG)
CORS_MAX_AGE = 600  # seconds a browser may keep a preflight's answer


def inline_style_hashes() -> list[str]:
    """CSP sources for the inline <style> blocks the app serves: the audit report's."""
    template = (REPORT_TEMPLATES / "audit_report.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<style>(.*?)</style>", template, re.S)
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
        for b in blocks
    ]


def content_security_policy() -> str:
    styles = " ".join(["'self'", *inline_style_hashes()])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",  # data: for the pages' empty icon and Swagger UI's icons
            "font-src 'self'",
            "connect-src 'self'",  # Swagger UI's "Try it out"
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]


class SecureHeaders:
    """Adds the security headers to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = security_headers()
        self.names = frozenset(name for name, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                own = {name.lower() for name, _ in headers} & self.names
                headers += [h for h in self.headers if h[0] not in own]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)


def with_cors(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """`app` answering CORS for `origins`; `app` itself when there are none (CORS off)."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(CORS_REQUEST_HEADERS),
        expose_headers=list(CORS_RESPONSE_HEADERS),
        allow_credentials=False,
        max_age=CORS_MAX_AGE,
    )


def secured(app: ASGIApp, origins: Sequence[str]) -> ASGIApp:
    """The whole stack with security headers and CORS, errors included."""
    return SecureHeaders(with_cors(app, origins))
