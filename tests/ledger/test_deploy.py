import json
import time
from pathlib import Path

import pytest

from devnet.anvil import free_port, start_anvil
from ledger.client import Ledger, open_ledger, tx_manager
from ledger.compile import Build
from ledger.deploy import deploy_suite, deployment_path, mismatch
from ledger.errors import DeploymentGone
from ledger.settings import LedgerSettings
from ledger.setup import configure_suite, open_or_deploy


def test_deploy_writes_the_deployment_file_and_reuses_it(
    ledger: Ledger, build: Build, session_settings: LedgerSettings, tmp_path
) -> None:
    tx = tx_manager(ledger.w3, build, session_settings)
    first = deploy_suite(tx, build, tmp_path, after_deploy=configure_suite)
    assert not first.reused
    assert set(first.contracts) == {
        "Registry",
        "EmissionFactors",
        "StorageLedger",
        "CarbonCredits",
        "SettlementAnchor",
        "BatteryPassports",
    }
    recorded = json.loads(deployment_path(tmp_path, first.chain_id).read_text())
    assert recorded["source_hash"] == build.source_hash
    assert recorded["compiler"].startswith("0.8.")
    assert recorded["contracts"]["Registry"]["address"] == first.address("Registry")

    again = deploy_suite(tx, build, tmp_path, after_deploy=configure_suite)
    assert again.reused
    assert again.address("StorageLedger") == first.address("StorageLedger")


def test_deploy_again_when_the_recorded_code_is_gone(
    ledger: Ledger, build: Build, session_settings: LedgerSettings, tmp_path
) -> None:
    tx = tx_manager(ledger.w3, build, session_settings)
    first = deploy_suite(tx, build, tmp_path)
    data = json.loads(deployment_path(tmp_path, first.chain_id).read_text())
    data["contracts"]["Registry"]["address"] = "0x" + "00" * 19 + "01"  # no code there
    deployment_path(tmp_path, first.chain_id).write_text(json.dumps(data))
    again = deploy_suite(tx, build, tmp_path)
    assert not again.reused


def test_default_factor_dataset_is_registered_at_deploy(ledger: Ledger) -> None:
    factors = ledger.contract("EmissionFactors")
    assert factors.functions.latestVersion().call() >= 1
    _version, grams = factors.functions.currentFactor(b"CN-QH".ljust(32, b"\0")).call()
    assert grams == 156_700


def test_a_record_of_another_chain_with_the_same_id_and_addresses_is_refused_or_replaced(
    build: Build, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    """Two fresh devnets (chain 31337 both) give the suite the same addresses: only the genesis
    and deploy block hashes tell the record of the first from the second chain."""
    urls = []
    procs = []
    try:
        for n in range(2):
            if n:
                time.sleep(1.1)  # anvil's genesis carries its start second
            port = free_port()
            procs.append(start_anvil(port, log=tmp_path / f"anvil{n}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        records = [tmp_path / "first", tmp_path / "second"]
        deployed = []
        for url, records_dir in zip(urls, records, strict=True):
            settings = session_settings.model_copy(
                update={"rpc_url": url, "deployments_dir": records_dir}
            )
            deployed.append(open_or_deploy(settings).deployment)
        assert deployed[0].address("StorageLedger") == deployed[1].address("StorageLedger")

        # The first chain's record, read against the second chain.
        on_second = session_settings.model_copy(
            update={"rpc_url": urls[1], "deployments_dir": records[0]}
        )
        with pytest.raises(DeploymentGone, match="genesis block differs"):
            open_ledger(on_second)
        replaced = open_or_deploy(on_second).deployment
        assert replaced.genesis_hash == deployed[1].genesis_hash
        assert not replaced.reused
        assert open_ledger(on_second).deployment.deploy_block == replaced.deploy_block
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def test_a_record_whose_deploy_block_was_replaced_is_refused(
    ledger: Ledger, build: Build, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    tx = tx_manager(ledger.w3, build, session_settings)
    first = deploy_suite(tx, build, tmp_path)
    assert mismatch(ledger.w3, first) is None
    data = json.loads(deployment_path(tmp_path, first.chain_id).read_text())
    data["deploy_block_hash"] = "0x" + "ab" * 32
    deployment_path(tmp_path, first.chain_id).write_text(json.dumps(data))
    settings = session_settings.model_copy(update={"deployments_dir": tmp_path})
    with pytest.raises(DeploymentGone, match=f"block {first.deploy_block}"):
        open_ledger(settings)
