"""kill -9 of `essl oracle run` at random points, then restart: the chain ends with exactly
the expected totals, and no report was ever submitted twice."""

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
from ledger.storage import StorageLedgerClient
from oracle.outbox import Outbox
from tests.oracle.chain import expected_counters, world_and_config

ESSL = str(Path(sys.executable).parent / "essl")
INTERVALS = 24


def oracle_process(config_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [ESSL, "oracle", "run", "--config", str(config_path), "--once"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def outbox_rows(outbox: Outbox, station: int) -> int:
    try:
        return len(outbox.rows(station))
    except OperationalError:  # the killed writer left the database locked for a moment
        return 0


def test_kill_9_at_random_points_then_restart_loses_and_doubles_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=INTERVALS)
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config))
    rng = random.Random(20261124)
    outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{station}.sqlite")
    mid_run_kills = 0
    for _ in range(4):
        # Kill when the outbox has reached a random point of the run (polled every 5 ms), so
        # the kill lands mid-run however fast or slow this machine is.
        target = rng.randint(1, INTERVALS - 2)
        proc = oracle_process(path)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if outbox_rows(outbox, station) >= target:
                break
            time.sleep(0.005)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            mid_run_kills += 0 < outbox_rows(outbox, station) < INTERVALS
        proc.wait(timeout=30)
    final = oracle_process(path)
    output, _ = final.communicate(timeout=240)
    assert final.returncode == 0, output.decode()[-2000:]
    assert mid_run_kills >= 1, "no kill landed in the middle of a run"

    storage = StorageLedgerClient(ledger)
    for participant, (charged, discharged) in expected_counters(ledger, config).items():
        account = storage.account_of(station, participant)
        assert (account.charged_wh, account.discharged_wh) == (charged, discharged)
    assert storage.latest_interval(station)[0] == config.start + (INTERVALS - 1) * 900

    ledger_contract = ledger.contract("StorageLedger")
    accepted = ledger_contract.events.ReportAccepted().get_logs(from_block=0)
    duplicates = ledger_contract.events.ReportDuplicate().get_logs(from_block=0)
    mine = [e for e in accepted if e["args"]["stationId"] == station]
    assert len(mine) == INTERVALS
    assert [e for e in duplicates if e["args"]["stationId"] == station] == []
