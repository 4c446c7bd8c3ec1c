"""`essl settle ...`: register terms, run (settle + anchor + store), show, acknowledge, dispute
and finalize settlement statements. Each write signs with the acting party's own key
(--key-env or --keystore). Periods are local (UTC+8) days, written yyyymmdd."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session

from devnet.commands.common import (
    DEFAULT_KEY_ENV,
    KeyEnvOption,
    KeystoreOption,
    RpcOption,
    out,
    settings_with,
    signing_ledger,
)
from ledger.reasons import reason_hash, record_reason
from ledger.settlement import Statement, Terms
from ledger.settlement.anchor import SettlementAnchorClient, StatementState

settle_app = typer.Typer(
    help="Settlement statements (贡献度互认): an operator settles a station's local day from the "
    "indexed reports and anchors its Merkle root; each participant acknowledges or disputes its "
    "own line with its own key; after the window anyone finalizes.",
    no_args_is_help=True,
)

StationArg = Annotated[int, typer.Argument(help="Registry station id.")]
PeriodArg = Annotated[
    str, typer.Argument(help="Local (UTC+8) day: yyyymmdd (20261123) or YYYY-MM-DD.")
]
VersionOption = Annotated[
    int | None, typer.Option(help="Statement version (default: the latest stored).")
]
StatementOption = Annotated[
    Path | None,
    typer.Option(
        "--statement",
        metavar="FILE",
        help="Statement JSON (as `essl settle show --json` prints it under `statement`) when "
        "the database (ESSL_DATABASE_URL) is not at hand.",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def period_key(text: str) -> int:
    """yyyymmdd from `20261123` or `2026-11-23`."""
    try:
        if "-" in text:
            day = date.fromisoformat(text)
        else:
            day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a day (yyyymmdd or YYYY-MM-DD)") from exc
    return day.year * 10_000 + day.month * 100 + day.day


def _engine(rpc: str | None) -> Engine:
    from ledger.db import make_engine

    return make_engine(settings_with(rpc).database_url)


def _statement(
    rpc: str | None, station: int, period: int, version: int | None, path: Path | None
) -> tuple[int, Statement]:
    from ledger.settlement.runs import stored_statement

    if path is not None:
        doc = json.loads(path.read_text())
        return int(doc["version"]), Statement.from_json(json.dumps(doc["statement"]))
    with Session(_engine(rpc)) as session:
        return stored_statement(session, station, period, version)


@settle_app.command("terms")
def register_terms(
    terms_file: Annotated[Path, typer.Argument(help="Terms JSON (docs/settlement.md).")],
    station: StationArg,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Register a terms version's hash on-chain (station operator or admin) and store it."""
    from ledger.settlement.runs import ensure_terms

    terms = Terms.from_json(terms_file.read_text())
    sent = ensure_terms(signing_ledger(rpc, key_env, keystore), _engine(rpc), station, terms)
    note = "registered" if sent else "already registered; stored"
    out.print(f"terms v{terms.version} 0x{terms.hash.hex()} for station {station}: {note}")


