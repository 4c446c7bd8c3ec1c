"""Three oracle nodes as separate processes, each with only its own key, meeting through a
shared exchange database: every interval reaches the chain once the threshold agrees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devnet.oracle_config import to_toml
from ledger.client import Ledger
from ledger.storage import StorageLedgerClient
from oracle.exchange import Exchange
from tests.oracle.chain import expected_counters, world_and_config

ESSL = str(Path(sys.executable).parent / "essl")
INTERVALS = 6


def test_three_separate_nodes_agree_through_the_exchange(ledger: Ledger, tmp_path: Path) -> None:
    _, station, config = world_and_config(ledger, tmp_path, intervals=INTERVALS)
    exchange_url = f"sqlite:///{tmp_path / 'exchange.sqlite'}"
    procs = []
    for i, node in enumerate(config.nodes):
        own = config.model_copy(
            update={
                "nodes": [node],
                "exchange_url": exchange_url,
                "data_dir": tmp_path / f"node{i}",
            }
        )
        path = tmp_path / f"node{i}.toml"
        path.write_text(to_toml(own))
        procs.append(
            subprocess.Popen(
                [ESSL, "oracle", "run", "--config", str(path), "--once"],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
            )
        )
    for proc in procs:
        output, _ = proc.communicate(timeout=180)
        assert proc.returncode == 0, output.decode()[-2000:]

    storage = StorageLedgerClient(ledger)
    for participant, (charged, discharged) in expected_counters(ledger, config).items():
        account = storage.account_of(station, participant)
        assert (account.charged_wh, account.discharged_wh) == (charged, discharged)
    assert storage.latest_interval(station)[0] == config.start + (INTERVALS - 1) * 900
    exchange = Exchange(exchange_url)
    for k in range(INTERVALS):
        posted = exchange.proposals(station, config.start + k * 900)
        assert len({p.signer for p in posted}) == 3 and len({p.digest for p in posted}) == 1
    # one designated submitter per interval: nobody sent an interval the chain already had
    ledger_contract = ledger.contract("StorageLedger")
    duplicates = ledger_contract.events.ReportDuplicate().get_logs(from_block=0)
    assert [e for e in duplicates if e["args"]["stationId"] == station] == []
