"""`essl curtailment attest|dispatch|show`: the grid operator attests which part of the
participants' charging in a booked interval came from curtailed renewables (emission factor 0);
the ledger adds those Wh at the interval's grid factor to their avoided emissions. Writes sign
with the grid operator's own key (--key-env or --keystore; it needs GRID_OPERATOR_ROLE)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from web3 import Web3

from devnet.commands.common import (
    DEFAULT_KEY_ENV,
    KeyEnvOption,
    KeystoreOption,
    RpcOption,
    err,
    out,
    settings_with,
    signing_ledger,
)
from ledger.storage import CurtailedCharge, StorageLedgerClient

curtailment_app = typer.Typer(
    help="Curtailment attestations by the grid operator: charging from curtailed renewables "
    "counts at emission factor 0. Attest after the oracle's report of the interval is booked; "
    "each station interval is attested once. attest and dispatch sign with the grid operator's "
    "own key (--key-env or --keystore; it needs GRID_OPERATOR_ROLE).",
    no_args_is_help=True,
)

TIME_HELP = "unix seconds or ISO 8601 with an offset, e.g. 2026-11-23T10:00+08:00"
StationOption = Annotated[int, typer.Option("--station", metavar="ID", help="Registry station id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def parse_time(text: str) -> int:
    """Unix seconds from `1795399200` or an ISO 8601 time with an offset (or Z)."""
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a time ({TIME_HELP})") from exc
    if when.tzinfo is None:
        raise typer.BadParameter(f"{text!r} has no UTC offset ({TIME_HELP})")
    return int(when.timestamp())


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _writer(rpc: str | None, key_env: str, keystore: Path | None) -> StorageLedgerClient:
    return StorageLedgerClient(signing_ledger(rpc, key_env, keystore))


def _attested(storage: StorageLedgerClient, tx_hash: str) -> list[dict[str, Any]]:
    """The CurtailmentAttested events of one attestation transaction."""
    from web3.logs import DISCARD

    receipt = storage.ledger.w3.eth.get_transaction_receipt(tx_hash)
    events = storage.contract.events.CurtailmentAttested().process_receipt(receipt, errors=DISCARD)
    return [
        {
            "participant": e["args"]["participant"],
            "curtailed_wh": int(e["args"]["curtailedWh"]),
            "grams_per_mwh": int(e["args"]["gramsPerMWh"]),
            "avoided_grams": int(e["args"]["avoidedGrams"]),
        }
        for e in events
    ]


def _print_interval(start: int, tx_hash: str, rows: list[dict[str, Any]], to: Any) -> None:
    to.print(f"{_when(start)} ({start}): attested in tx {tx_hash}")
    for r in rows:
        to.print(
            f"  {r['participant']}  {r['curtailed_wh']:>12,} Wh curtailed  "
            f"+{r['avoided_grams']:,} g avoided at {r['grams_per_mwh']:,} g/MWh"
        )


@curtailment_app.command("attest")
def attest(
    station: StationOption,
    interval: Annotated[
        str, typer.Option("--interval", metavar="TIME", help=f"The interval's start: {TIME_HELP}.")
    ],
    participant: Annotated[
        list[str],
        typer.Option(
            "--participant",
            metavar="ADDR",
            help="A curtailed participant; repeat with --wh for each.",
        ),
    ],
    wh: Annotated[
        list[int],
        typer.Option(
            "--wh",
            metavar="WH",
            help="Its curtailed Wh in the interval, at most what it charged there.",
        ),
    ],
    as_json: JsonOption = False,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Attest one booked interval: the given Wh of each participant's charging in it came from
    curtailed renewables. Checked against the interval's booked charge before anything is sent.

    Example: essl curtailment attest --station 1 --interval 2026-11-23T10:00+08:00
    --participant 0xA... --wh 4000000 --participant 0xB... --wh 2500000
    """
    from ledger.curtailment import attest as attest_interval

    if len(participant) != len(wh):
        raise typer.BadParameter(
            f"{len(participant)} --participant but {len(wh)} --wh: give one --wh per participant"
        )
    start = parse_time(interval)
    storage = _writer(rpc, key_env, keystore)
    charges = [
        CurtailedCharge(Web3.to_checksum_address(p), w)
        for p, w in zip(participant, wh, strict=True)
    ]
    tx_hash = attest_interval(storage, station, start, charges)
    rows = _attested(storage, tx_hash)
    if as_json:
        doc = {"station_id": station, "interval_start": start, "tx_hash": tx_hash, "charges": rows}
        out.print_json(json.dumps(doc))
        return
    _print_interval(start, tx_hash, rows, out)


