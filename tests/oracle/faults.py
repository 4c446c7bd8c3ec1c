"""Shared pieces of the fault tests: the check that every interval is booked exactly once,
with SQL equal to the chain and no Wh lost or counted twice, and cheap oracle processes to
kill."""

from __future__ import annotations

import multiprocessing
from typing import Any

from sqlalchemy import Engine

from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.storage import StorageLedgerClient
from oracle.outbox import OutboxState
from oracle.service import Oracle
from tests.ledger.index import canonical
from tests.oracle.chain import expected_counters


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
    assert {r.state for r in oracle.outbox.rows(station)} == {OutboxState.CONFIRMED}


def run_oracle_cli(config_path: str) -> None:
    """`essl oracle run --config FILE --once` inside this process (a process target)."""
    from devnet.cli import app

    app(["oracle", "run", "--config", config_path, "--once"])


def oracle_starter() -> Any:
    """A process context whose children start with the oracle's modules already imported
    (a fork server), so a test can start and kill -9 many oracles in little time."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(
        [
            "apscheduler.schedulers.blocking",
            "devnet.cli",
            "devnet.commands.oracle",
            "oracle.config",
            "oracle.service",
            "oracle.sources.simulator",
            "tests.oracle.faults",
        ]
    )
    return ctx
