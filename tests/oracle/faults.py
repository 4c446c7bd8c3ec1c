"""Shared pieces of the fault tests: a node that can be stopped and restarted from its state
file on the same port, and the check that every interval is booked exactly once, with SQL
equal to the chain and no Wh lost or counted twice."""

from __future__ import annotations

import multiprocessing
import subprocess
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from devnet.anvil import free_port, start_anvil, stop_process
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.storage import StorageLedgerClient
from oracle.outbox import CONFIRMED
from oracle.service import Oracle
from tests.ledger.index import canonical
from tests.oracle.chain import expected_counters


class StatefulNode:
    """An anvil of its own that keeps its chain in a state file across restarts (dumped
    on a clean stop; the transaction pool is not part of it)."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.state = root / "state.json"
        self.log = root / "anvil.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, block_time: float | None = None) -> None:
        self.proc = start_anvil(
            self.port, hardfork="london", block_time=block_time, state=self.state, log=self.log
        )

    def mine_every(self, seconds: int) -> None:
        """Switch the running node from mining on each transaction to a block every N s."""
        requests.post(
            self.url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "evm_setIntervalMining",
                "params": [seconds],
            },
            timeout=10,
        ).raise_for_status()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc.pid)
            self.proc.wait(timeout=10)
        self.proc = None


def assert_booked_once(
    ledger: Ledger, oracle: Oracle, intervals: int, engine: Engine | None = None
) -> None:
    """Every interval on the chain once (ReportAccepted, reportOf), none as a duplicate, the
    indexed SQL equal to the chain, and the participants' counters to the Wh."""
    station, config = oracle.config.station_id, oracle.config
    engine = engine or make_engine("sqlite://")
    Indexer(ledger, engine).run_once()
    on_chain = canonical.chain_reports(ledger, station)
    assert sorted(on_chain) == [config.start + i * 900 for i in range(intervals)]
    assert canonical.sql_reports(engine, station) == on_chain
    duplicates = (
        ledger.contract("StorageLedger")
        .events.ReportDuplicate()
        .get_logs(from_block=0, argument_filters={"stationId": station})
    )
    assert duplicates == []
    storage = StorageLedgerClient(ledger)
    charged = canonical.sql_charged(engine, station)
    for participant, (c, d) in expected_counters(ledger, config).items():
        account = storage.account_of(station, participant)
        assert (account.charged_wh, account.discharged_wh) == (c, d)
        assert charged.get(participant, 0) == c
    assert {r.state for r in oracle.outbox.rows(station)} == {CONFIRMED}


def run_oracle_cli(config_path: str) -> None:
    """`essl oracle run --config FILE --once` inside this process (a process target)."""
    from devnet.cli import app

    app(["oracle", "run", "--config", config_path, "--once"])


def oracle_starter() -> Any:
    """A process context whose children start with the oracle's modules already imported
    (a fork server), so a test can start and kill -9 many oracles in little time."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["devnet.cli", "oracle.service", "tests.oracle.faults"])
    return ctx
