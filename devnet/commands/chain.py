"""`essl devnet ...` and `essl deploy`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from devnet.anvil import DEFAULT_PORT, Devnet
from devnet.commands.common import RpcOption, out, settings_with
from ledger.settings import get_settings

devnet_app = typer.Typer(help="Run a local anvil devnet in the background.", no_args_is_help=True)


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
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDR",
            help="Address to listen on: 127.0.0.1 keeps the devnet on this machine; this "
            "machine's LAN address (or 0.0.0.0) lets other machines join a shared devnet.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Start anvil from node_modules in the background and wait until it answers."""
    settings = get_settings()
    rec = Devnet(settings.state_dir).up(
        port=port,
        hardfork=hardfork or settings.evm_version,
        block_time=block_time,
        state=state,
        host=host,
    )
    out.print(f"devnet running: {rec.url} (pid {rec.pid}, hardfork {rec.hardfork})")
    if host != "127.0.0.1":
        out.print(
            f"shared on {host}:{rec.port}: other machines set ESSL_RPC_URL=http://<this "
            f"machine's address>:{rec.port}; fund their accounts with `essl devnet fund ADDRESS`",
            soft_wrap=True,
        )


@devnet_app.command("fund")
def devnet_fund(
    address: Annotated[str, typer.Argument(help="The account to fund (0x...).")],
    eth: Annotated[float, typer.Option(help="How much ETH to send.")] = 10.0,
    rpc: RpcOption = None,
) -> None:
    """Faucet for participants and regulators joining the devnet: send ETH from the devnet's
    funded key (ESSL_PRIVATE_KEY, else anvil key 0). Refused on any chain but the devnet."""
    from web3 import Web3

    from devnet.faucet import fund
    from ledger.tx import connect

    settings = settings_with(rpc)
    w3 = connect(settings.rpc_url)
    if not Web3.is_address(address):
        raise typer.BadParameter(f"{address!r} is not a 0x address", param_hint="ADDRESS")
    if eth <= 0:
        raise typer.BadParameter("must be more than 0", param_hint="--eth")
    tx_hash, balance = fund(w3, settings, Web3.to_checksum_address(address), eth)
    out.print(
        f"sent {eth:g} ETH to {address} (tx {tx_hash}); balance now {balance:g} ETH",
        soft_wrap=True,
    )


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


def deploy(
    rpc: RpcOption = None,
    force: Annotated[bool, typer.Option(help="Deploy anew even if a deployment matches.")] = False,
) -> None:
    """Deploy the contract suite and write deployments/<chainId>.json (reused when unchanged)."""
    from ledger.client import tx_manager
    from ledger.compile import compile_suite
    from ledger.deploy import deploy_suite, deployment_path
    from ledger.setup import configure_suite
    from ledger.tx import connect

    settings = settings_with(rpc)
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    tx = tx_manager(connect(settings.rpc_url), build, settings)
    dep = deploy_suite(
        tx, build, settings.deployments_dir, force=force, after_deploy=configure_suite
    )
    word = "reused" if dep.reused else "deployed"
    path = deployment_path(settings.deployments_dir, dep.chain_id)
    out.print(f"{word} on chain {dep.chain_id}: {path}")
    for name, c in dep.contracts.items():
        out.print(f"  {name:<18} {c.address}")


def abi(
    check: Annotated[
        bool, typer.Option("--check", help="Only compare; exit 1 naming what differs.")
    ] = False,
) -> None:
    """Write abi/<Contract>.json for every suite contract from the sources (what ethers, viem
    and cast users load), or check that the committed files match them."""
    from ledger.compile import compile_suite
    from ledger.publish import ABI_DIR, abi_drift, export_abis

    settings = get_settings()
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    if check:
        drift = abi_drift(build)
        for line in drift:
            out.print(f"{ABI_DIR.name}/{line}")
        if drift:
            out.print("run `essl abi` to rewrite them")
            raise typer.Exit(1)
        out.print(f"{ABI_DIR.name}/ matches the contracts")
        return
    for path in export_abis(build):
        out.print(f"wrote {ABI_DIR.name}/{path.name}")