@settle_app.command("run")
def run(
    station: StationArg,
    period: PeriodArg,
    terms_file: Annotated[
        Path | None, typer.Option("--terms", help="Terms JSON to register and apply.")
    ] = None,
    allow_partial: Annotated[
        bool, typer.Option(help="Settle even when interval reports are missing.")
    ] = False,
    index: Annotated[bool, typer.Option(help="Index the chain first.")] = True,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Settle a station's local day from the indexed reports, anchor it and store it.

    Signed by a grid operator or the station's operator. A run whose root is already anchored
    sends nothing; changed lines supersede a Pending or Disputed version.
    """
    from ledger.index.indexer import Indexer
    from ledger.settlement.runs import ensure_terms, settle_and_anchor

    key = period_key(period)
    ledger = signing_ledger(rpc, key_env, keystore)
    engine = _engine(rpc)
    if index:
        Indexer(ledger, engine).run_once()
    terms = None
    if terms_file is not None:
        terms = Terms.from_json(terms_file.read_text())
        ensure_terms(ledger, engine, station, terms)
    result = settle_and_anchor(
        ledger, engine, station, key, terms=terms, allow_partial=allow_partial
    )
    done = "already anchored" if result.reused else f"anchored in {result.tx_hash}"
    out.print(
        f"statement {station}/{key} v{result.version}: {len(result.statement.lines)} lines, "
        f"net {result.statement.totals.net} {result.statement.currency} minor units, "
        f"root {result.root}, {done}"
    )


@settle_app.command("show")
def show(
    station: StationArg,
    period: PeriodArg,
    version: VersionOption = None,
    as_json: JsonOption = False,
    rpc: RpcOption = None,
) -> None:
    """Print a stored statement (every line) with its on-chain state."""
    from ledger.client import open_ledger

    key = period_key(period)
    number, statement = _statement(rpc, station, key, version, None)
    anchor = SettlementAnchorClient(open_ledger(settings_with(rpc)))
    onchain = anchor.statement_of(station, key, number)
    if as_json:
        doc = {
            "station_id": station,
            "period": key,
            "version": number,
            "state": onchain.state.name.lower(),
            "deadline": onchain.deadline,
            "acknowledged": onchain.acknowledged_count,
            "disputed": onchain.disputed_count,
            "statement": json.loads(statement.to_json()),
        }
        out.print_json(json.dumps(doc))
        return
    table = Table(
        title=f"station {station}, {key}, v{number}: {onchain.state.name.lower()} "
        f"({statement.currency} minor units, Wh)"
    )
    for name in ("participant", "charged", "discharged", "lease", "throughput", "peak pay"):
        table.add_column(name, justify="left" if name == "participant" else "right")
    table.add_column("loss charge", justify="right")
    table.add_column("net", justify="right")
    table.add_column("response")
    for line in statement.lines:
        response = anchor.response_of(station, key, number, line.participant)
        table.add_row(
            f"{line.participant[:6]}…{line.participant[-4:]}",
            str(line.charged_wh),
            str(line.discharged_wh),
            str(line.lease_fee),
            str(line.throughput_fee),
            str(line.peak_pay),
            str(line.loss_charge),
            str(line.net),
            response.name.lower(),
        )
    t = statement.totals
    table.add_row(
        "TOTAL",
        str(t.charged_wh),
        str(t.discharged_wh),
        str(t.lease_fee),
        str(t.throughput_fee),
        str(t.peak_pay),
        str(t.loss_charge),
        str(t.net),
        "",
    )
    out.print(table)
    out.print(f"root 0x{statement.root.hex()}; full addresses and proofs with --json")


@settle_app.command("ack")
def ack(
    station: StationArg,
    period: PeriodArg,
    version: VersionOption = None,
    statement_file: StatementOption = None,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Acknowledge the signer's own line (proved against the anchored root)."""
    key = period_key(period)
    number, statement = _statement(rpc, station, key, version, statement_file)
    client = SettlementAnchorClient(signing_ledger(rpc, key_env, keystore))
    tx = client.acknowledge(statement, key, number)
    out.print(f"{client.ledger.tx.address} acknowledged {station}/{key} v{number} in {tx}")


@settle_app.command("dispute")
def dispute(
    station: StationArg,
    period: PeriodArg,
    reason: Annotated[str, typer.Option(help="Reason text; its keccak256 goes on-chain.")],
    version: VersionOption = None,
    statement_file: StatementOption = None,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Dispute the statement, proving the signer's own line; the reason's hash goes on-chain
    and its text is kept in the database's reason_texts (ESSL_DATABASE_URL), unless the
    statement came from --statement without ESSL_DATABASE_URL set."""
    key = period_key(period)
    number, statement = _statement(rpc, station, key, version, statement_file)
    client = SettlementAnchorClient(signing_ledger(rpc, key_env, keystore))
    if statement_file is None or os.environ.get("ESSL_DATABASE_URL"):
        engine = _engine(rpc)
        digest = record_reason(engine, reason)  # kept before sending: never a hash without text
        engine.dispose()
    else:
        digest = reason_hash(reason)
    tx = client.dispute(statement, key, number, digest)
    out.print(
        f"{client.ledger.tx.address} disputed {station}/{key} v{number} "
        f"(reason hash 0x{digest.hex()}) in {tx}"
    )


@settle_app.command("finalize")
def finalize(
    station: StationArg,
    period: PeriodArg,
    version: Annotated[
        int | None, typer.Option(help="Statement version (default: the latest anchored).")
    ] = None,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Close a statement after its dispute window (anyone): Final, or Disputed."""
    key = period_key(period)
    client = SettlementAnchorClient(signing_ledger(rpc, key_env, keystore))
    number = version or client.latest_version(station, key)
    outcome = client.finalize(station, key, number)
    follow = (
        " (anchor a corrected version with `essl settle run`)"
        if outcome is StatementState.DISPUTED
        else ""
    )
    out.print(f"statement {station}/{key} v{number} is {outcome.name.lower()}{follow}")
