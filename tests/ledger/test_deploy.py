import json

from ledger.client import Ledger, tx_manager
from ledger.compile import Build
from ledger.deploy import deploy_suite, deployment_path
from ledger.settings import LedgerSettings
from ledger.setup import configure_suite


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
