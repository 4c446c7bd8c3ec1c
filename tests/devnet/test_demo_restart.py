"""`make demo`, the devnet restarted without its state (`essl devnet down`, a reboot), then
`make demo` again: the second run sees that the recorded deployment, the oracle's outbox and
the index belong to the old chain, deploys anew and relays the whole day to the new chain."""

from __future__ import annotations

from pathlib import Path

from devnet.anvil import free_port, start_anvil
from devnet.demo import INTERVALS, run_demo
from ledger.settings import LedgerSettings


def test_the_demo_runs_again_after_the_devnet_restarts_without_state(tmp_path: Path) -> None:
    port = free_port()
    settings = LedgerSettings(
        rpc_url=f"http://127.0.0.1:{port}",
        state_dir=tmp_path / "state",
        deployments_dir=tmp_path / "deployments",
    )
    results = []
    for run in range(2):
        node = start_anvil(port, log=tmp_path / f"anvil-{run}.log")
        try:
            results.append(run_demo(settings, port=port, progress=None))
        finally:
            node.terminate()
            node.wait(timeout=10)
    first, second = results
    assert second["deployment_reused"] is False
    for result in results:
        assert result["trace_ok"] is True
        assert (result["intervals_on_chain"], result["rejected_readings"]) == (INTERVALS, 0)
    assert [p["charged_wh"] for p in second["participants"]] == [
        p["charged_wh"] for p in first["participants"]
    ]
    assert list((tmp_path / "state" / "oracle").glob("*.stale-*")), "old outbox kept aside"
