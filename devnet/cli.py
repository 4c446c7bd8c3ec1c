"""The `essl` command line. It only wires commands to the layers below."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from devnet.anvil import DEFAULT_PORT, Devnet
from ledger.errors import LedgerError
from ledger.settings import LedgerSettings, get_settings

app = typer.Typer(
    help="ESS Ledger: a blockchain ledger for shared energy storage and carbon credits.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
devnet_app = typer.Typer(help="Run a local anvil devnet in the background.", no_args_is_help=True)
app.add_typer(devnet_app, name="devnet")

err = Console(stderr=True)
out = Console()

RpcOption = Annotated[
    str | None, typer.Option("--rpc", help="JSON-RPC URL of the chain (default: ESSL_RPC_URL).")
]


def settings_with(rpc: str | None = None) -> LedgerSettings:
    settings = get_settings()
    return settings.model_copy(update={"rpc_url": rpc}) if rpc else settings


@devnet_app.command("up")
def devnet_up(
    port: Annotated[int, typer.Option(help="TCP port for JSON-RPC.")] = DEFAULT_PORT,
    block_time: Annotated[
        float | None, typer.Option(help="Seconds per block (default: mine on each transaction).")
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="Load chain state from FILE and save it there on exit.")
    ] = None,
    hardfork: Annotated[
        str | None, typer.Option(help="EVM hardfork (default: the compiler's ESSL_EVM_VERSION).")
    ] = None,
) -> None:
    """Start anvil from node_modules in the background and wait until it answers."""
    settings = get_settings()
    rec = Devnet(settings.state_dir).up(
        port=port, hardfork=hardfork or settings.evm_version, block_time=block_time, state=state
    )
    out.print(f"devnet running: {rec.url} (pid {rec.pid}, hardfork {rec.hardfork})")


@devnet_app.command("down")
def devnet_down() -> None:
    """Stop the background devnet (saving its state when it was started with --state)."""
    rec = Devnet(get_settings().state_dir).down()
    out.print("devnet stopped" if rec else "no devnet was running")


@devnet_app.command("status")
def devnet_status() -> None:
    """Say whether the devnet runs, and where. Exits 1 when it is not running."""
    status, rec = Devnet(get_settings().state_dir).status()
    if status == "running" and rec is not None:
        out.print(f"running: {rec.url} (pid {rec.pid}, hardfork {rec.hardfork})")
        return
    if status == "dead" and rec is not None:
        out.print(f"dead: pid {rec.pid} on port {rec.port} no longer answers; see {rec.log}")
    else:
        out.print("stopped")
    raise typer.Exit(1)


@app.command()
def deploy(
    rpc: RpcOption = None,
    force: Annotated[bool, typer.Option(help="Deploy anew even if a deployment matches.")] = False,
) -> None:
    """Deploy the contract suite and write deployments/<chainId>.json (reused when unchanged)."""
    from ledger.compile import compile_suite
    from ledger.deploy import deploy_suite, deployment_path
    from ledger.setup import configure_suite
    from ledger.tx import connect

    settings = settings_with(rpc)
    from ledger.client import tx_manager

    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    tx = tx_manager(connect(settings.rpc_url), build, settings)
    dep = deploy_suite(
        tx, build, settings.deployments_dir, force=force, after_deploy=configure_suite
    )
    word = "reused" if dep.reused else "deployed"
    out.print(
        f"{word} on chain {dep.chain_id}: {deployment_path(settings.deployments_dir, dep.chain_id)}"
    )
    for name, c in dep.contracts.items():
        out.print(f"  {name:<18} {c.address}")


@app.command()
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of results.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the API after the run.")
    ] = True,
    port: Annotated[int, typer.Option(help="Devnet port when one must be started.")] = DEFAULT_PORT,
) -> None:
    """Start a devnet if none runs, deploy, run the demo world and print a summary."""
    from devnet.demo import run_demo

    result = run_demo(settings_with(), port=port, progress=None if as_json else err)
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    else:
        from devnet.demo import print_summary

        print_summary(result, out)
    if serve:
        from devnet.demo import serve_forever

        serve_forever(result, out if not as_json else err)


def main() -> None:
    try:
        app()
    except LedgerError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