def booked_starts(storage: StorageLedgerClient, station: int, start: int, end: int) -> list[int]:
    """The station's interval starts in [start, end) that have an accepted report."""
    from ledger.registry import RegistryClient

    s = RegistryClient(storage.ledger).station(station)
    step = s.interval_seconds
    first = start + (s.grid_start - start) % step
    return [t for t in range(first, end, step) if any(storage.report_of(station, t))]


@curtailment_app.command("dispatch")
def dispatch(
    station: StationOption,
    start: Annotated[
        str,
        typer.Option(
            "--from", metavar="TIME", help=f"Start of the dispatch (inclusive): {TIME_HELP}."
        ),
    ],
    end: Annotated[
        str,
        typer.Option("--to", metavar="TIME", help=f"End of the dispatch (exclusive): {TIME_HELP}."),
    ],
    participant: Annotated[
        list[str],
        typer.Option(
            "--participant", metavar="ADDR", help="A curtailed generator (repeat for several)."
        ),
    ],
    as_json: JsonOption = False,
    key_env: KeyEnvOption = DEFAULT_KEY_ENV,
    keystore: KeystoreOption = None,
    rpc: RpcOption = None,
) -> None:
    """Attest a curtailment dispatch: all charging of the named generators in every booked
    interval of [--from, --to) came from curtailed renewables. Intervals already attested, or
    where none of them charged, are skipped, so the command can be run again after more
    reports are booked.

    Example: essl curtailment dispatch --station 1 --from 2026-11-23T10:00+08:00
    --to 2026-11-23T16:00+08:00 --participant 0xA... --participant 0xB...
    """
    from ledger.curtailment import attest_dispatch

    first, stop = parse_time(start), parse_time(end)
    if stop <= first:
        raise typer.BadParameter(f"--to ({end}) must be after --from ({start})")
    storage = _writer(rpc, key_env, keystore)
    who = [Web3.to_checksum_address(p) for p in participant]
    progress = err if as_json else out
    starts = booked_starts(storage, station, first, stop)
    attested: list[dict[str, Any]] = []
    skipped = 0
    for t in starts:
        done = attest_dispatch(storage, station, [t], who)
        if not done:
            skipped += 1
            why = (
                "already attested"
                if storage.curtailment_attested(station, t)
                else "no charging by these participants"
            )
            progress.print(f"{_when(t)} ({t}): skipped, {why}")
            continue
        rows = _attested(storage, done[0].tx_hash)
        _print_interval(t, done[0].tx_hash, rows, progress)
        attested.append({"interval_start": t, "tx_hash": done[0].tx_hash, "charges": rows})
    totals: dict[str, dict[str, int]] = {}
    for item in attested:
        for r in item["charges"]:
            total = totals.setdefault(r["participant"], {"curtailed_wh": 0, "avoided_grams": 0})
            total["curtailed_wh"] += r["curtailed_wh"]
            total["avoided_grams"] += r["avoided_grams"]
    if as_json:
        doc = {
            "station_id": station,
            "from": first,
            "to": stop,
            "booked_intervals": len(starts),
            "attested_intervals": len(attested),
            "skipped_intervals": skipped,
            "totals": totals,
            "intervals": attested,
        }
        out.print_json(json.dumps(doc))
        return
    out.print(
        f"dispatch {_when(first)} .. {_when(stop)}: {len(starts)} booked intervals, "
        f"{len(attested)} attested, {skipped} skipped"
    )
    for who_, total in totals.items():
        out.print(
            f"  {who_}  {total['curtailed_wh']:>12,} Wh curtailed  "
            f"+{total['avoided_grams']:,} g avoided"
        )


@curtailment_app.command("show")
def show(
    station: StationOption,
    participant: Annotated[
        str, typer.Option("--participant", metavar="ADDR", help="The participant's address.")
    ],
    as_json: JsonOption = False,
    rpc: RpcOption = None,
) -> None:
    """Show a participant's cumulative charged and attested curtailed Wh, and its avoided
    emissions account (avoided, consumed by credits, un-issued)."""
    from ledger.client import open_ledger

    storage = StorageLedgerClient(open_ledger(settings_with(rpc)))
    who = Web3.to_checksum_address(participant)
    avoided = storage.avoided_of(station, who)
    data = {
        "station_id": station,
        "participant": who,
        "charged_wh": storage.account_of(station, who).charged_wh,
        "curtailed_wh": storage.curtailed_of(station, who),
        "avoided_grams": avoided.avoided_grams,
        "consumed_grams": avoided.consumed_grams,
        "unissued_grams": avoided.unissued_grams,
        "factor_version": avoided.factor_version,
    }
    if as_json:
        out.print_json(json.dumps(data))
        return
    for key, value in data.items():
        out.print(f"{key:>15}: {value}")
