"""20 kill -9 of `essl oracle run` at random outbox states (just after an interval was signed
into the outbox, with a report transaction recorded but not yet mined, just after a
confirmation), each restart resuming the last: the chain ends with every interval booked
exactly once, the expected totals to the Wh, SQL equal to the chain, and no report ever
submitted twice. The killed processes run the `essl oracle run --once` command from a fork
server that has already imported it (start-up is most of the time of a run); the last run is
the installed `essl` command itself."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from devnet.oracle_config import to_toml
from ledger.client import Ledger
from oracle.outbox import Outbox, OutboxReport, OutboxState
from oracle.service import build_oracle
from tests.oracle.chain import world_and_config
from tests.oracle.faults import assert_booked_once, oracle_starter, run_oracle_cli

ESSL = str(Path(sys.executable).parent / "essl")
INTERVALS = 32
KILLS = 20
# Where a kill lands, by what the outbox shows: a new signed interval, a transaction
# recorded before (or just after) its broadcast, a new confirmation.
TARGETS = ("signed", "submitted", "confirmed")


def oracle_process(config_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [ESSL, "oracle", "run", "--config", str(config_path), "--once"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def outbox_rows(outbox: Outbox, station: int) -> list[OutboxReport] | None:
    try:
        return outbox.rows(station)
    except OperationalError:  # the killed writer left the database locked for a moment
        return None


def reached(target: str, rows: list[OutboxReport], before: list[OutboxReport]) -> bool:
    if target == "signed":
        return len(rows) > len(before)
    if target == "submitted":
        earlier = {
            (r.interval_start, r.tx_hash) for r in before if r.state == OutboxState.SUBMITTED
        }
        return any(
            r.state == OutboxState.SUBMITTED and (r.interval_start, r.tx_hash) not in earlier
            for r in rows
        )
    confirmed = sum(r.state == OutboxState.CONFIRMED for r in rows)
    return confirmed > sum(r.state == OutboxState.CONFIRMED for r in before)


def test_20_kill_9_at_random_outbox_states_lose_and_double_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=INTERVALS)
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config))
    rng = random.Random(20261201)
    outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{station}.sqlite")
    landed: dict[str, int] = dict.fromkeys(TARGETS, 0)
    starter = oracle_starter()
    for _ in range(KILLS):
        target = rng.choice(TARGETS)
        before = outbox_rows(outbox, station) or []
        proc = starter.Process(target=run_oracle_cli, args=(str(path),))
        proc.start()
        deadline = time.monotonic() + 30
        while proc.is_alive() and time.monotonic() < deadline:
            rows = outbox_rows(outbox, station)
            if rows is not None and reached(target, rows, before):
                break
            time.sleep(0.001)
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
            landed[target] += 1
        proc.join(timeout=30)
    t0 = time.monotonic()
    final = oracle_process(path)
    output, _ = final.communicate(timeout=240)
    assert final.returncode == 0, output.decode()[-2000:]
    print(f"kills landed {landed}; the last restart finished in {time.monotonic() - t0:.2f} s")
    assert sum(landed.values()) == KILLS, f"a run ended before its kill: {landed}"
    assert_booked_once(ledger, build_oracle(config, ledger.settings), INTERVALS)
