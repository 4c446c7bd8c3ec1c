"""API settings from ESSL_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESSL_", extra="ignore")

    database_url: str = "sqlite:///.essl/ledger.sqlite"
    archive_dir: Path = Path(".essl/archive")
    host: str = "127.0.0.1"
    api_port: int = 8000
    index_every_s: float = 2.0
    run_indexer: bool = True


@lru_cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
