"""`essl oracle run|quarantine`: relay device readings on-chain, and inspect the rejects."""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
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


@oracle_app.command("run")
def run(
    config: ConfigOption,
    once: Annotated[bool, typer.Option(help="Process what is due, relay it, and exit.")] = False,
    verbose: Annotated[bool, typer.Option("-v", help="Log warnings and retries.")] = False,
) -> None:
    """Validate readings, agree on each interval's report (k of n nodes), archive the batch,
    and relay the signed report on-chain from the durable outbox. Safe to kill and restart."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from oracle.config import load_config
    from oracle.service import Clock, build_oracle, drain, run_due

    logging.basicConfig(level=logging.WARNING if verbose else logging.ERROR)
    cfg = load_config(config)
    oracle = build_oracle(cfg)
    clock = Clock(oracle.runtime.next_interval(), cfg.speed)

    def line(outcome, confirmed):  # type: ignore[no-untyped-def]
        rows = {r.interval_start: r for r in oracle.outbox.rows(cfg.station_id)}
        row = rows.get(outcome.interval_start)
        tx = f"tx {row.tx_hash[:12]}… gas {row.gas_used}" if row and row.tx_hash else "queued"
        out.print(
            f"{_when(outcome.interval_start)}  readings ok {outcome.readings:5d} / "
            f"rejected {outcome.rejected:3d}  {tx}"
        )

    def finished() -> bool:
        return cfg.end is not None and oracle.runtime.next_interval() >= cfg.end

    def tick() -> None:
        run_due(oracle, clock, on_interval=line)
        if finished() and not oracle.outbox.pending(cfg.station_id):
            err.print(f"reached the configured end ({_when(cfg.end or 0)}); stopping")
            scheduler.shutdown(wait=False)

    scheduler = BlockingScheduler()
    if once or finished():
        run_due(oracle, clock, on_interval=line)
        drain(oracle)
        return
    interval_s = oracle.runtime.station.interval_s
    period = interval_s / cfg.speed if cfg.speed else 1.0
    scheduler.add_job(tick, "interval", seconds=max(period, 0.2), max_instances=1, coalesce=True)
    err.print(
        f"following the {interval_s} s grid (one interval every {period:.1f} s); Ctrl-C stops"
    )
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


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
