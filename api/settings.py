"""API settings from ESSL_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Accepted only on the local devnet (chain 31337); api.auth.check_secret refuses it elsewhere.
DEVNET_API_SECRET = "essl-devnet-insecure-api-secret-do-not-use"
MIN_SECRET_CHARS = 32


class ApiSettings(BaseSettings):
    # hide_input_in_errors: a refused ESSL_API_SECRET must never be echoed in a traceback.
    model_config = SettingsConfigDict(env_prefix="ESSL_", extra="ignore", hide_input_in_errors=True)

    database_url: str = "sqlite:///.essl/ledger.sqlite"
    archive_dir: Path = Path(".essl/archive")
    host: str = "127.0.0.1"
    api_port: int = 8000
    index_every_s: float = 2.0
    run_indexer: bool = True
    connect_node: bool = True  # app_from_env: open the node at ESSL_RPC_URL
    # Sign-in (EIP-4361) and bearer tokens (JWT, HS256 with api_secret).
    api_secret: SecretStr = SecretStr(DEVNET_API_SECRET)
    auth_domain: str = "localhost:8000"  # the EIP-4361 domain and URI host
    challenge_ttl_s: int = 300
    token_ttl_s: int = 3600
    max_challenges_per_address: int = Field(default=5, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)  # larger request bodies get 413
    # Daily settlement job: settles yesterday (local UTC+8 day) for every station at this time.
    settle_daily: bool = False
    settle_hour: int = 0
    settle_minute: int = 30

    @field_validator("api_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(f"ESSL_API_SECRET needs at least {MIN_SECRET_CHARS} characters")
        return value


@lru_cache
def get_api_settings() -> ApiSettings:
    return ApiSettings()
