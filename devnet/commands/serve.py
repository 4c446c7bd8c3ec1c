"""`essl index` and `essl api serve`: the read side."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from devnet.commands.common import RpcOption, err, out, settings_with

api_app = typer.Typer(help="The HTTP API over the indexed ledger.", no_args_is_help=True)


def index(
    rpc: RpcOption = None,
    once: Annotated[bool, typer.Option(help="Index up to the head and exit.")] = False,
    every: Annotated[float, typer.Option(help="Seconds between passes when following.")] = 2.0,
    confirmations: Annotated[int, typer.Option(help="Stay this many blocks behind the head.")] = 0,
) -> None:
    """Move contract events into SQL (ESSL_DATABASE_URL), following the chain; reorg-aware."""
    from ledger.client import open_ledger
    from ledger.db import make_engine
    from ledger.index.indexer import Indexer

    settings = settings_with(rpc)
    indexer = Indexer(
        open_ledger(settings), make_engine(settings.database_url), confirmations=confirmations
    )
    while True:
        run = indexer.run_once()
        note = f" (rewound to block {run.rewound_to} after a reorg)" if run.rewound_to else ""
        out.print(f"indexed blocks {run.from_block}..{run.to_block}: {run.events} events{note}")
        if once:
            return
        time.sleep(every)


@api_app.command("serve")
def serve(
    rpc: RpcOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    index: Annotated[
        bool,
        typer.Option(help="Connect to the node and run the indexer job (--no-index: read only)."),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes (PostgreSQL only): all serve requests, one at a time runs the "
            "indexer and the daily settlement job, and another takes over if it dies.",
        ),
    ] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs), indexing the chain in the background."""
    import os

    import uvicorn

    from api.app import create_app
    from api.settings import get_api_settings
    from ledger.client import open_ledger

    api_settings = get_api_settings()
    if not index:
        err.print("serving without the indexer: the tables only change when `essl index` runs")
    out.print(f"console on http://{host}:{port}/console (API docs at /docs)")
    if workers > 1:
        if api_settings.database_url.startswith("sqlite"):
            err.print("[red]error:[/red] --workers needs ESSL_DATABASE_URL on PostgreSQL")
            raise typer.Exit(2)
        # Each worker builds its app from the environment (api.app.app_from_env).
        if rpc:
            os.environ["ESSL_RPC_URL"] = rpc
        os.environ["ESSL_CONNECT_NODE"] = "true" if index else "false"
        uvicorn.run(
            "api.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
        return
    ledger = open_ledger(settings_with(rpc)) if index else None
    uvicorn.run(create_app(api_settings, ledger=ledger), host=host, port=port, log_level="info")
