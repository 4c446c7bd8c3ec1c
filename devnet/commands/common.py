"""What every command shares: consoles, the --rpc option, settings and error reporting."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ledger.settings import LedgerSettings, get_settings

err = Console(stderr=True)
out = Console()

RpcOption = Annotated[
    str | None, typer.Option("--rpc", help="JSON-RPC URL of the chain (default: ESSL_RPC_URL).")
]


def settings_with(rpc: str | None = None) -> LedgerSettings:
    settings = get_settings()
    return settings.model_copy(update={"rpc_url": rpc}) if rpc else settings
