"""Typed settings for the ledger client, read from ESSL_* environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

EVM_VERSIONS = ("london", "paris", "shanghai", "cancun", "prague")


class LedgerSettings(BaseSettings):
    """Where the chain is, who signs, and how contracts are built.

    `evm_version` defaults to london so the same bytecode runs on Energy Web (London-level)
    and on current Ethereum testnets; anvil is started with the matching hardfork."""

    model_config = SettingsConfigDict(env_prefix="ESSL_", extra="ignore")

    rpc_url: str = "http://127.0.0.1:8545"
    private_key: SecretStr | None = None
    keystore: Path | None = None
    keystore_password: SecretStr | None = None
    evm_version: str = "london"
    optimizer_runs: int = 200
    confirmations: int = 0
    receipt_timeout_s: float = 120.0
    state_dir: Path = Path(".essl")
    deployments_dir: Path = Path("deployments")
    database_url: str = ""  # default: sqlite:///<state_dir>/ledger.sqlite

    @model_validator(mode="after")
    def _database_in_state_dir(self) -> LedgerSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.state_dir / 'ledger.sqlite'}"
        return self


@lru_cache
def get_settings() -> LedgerSettings:
    return LedgerSettings()
