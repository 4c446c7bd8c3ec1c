"""`essl oracle run|quarantine`: relay device readings on-chain, and inspect the rejects."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from devnet.commands.common import err, out

oracle_app = typer.Typer(
    help="The oracle: device readings -> signed interval reports on-chain.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path, typer.Option("--config", help="The oracle's TOML file (`essl demo` writes one).")
]


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


# One line per item (rich wraps them); escaped so [tables] are not read as markup.
RUN_EPILOG = escape(
    "Exit codes: 0 all good. 1 error at start (bad config, chain or MQTT broker unreachable). "
    "3 reports refused on-chain (outbox state failed, e.g. StorageLedgerLeaseExceeded). "
    "4 gave up: the same failure max_failures times in a row (e.g. a Modbus device that "
    "stopped answering), or the chain unreachable 20 times; a supervisor may restart it: the "
    "outbox resumes where it stopped.\n\n"
    "Top level: rpc_url, deployments_dir, data_dir, archive_dir, station_id, threshold, "
    "start (first interval, unix s), end, speed (simulated s per wall s; 0: unthrottled for "
    "simulator and replay, real time for live devices), exchange_url, clock_skew_s, "
    "soc_min_bps, soc_max_bps, max_failures (default 5).\n"
    "[[nodes]]: name, key_env or key (inline keys: devnet only).\n"
    "[[meters]]: device, participant, acc32 (only for devices that sign their own 32-bit "
    "counters).\n"
    "[[passports]]: device (a pack's BMS signer address), passport (its ISO/IEC 15459 id, "
    "installed on that BMS): after each UTC day the pack's signed health snapshot is "
    "anchored; refused snapshots exit 3 as reports do (docs/passport.md).\n"
    '[source] kind = "simulator": seed, bms_key, [[source.participants]] (address, role, '
    "lease_wh, rated_power_w, meter_key).\n"
    '[source] kind = "replay": path (.jsonl or .csv; a restart resumes at its checkpoint).\n'
    '[source] kind = "mqtt": url (mqtt://host:port), topic, grace_s.\n'
    '[source] kind = "modbus": period_s (poll period, default 10), timeout_s (default 2), '
    "grace_s (default 60: an interval closes at most this long after its end).\n"
    "[[source.devices]] (one per SunSpec device): host, port (502), unit_id (1), key_env or "
    "key (the gateway signing key; its address is the registered device), participant (the "
    "channel it meters; omit for the BMS), period_s, timeout_s (override the source's).\n"
    "Unknown keys are refused by name. docs/oracle.md has a complete Modbus example."
)


@oracle_app.command("run", epilog=RUN_EPILOG)
def run(
    config: ConfigOption,
    once: Annotated[bool, typer.Option(help="Process what is due, relay it, and exit.")] = False,
    verbose: Annotated[
        bool, typer.Option("-v", help="Log warnings, retries and each pack snapshot transaction.")
    ] = False,
) -> None:
    """Validate readings, agree on each interval's report (k of n nodes), archive the batch,
    and relay the signed report on-chain from the durable outbox. Safe to kill and restart.
    An interval without accepted readings is recorded as a gap with its reason."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from oracle.config import load_config
    from oracle.errors import GaveUp, RelayGaveUp
    from oracle.service import (
        EXIT_GAVE_UP,
        EXIT_OK,
        EXIT_REFUSED,
        FailureGuard,
        build_oracle,
        drain,
        pending_work,
        refused,
        refused_snapshots,
        run_guarded,
    )

    logging.basicConfig(level=logging.WARNING if verbose else logging.ERROR)
    if verbose:  # a batch of pack snapshots sent, and its gas per pack once confirmed
        logging.getLogger("essl.oracle.passport").setLevel(logging.INFO)
    cfg = load_config(config)
    oracle = build_oracle(cfg)
    guard = FailureGuard(cfg.max_failures)
    gave_up: list[str] = []

    def line(outcome, confirmed):  # type: ignore[no-untyped-def]
        if outcome.gap is not None:
            out.print(f"{_when(outcome.interval_start)}  gap: {outcome.gap}")
            return
        rows = {r.interval_start: r for r in oracle.outbox.rows(cfg.station_id)}
        row = rows.get(outcome.interval_start)
        tx = f"tx {row.tx_hash[:12]}… gas {row.gas_used}" if row and row.tx_hash else "queued"
        out.print(
            f"{_when(outcome.interval_start)}  readings ok {outcome.readings:5d} / "
            f"rejected {outcome.rejected:3d}  {tx}"
        )

    def day_line(outcome):  # type: ignore[no-untyped-def]
        day = _when(outcome.day * 86_400)[:10]
        if outcome.state == "gap":
            out.print(f"{day}  passport {outcome.passport_id}: no snapshot: {outcome.detail}")
        else:
            out.print(f"{day}  passport {outcome.passport_id}: snapshot signed ({outcome.detail})")

    def finished() -> bool:
        return cfg.end is not None and oracle.runtime.next_interval() >= cfg.end

    def step() -> bool:
        """One round; False when the run must stop (gave up)."""
        try:
            run_guarded(oracle, guard, on_interval=line, on_day=day_line)
        except (GaveUp, RelayGaveUp) as exc:
            gave_up.append(str(exc))
            return False
        return True

    def tick() -> None:
        if not step():
            scheduler.shutdown(wait=False)
        elif finished() and not pending_work(oracle):
            err.print(f"reached the configured end ({_when(cfg.end or 0)}); stopping")
            scheduler.shutdown(wait=False)

    scheduler = BlockingScheduler()
    try:
        if once or finished():
            while step() and guard.count:
                time.sleep(0.5)  # retry what failed, up to max_failures times
            if not gave_up:
                drain(oracle)
        else:
            interval_s = oracle.runtime.station.interval_s
            period = interval_s / cfg.speed if cfg.speed else 1.0
            scheduler.add_job(
                tick, "interval", seconds=max(period, 0.2), max_instances=1, coalesce=True
            )
            err.print(
                f"following the {interval_s} s grid (one interval every {period:.1f} s); "
                "Ctrl-C stops"
            )
            with contextlib.suppress(KeyboardInterrupt, SystemExit):
                scheduler.start()
    finally:
        oracle.close()
    if gave_up:
        err.print(f"[red]{gave_up[0]}[/red]")
        raise typer.Exit(EXIT_GAVE_UP)
    snapshots = refused_snapshots(oracle)
    if snapshots:
        first_snapshot = snapshots[0]
        err.print(
            f"[red]{len(snapshots)} pack snapshot(s) refused on-chain[/red] (state failed); "
            f"first passport {first_snapshot.passport_id} day {first_snapshot.day}: "
            f"{first_snapshot.last_error}"
        )
    failed = refused(oracle)
    if failed:
        first = failed[0]
        err.print(
            f"[red]{len(failed)} report(s) refused on-chain[/red] (outbox state failed); "
            f"first {_when(first.interval_start)}: {first.last_error}"
        )
        raise typer.Exit(EXIT_REFUSED)
    if snapshots:
        raise typer.Exit(EXIT_REFUSED)
    raise typer.Exit(EXIT_OK)


@oracle_app.command("quarantine")
def quarantine(
    config: ConfigOption,
    reason: Annotated[str | None, typer.Option(help="Only this reason code.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
) -> None:
    """List the readings the oracle rejected, with their reason codes."""
    from oracle.config import load_config
    from oracle.outbox import Outbox
    from oracle.quarantine import Quarantine

    cfg = load_config(config)
    outboxes = sorted(cfg.data_dir.glob(f"outbox-*-{cfg.station_id}.sqlite"))
    if not outboxes:
        out.print("no oracle data yet")
        return
    q = Quarantine(Outbox(outboxes[-1]).engine)
    counts = q.count_by_reason()
    out.print("rejected by reason: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "none"))
    table = Table("id", "received", "device", "seq", "reason", "detail")
    for row in q.list(station_id=None, reason=reason, limit=limit):
        table.add_row(
            str(row.id),
            str(row.received_at)[:19],
            (row.device or "?")[:12],
            str(row.seq),
            row.reason,
            row.detail[:60],
        )
    out.print(table)
