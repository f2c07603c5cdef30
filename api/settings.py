"""Configuration from the environment (prefix POLICY_LEDGER_) and an optional `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.security import TokenEntry

# A web origin as browsers send it in `Origin`: no path, no wildcard, no trailing slash.
# Lower case, as browsers send it (the CORS middleware compares origins as strings).
Origin = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$"),
    BeforeValidator(lambda value: value.strip().lower() if isinstance(value, str) else value),
]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POLICY_LEDGER_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default="sqlite:///./var/ledger.sqlite",
        description="sqlite:///path/to/file or postgresql://user[:password]@host[:port]/db"
        "[?schema=name]",
    )
    read_database_url: str | None = Field(
        default=None,
        description="A read-only replica of the database (same form as database_url): "
        "reads are answered from it, stating their lag, unless a request asks for the primary.",
    )
    read_model_schema: str | None = Field(
        default=None,
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL only: keep the read model (and its tracking position) in "
        "this schema instead of the event log's; for blue/green rebuilds.",
    )
    pool_size: int = Field(
        default=5, ge=1, le=100, description="PostgreSQL connections each process keeps open."
    )
    pool_max_overflow: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="PostgreSQL connections opened beyond pool_size under load (default: "
        "pool_size), closed again when idle.",
    )
    pool_timeout: int = Field(
        default=5,
        ge=1,
        le=300,
        description="Seconds to wait for a free PostgreSQL connection (or to connect).",
    )
    aggregate_cache_size: int = Field(
        default=1000, ge=0, description="Country policies kept in memory by the writer."
    )
    tokens_file: Path = Field(
        default=Path("./var/tokens.json"),
        description="The tokens file of earlier versions: read once into the store, then "
        "renamed to <name>.migrated (tokens now live in the store).",
    )
    tokens: list[TokenEntry] = Field(
        default_factory=list, description="More token hashes (JSON list of subject/role/sha256)."
    )
    token_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="How long a process trusts a token it looked up in the store: a "
        "revocation counts everywhere within this time (an expiry at once).",
    )
    read_requires_token: bool = Field(
        default=False, description="When true every read needs a token (any role)."
    )
    audits_require_token: bool = Field(
        default=True,
        description="POST /audits (and the upload page) need a bearer token (any role), "
        "even where reads do not: an audit costs seconds of CPU. ./dev demo turns it off.",
    )
    audits_per_client: int = Field(
        default=2,
        ge=1,
        le=100,
        description="Audits one client (a token's subject, else an address) may run at once "
        "in one server process; 429 with Retry-After beyond.",
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest request body accepted (413 beyond)."
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PKCS#8 PEM) that signs ledger digests. Default: "
        "beside a SQLite database (<file>.signing-key.pem), ./var/signing-key.pem for "
        "PostgreSQL; `policy-ledger init` creates it when missing.",
    )
    checkpoint_file: Path | None = Field(
        default=None,
        description="Also append every checkpoint of the ledger's heads to this file (JSON "
        "lines), outside the store; `verify` reads it beside the store's own trail.",
    )
    cors_origins: list[Origin] = Field(
        default_factory=list,
        max_length=100,
        description="Origins (scheme://host[:port]) whose browser scripts may call the API "
        "(CORS), as a JSON list; none by default: CORS off.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="Log lines: one JSON object each, or plain text."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Least severe level written."
    )
    access_log: bool = Field(
        default=True, description="One log line per HTTP request (method, path, status, time)."
    )
    ready_max_lag: int = Field(
        default=100,
        ge=0,
        description="GET /health answers 503 while the read model is more events behind the "
        "log than this (and catches up in the background meanwhile).",
    )
    projector_poll_seconds: float = Field(
        default=1.0,
        ge=0.05,
        le=60,
        description="run-projections: how often a standby tries the lock, and the active "
        "projector looks for writes besides PostgreSQL's notifications.",
    )
    freshness: Literal["head", "notify"] = Field(
        default="head",
        description="PostgreSQL: how a read learns of writes made by other processes. "
        "`head`: it asks for the log's head (one round trip per read; every write committed "
        "before the read is seen). `notify`: by the event store's NOTIFY, no round trip "
        "(a write elsewhere is seen once its notification arrives; a read carrying the "
        "write's `min_position` sees it for certain).",
    )
    shutdown_timeout: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="serve: on SIGTERM, seconds in-flight requests get to finish before "
        "their connections are closed.",
    )
