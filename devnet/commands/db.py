"""`essl db upgrade`: schema migrations of the off-chain tables."""

from __future__ import annotations

from typing import Annotated

import typer

from devnet.commands.common import out

db_app = typer.Typer(help="The SQL database (ESSL_DATABASE_URL).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the off-chain tables (sign-in, settlement documents) to the newest revision.
    The event tables are rebuilt by re-indexing and need no migration."""
    from api.migrations import current
    from api.migrations import upgrade as run_upgrade
    from api.settings import get_api_settings

    url = get_api_settings().database_url
    run_upgrade(url, revision)
    out.print(f"database at revision {current(url)}")
