"""`essl station plan|apply|show`: onboard a station from a file and read it back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from devnet.commands.common import RpcOption, err, out, settings_with

station_app = typer.Typer(
    help="Onboard a station from a station file (devices, leases, oracle set, baselines), "
    "idempotently, and print one back.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path,
    typer.Argument(
        metavar="STATION.toml",
        help="The station file: [station], [roles], [oracle], [[devices]], [[leases]] and "
        "[signers] (docs/onboarding.md).",
    ),
]


def _plan(file: Path, rpc: str | None):  # type: ignore[no-untyped-def]
    from ledger.client import open_ledger
    from ledger.onboarding import plan
    from ledger.station_file import load_station_file

    spec = load_station_file(file)
    ledger = open_ledger(settings_with(rpc))
    return ledger, spec, plan(ledger, spec)


@station_app.command("plan")
def plan_command(file: FileArgument, rpc: RpcOption = None) -> None:
    """Print the writes that would bring the chain to FILE; send nothing."""
    _ledger, _spec, the_plan = _plan(file, rpc)
    out.print(the_plan.render(), markup=False, highlight=False, soft_wrap=True)


@station_app.command("apply")
def apply_command(
    file: FileArgument,
    rpc: RpcOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and stop (same as `plan`).")
    ] = False,
) -> None:
    """Print the plan, then send each write signed by the key of the party that owns it
    (admin, station operator, grid operator; from [signers], else ESSL_PRIVATE_KEY). A second
    apply of the same file sends nothing."""
    from ledger.onboarding import apply, signing_ledgers

    ledger, spec, the_plan = _plan(file, rpc)
    out.print(the_plan.render(), markup=False, highlight=False, soft_wrap=True)
    if dry_run or not the_plan.changes:
        return
    signers = signing_ledgers(ledger, spec)
    station_id = apply(
        the_plan,
        signers,
        on_change=lambda c: err.print(
            f"done {c.op} {c.what}", markup=False, highlight=False, soft_wrap=True
        ),
    )
    out.print(f"applied {len(the_plan.changes)} change(s); station id {station_id}")


@station_app.command("show")
def show(
    station_id: Annotated[int, typer.Argument(help="Registry id of the station.")],
    rpc: RpcOption = None,
) -> None:
    """Print the station as a station file (without [signers]), read from the chain."""
    import tomli_w

    from ledger.client import open_ledger
    from ledger.onboarding import describe

    data = describe(open_ledger(settings_with(rpc)), station_id)
    sys.stdout.write(tomli_w.dumps(data))
