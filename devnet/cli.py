"""The `essl` command line. It only wires commands to the layers below."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

from devnet.anvil import DEFAULT_PORT
from devnet.commands import chain, credits, curtailment, db, oracle, serve, settle, station, verify
from devnet.commands.common import err, out, settings_with
from devnet.commands.passport import passport_app
from ledger.errors import LedgerError

app = typer.Typer(
    help="ESS Ledger: a blockchain ledger for shared energy storage and carbon credits.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(chain.devnet_app, name="devnet")
app.command()(chain.deploy)
app.command()(chain.abi)
app.command()(serve.index)
app.add_typer(serve.api_app, name="api")
app.add_typer(station.station_app, name="station")
app.add_typer(db.db_app, name="db")
app.add_typer(oracle.oracle_app, name="oracle")
app.add_typer(curtailment.curtailment_app, name="curtailment")
app.add_typer(credits.credits_app, name="credits")
app.add_typer(settle.settle_app, name="settle")
app.command()(verify.verify)
app.add_typer(passport_app, name="passport")


@app.command()
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of results.")
    ] = False,
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the API after the run.")
    ] = True,
    port: Annotated[int, typer.Option(help="Devnet port when one must be started.")] = DEFAULT_PORT,
) -> None:
    """Start a devnet if none runs, deploy, run the demo world and print a summary."""
    from devnet.demo import print_summary, run_demo, serve_forever

    result = run_demo(settings_with(), port=port, progress=None if as_json else err)
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    else:
        print_summary(result, out)
    if serve_api:
        serve_forever(result, err if as_json else out)


def main() -> None:
    try:
        app()
    except LedgerError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
