"""A reorg to a shorter chain (evm_snapshot/evm_revert on anvil) under the relay and the
indexer: the reports it removed go back in the queue and are booked again, each exactly
once, and SQL ends equal to the chain."""

from __future__ import annotations

import time
from pathlib import Path

from ledger.client import Ledger
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from oracle.outbox import OutboxState
from oracle.service import Oracle, build_oracle
from tests.ledger.index import canonical
from tests.oracle.chain import world_and_config
from tests.oracle.faults import assert_booked_once


def rpc(ledger: Ledger, method: str, *params: object) -> object:
    return ledger.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def relay_next(oracle: Oracle) -> None:
    start = oracle.runtime.next_interval()
    oracle.runtime.process(start, now=start + 901)
    oracle.relay.step(oracle.config.station_id)


def follow_until_final(oracle: Oracle, ledger: Ledger, timeout_s: float = 60.0) -> float:
    """Step the relay on a chain that keeps making blocks; seconds until all is final."""
    t0 = time.monotonic()
    oracle.relay.step(oracle.config.station_id)  # a step also finds final reports now gone
    while oracle.outbox.pending(oracle.config.station_id):
        assert time.monotonic() - t0 < timeout_s, "reports still pending"
        rpc(ledger, "anvil_mine", "0x1")
        oracle.relay.step(oracle.config.station_id)
    return time.monotonic() - t0


def test_reports_a_reorg_removed_are_sent_again_and_sql_follows_the_chain(
    ledger: Ledger, tmp_path: Path
) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=12)
    oracle = build_oracle(config, ledger.settings.model_copy(update={"confirmations": 3}))
    assert oracle.relay.confirmations == 3
    engine = make_engine("sqlite://")
    indexer = Indexer(ledger, engine)
    for _ in range(4):
        relay_next(oracle)
    rpc(ledger, "anvil_mine", "0x2")
    oracle.relay.step(station)
    snap = rpc(ledger, "evm_snapshot")
    fork = ledger.w3.eth.block_number
    for _ in range(8):  # one transaction, one block each
        relay_next(oracle)
    oracle.relay.step(station)  # the finality check runs at the start of a step
    # Final at depth 3 means the last two are mined but not confirmed.
    assert [r.state for r in oracle.outbox.rows(station)] == [OutboxState.CONFIRMED] * 10 + [
        OutboxState.INCLUDED
    ] * 2
    indexer.run_once()
    assert len(canonical.sql_reports(engine, station)) == 12

    rpc(ledger, "evm_revert", snap)  # 8 blocks shorter: six confirmed and two included gone
    t0 = time.monotonic()
    assert ledger.w3.eth.block_number == fork
    indexer.run_once()
    assert canonical.sql_reports(engine, station) == canonical.chain_reports(ledger, station)
    assert len(canonical.sql_reports(engine, station)) == 4
    follow_until_final(oracle, ledger)
    recovered_s = time.monotonic() - t0
    print(f"reorg of 8 blocks under the relay: re-booked and final in {recovered_s:.2f} s")
    assert oracle.relay.rebroadcasts == 8  # each lost transaction sent again, as signed
    assert_booked_once(ledger, oracle, 12, engine)


def test_after_a_reorg_a_restarted_oracle_books_what_its_outbox_called_confirmed(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The default depth (ESSL_CONFIRMATIONS=0): every mined report is called confirmed at
    once, and a reorg deeper than that still puts the removed ones back in the queue."""
    _, station, config = world_and_config(ledger, tmp_path, intervals=6)
    oracle = build_oracle(config, ledger.settings)
    for _ in range(2):
        relay_next(oracle)
    snap = rpc(ledger, "evm_snapshot")
    for _ in range(4):
        relay_next(oracle)
    assert [r.state for r in oracle.outbox.rows(station)] == [OutboxState.CONFIRMED] * 6
    rpc(ledger, "evm_revert", snap)

    restarted = build_oracle(config, ledger.settings)
    t0 = time.monotonic()
    follow_until_final(restarted, ledger)
    print(f"reorg of 4 blocks, restarted oracle: re-booked in {time.monotonic() - t0:.2f} s")
    assert restarted.relay.rebroadcasts == 4
    assert_booked_once(ledger, restarted, 6)
