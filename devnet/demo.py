"""The demo: a local devnet, the deployed suite and a shared station's day, end to end."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from devnet.anvil import Devnet, answers
from ledger.client import open_ledger
from ledger.settings import LedgerSettings


def ensure_chain(settings: LedgerSettings, port: int, progress: Console | None) -> LedgerSettings:
    """Use the configured node if it answers; otherwise start the background devnet."""
    if answers(settings.rpc_url):
        return settings
    if progress:
        progress.print(f"starting a devnet on port {port} ...")
    rec = Devnet(settings.state_dir).up(port=port, hardfork=settings.evm_version)
    return settings.model_copy(update={"rpc_url": rec.url})


def run_demo(settings: LedgerSettings, *, port: int, progress: Console | None) -> dict[str, Any]:
    settings = ensure_chain(settings, port, progress)
    if progress:
        progress.print("compiling and deploying the contract suite ...")
    ledger = open_ledger(settings, deploy_if_missing=True)
    return {
        "chain_id": ledger.chain_id,
        "rpc_url": settings.rpc_url,
        "deployment_reused": ledger.deployment.reused,
        "contracts": {n: c.address for n, c in ledger.deployment.contracts.items()},
    }


def print_summary(result: dict[str, Any], console: Console) -> None:
    console.print(f"chain {result['chain_id']} at {result['rpc_url']}")
    for name, address in result["contracts"].items():
        console.print(f"  {name:<18} {address}")


def serve_forever(result: dict[str, Any], console: Console) -> None:
    console.print(f"the devnet keeps running at {result['rpc_url']}; `essl devnet down` stops it")
