"""Time to recover from chain faults, each on a London anvil of its own (seconds):

- node_outage_60s / node_outage_5s: anvil stopped just after a report transaction was
  broadcast, down 60 s (5 s), restarted from its state file without its transaction pool
  (a block a second): from the restart to the lost report booked. The relay's backoff while
  the node was down is part of it.
- reorg_8_blocks: `evm_revert` of 8 blocks (to a shorter chain) under a relay at confirmation
  depth 3, a block per relay step: from the revert to every removed report final again.
- index_rewind: the indexer's pass right after that reorg (rewind to the common ancestor).
- kill9_restart: `essl oracle run --once` killed (-9) just after it recorded a report
  transaction, then started again: from the restart to its next confirmation, process
  start-up included.

Each figure is the average over its samples with the worst beside it."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from web3.exceptions import TransactionNotFound

from bench.chain import bench_chain
from devnet.anvil import RestartableNode
from devnet.oracle_config import demo_oracle_config, to_toml
from devnet.world import demo_world, register_world
from ledger.client import Ledger, tx_manager
from ledger.compile import compile_suite
from ledger.db import make_engine
from ledger.deploy import deploy_suite
from ledger.index.indexer import Indexer
from ledger.settings import LedgerSettings
from ledger.setup import configure_suite
from ledger.tx import connect
from oracle.config import OracleConfig
from oracle.outbox import Outbox, OutboxReport, OutboxState
from oracle.relay import Confirmed
from oracle.service import Oracle, build_oracle

ESSL = str(Path(sys.executable).parent / "essl")


def _config(ledger: Ledger, state_dir: Path, intervals: int) -> OracleConfig:
    world = demo_world()
    station = register_world(ledger, world)
    return demo_oracle_config(
        world,
        station_id=station,
        rpc_url=ledger.settings.rpc_url,
        deployments_dir=ledger.settings.deployments_dir,
        state_dir=state_dir,
        intervals=intervals,
    )


def _relay_next(oracle: Oracle) -> None:
    start = oracle.runtime.next_interval()
    oracle.runtime.process(start, now=start + 901)
    oracle.relay.step(oracle.config.station_id)


def node_outage(outage_s: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        node = RestartableNode(Path(tmp) / "node")
        node.start()
        try:
            settings = LedgerSettings(rpc_url=node.url, deployments_dir=Path(tmp) / "deployments")
            build = compile_suite(evm_version="london")
            w3 = connect(node.url)
            tx = tx_manager(w3, build, settings)
            deployment = deploy_suite(
                tx, build, settings.deployments_dir, after_deploy=configure_suite
            )
            ledger = Ledger(w3, build, deployment, tx, settings)
            config = _config(ledger, Path(tmp) / "oracle", 6)
            node.mine_every(1)
            oracle = build_oracle(config, settings)
            station = config.station_id
            booked: dict[int, float] = {}

            def on_confirmed(_: OutboxReport, c: Confirmed) -> None:
                booked[c.interval_start] = time.monotonic()

            oracle.relay.on_confirmed = on_confirmed
            _relay_next(oracle)
            start = oracle.runtime.next_interval()
            oracle.runtime.process(start, now=start + 901)
            runner = threading.Thread(target=_drain_through, args=(oracle,), daemon=True)
            runner.start()  # sends the interval's report, then follows it through the outage
            while not any(_in_pool(w3, r) for r in oracle.outbox.rows(station)):
                time.sleep(0.002)
            node.stop()
            time.sleep(outage_s)
            node.start(block_time=1)
            restarted = time.monotonic()
            runner.join(timeout=300)
            assert oracle.relay.rebroadcasts >= 1, "the node did not lose the transaction"
            return booked[start] - restarted
        finally:
            node.stop()


def _in_pool(w3: Any, row: OutboxReport) -> bool:
    if row.state != OutboxState.SUBMITTED:
        return False
    try:
        return w3.eth.get_transaction(row.tx_hash)["blockNumber"] is None
    except TransactionNotFound:
        return False


def _drain_through(oracle: Oracle) -> None:
    station = oracle.config.station_id
    while oracle.outbox.pending(station):
        oracle.relay.step(station)
        time.sleep(0.05)


def reorgs(samples: int) -> tuple[list[float], list[float]]:
    relay_s, index_s = [], []
    with bench_chain() as ledger, tempfile.TemporaryDirectory() as tmp:
        config = _config(ledger, Path(tmp), 12 * samples)
        oracle = build_oracle(config, ledger.settings.model_copy(update={"confirmations": 3}))
        indexer = Indexer(ledger, make_engine("sqlite://"))
        rpc = ledger.w3.provider.make_request
        for _ in range(samples):
            for _ in range(4):
                _relay_next(oracle)
            snap = rpc("evm_snapshot", [])["result"]  # type: ignore[arg-type]
            for _ in range(8):
                _relay_next(oracle)
            indexer.run_once()
            rpc("evm_revert", [snap])  # type: ignore[arg-type]
            t0 = time.monotonic()
            indexer.run_once()
            index_s.append(time.monotonic() - t0)
            t0 = time.monotonic()
            oracle.relay.step(config.station_id)
            while oracle.outbox.pending(config.station_id):
                rpc("anvil_mine", ["0x1"])  # type: ignore[arg-type]
                oracle.relay.step(config.station_id)
            relay_s.append(time.monotonic() - t0)
    return relay_s, index_s


def kill9_restarts(samples: int) -> list[float]:
    """Kill the oracle when it records a transaction, start it again at once, and time from
    the restart to its next confirmation; the restarted process is the next one killed."""
    seconds = []
    with bench_chain() as ledger, tempfile.TemporaryDirectory() as tmp:
        config = _config(ledger, Path(tmp), 8 * samples)
        station = config.station_id
        path = Path(tmp) / "oracle.toml"
        path.write_text(to_toml(config))
        outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{station}.sqlite")
        proc = _oracle(path)
        for _ in range(samples):
            seen = {r.tx_hash for r in _rows(outbox, station)}
            while proc.poll() is None and not any(
                r.state == OutboxState.SUBMITTED and r.tx_hash not in seen
                for r in _rows(outbox, station)
            ):
                time.sleep(0.001)
            if proc.poll() is not None:
                break  # the run ended first: no more samples
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            done = sum(r.state == OutboxState.CONFIRMED for r in _rows(outbox, station))
            t0 = time.monotonic()
            proc = _oracle(path)
            while sum(r.state == OutboxState.CONFIRMED for r in _rows(outbox, station)) <= done:
                time.sleep(0.005)
            seconds.append(time.monotonic() - t0)
        proc.communicate(timeout=300)
        assert {r.state for r in outbox.rows(station)} == {OutboxState.CONFIRMED}
    return seconds


def _oracle(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ESSL, "oracle", "run", "--config", str(path), "--once"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _rows(outbox: Outbox, station: int) -> list[OutboxReport]:
    try:
        return outbox.rows(station)
    except Exception:  # the database is being written by the oracle: look again
        return []


def _figure(values: list[float]) -> dict[str, Any]:
    return {
        "avg": round(statistics.mean(values), 2),
        "worst": round(max(values), 2),
        "samples": len(values),
    }


def run(progress: bool = True) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    relay_s, index_s = reorgs(3)
    figures["reorg_8_blocks"] = _figure(relay_s)
    figures["index_rewind"] = _figure(index_s)
    if progress:
        print(f"reorg: relay {figures['reorg_8_blocks']}, indexer {figures['index_rewind']}")
    figures["kill9_restart"] = _figure(kill9_restarts(3))
    if progress:
        print(f"kill -9: {figures['kill9_restart']}")
    figures["node_outage_5s"] = _figure([node_outage(5.0) for _ in range(2)])
    if progress:
        print(f"node outage 5 s: {figures['node_outage_5s']}")
    figures["node_outage_60s"] = _figure([node_outage(60.0)])
    return figures
