"""What every command shares: consoles, the --rpc option, settings and error reporting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr
from rich.console import Console

from ledger.errors import SettingsError
from ledger.settings import LedgerSettings, get_settings

if TYPE_CHECKING:
    from ledger.client import Ledger

err = Console(stderr=True)
out = Console()

RpcOption = Annotated[
    str | None, typer.Option("--rpc", help="JSON-RPC URL of the chain (default: ESSL_RPC_URL).")
]


def recorded_address(settings: LedgerSettings, chain_id: int, contract: str, flag: str) -> str:
    """`contract`'s address from deployments/<chainId>.json, or an error naming `flag`."""
    from ledger.deploy import load_deployment
    from ledger.errors import DeploymentMissing

    deployment = load_deployment(settings.deployments_dir, chain_id)
    if deployment is None or contract not in deployment.contracts:
        raise DeploymentMissing(chain_id, f"{contract} (or pass {flag} ADDRESS)")
    return deployment.address(contract)


def settings_with(rpc: str | None = None) -> LedgerSettings:
    settings = get_settings()
    return settings.model_copy(update={"rpc_url": rpc}) if rpc else settings


DEFAULT_KEY_ENV = "ESSL_PRIVATE_KEY"

KeyEnvOption = Annotated[
    str,
    typer.Option(
        "--key-env",
        metavar="VAR",
        help="Name of the environment variable holding the signer's private key. With the "
        "default and nothing set, the devnet (chain 31337) falls back to anvil key 0; anvil "
        "keys are refused on any other chain.",
    ),
]
KeystoreOption = Annotated[
    Path | None,
    typer.Option(
        "--keystore",
        metavar="FILE",
        help="Encrypted keystore of the signer (password from ESSL_KEYSTORE_PASSWORD). "
        "Overrides --key-env.",
    ),
]


def signing_ledger(rpc: str | None, key_env: str, keystore: Path | None) -> Ledger:
    """The suite, signing as the chosen key (guarded: anvil keys only on chain 31337)."""
    from ledger.client import open_ledger

    settings = settings_with(rpc)
    if keystore is not None:
        settings = settings.model_copy(update={"keystore": keystore, "private_key": None})
    else:
        key = os.environ.get(key_env)
        if key is None and key_env != DEFAULT_KEY_ENV:
            raise SettingsError(key_env, "set it to the signer's private key or pass --keystore")
        secret = SecretStr(key) if key is not None else None
        settings = settings.model_copy(update={"private_key": secret, "keystore": None})
    return open_ledger(settings)  # open_ledger loads the key with load_account's chain guard
