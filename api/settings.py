"""Configuration from the environment (prefix POLICY_LEDGER_) and an optional `.env` file."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POLICY_LEDGER_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = Field(
        default="sqlite:///./var/ledger.sqlite",
        description="sqlite:///path/to/file or postgresql://user[:password]@host[:port]/db"
        "[?schema=name]",
    )
    pool_size: int = Field(default=5, ge=1, le=100, description="PostgreSQL pool size.")
    aggregate_cache_size: int = Field(
        default=1000, ge=0, description="Country policies kept in memory by the writer."
    )
