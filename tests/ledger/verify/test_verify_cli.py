"""`essl verify` as a regulator runs it (the real executable): a credit with real lineage
verifies; a changed reading, a deleted batch file, a device key swapped in the archive and a
different chain each exit 1 naming what failed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from bench.chain import bench_chain
from ledger.client import Ledger
from ledger.readings import DeviceDomain, SignedReading, address_of, sign_reading
from ledger.reports import participant_records
from ledger.settings import LedgerSettings
from tests.ledger.verify.conftest import CreditWorld

ESSL = str(Path(sys.executable).parent / "essl")


def essl_verify(
    cw: CreditWorld,
    archive: Path,
    *args: str,
    rpc: str | None = None,
    deployments: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    settings = cw.ledger.settings
    env = {
        **os.environ,
        "ESSL_DEPLOYMENTS_DIR": str(deployments or settings.deployments_dir),
        "ESSL_STATE_DIR": str(archive.parent),
    }
    return subprocess.run(
        [
            ESSL,
            "verify",
            str(cw.token_id),
            "--rpc",
            rpc or settings.rpc_url,
            "--archive",
            str(archive),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def archive_copy(cw: CreditWorld, tmp_path: Path) -> Path:
    target = tmp_path / "archive"
    shutil.copytree(cw.archive, target)
    return target


def backing_batches(cw: CreditWorld, archive: Path) -> list[Path]:
    """The batch files of the reports that booked the credit's participant (reports are
    sparse: an interval where its counters did not move has no record of it), from the chain."""
    holder = cw.world.participants[0].address
    logs = (
        cw.ledger.contract("StorageLedger")
        .events.ReportAccepted()
        .get_logs(from_block=0, argument_filters={"stationId": cw.station})
    )
    return sorted(
        archive / f"0x{bytes(e['args']['readingsRoot']).hex()}.json"
        for e in logs
        if any(
            r.participant == holder for r in participant_records(bytes(e["args"]["participants"]))
        )
    )


def rewrite(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_verify_passes_and_lists_the_retirement(credit_world: CreditWorld, tmp_path: Path) -> None:
    result = essl_verify(credit_world, archive_copy(credit_world, tmp_path), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["ok"] and verdict["failures"] == []
    assert verdict["facts"]["credit"]["issued"] == credit_world.units
    backing = backing_batches(credit_world, credit_world.archive)
    assert len(backing) >= 10
    assert verdict["checks"]["batches"] == len(backing) and verdict["checks"]["readings"] > 2000
    assert verdict["checks"]["oracle_signatures"] >= 2 * verdict["checks"]["reports"]
    (retirement,) = verdict["retirements"]
    assert retirement["amount"] == 5 and retirement["purpose"] == "voluntary offset"
    text = essl_verify(credit_world, archive_copy(credit_world, tmp_path / "b"))
    assert text.returncode == 0 and "VERIFIED credit" in text.stdout


def test_one_changed_reading_fails_its_batch_and_names_the_reading(
    credit_world: CreditWorld, tmp_path: Path
) -> None:
    archive = archive_copy(credit_world, tmp_path)
    target = backing_batches(credit_world, archive)[3]

    def bump(document: dict[str, Any]) -> None:
        document["readings"][17]["dischargedWh"] += 1

    rewrite(target, bump)
    result = essl_verify(credit_world, archive)
    assert result.returncode == 1, result.stdout
    assert "FAILED credit" in result.stdout
    assert f"batch {target.stem[:10]}" in result.stdout
    assert "reading 17 (device" in result.stdout
    assert "[batch_root]" in result.stdout and "[device_signature]" in result.stdout


def test_a_deleted_batch_file_is_named(credit_world: CreditWorld, tmp_path: Path) -> None:
    archive = archive_copy(credit_world, tmp_path)
    victim = backing_batches(credit_world, archive)[0]
    victim.unlink()
    result = essl_verify(credit_world, archive, "--json")
    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert verdict["failed_checks"] == ["batch_missing"]
    (failure,) = verdict["failures"]
    assert failure["item"].startswith(f"batch {victim.stem[:10]}")
    assert "missing from the archive" in failure["reason"]


def test_a_device_key_replaced_in_the_archive_is_named(
    credit_world: CreditWorld, tmp_path: Path
) -> None:
    """A reading re-signed by an impostor key that it also names as its device: its signature
    is valid, but the key is not the station's registered device and the root changes."""
    archive = archive_copy(credit_world, tmp_path)
    target = backing_batches(credit_world, archive)[5]
    impostor = bytes.fromhex("42" * 32)
    ledger = credit_world.ledger
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))

    def resign(document: dict[str, Any]) -> None:
        data = document["readings"][2]
        data["device"] = address_of(impostor)
        signed = SignedReading.from_dict(data)
        document["readings"][2] = sign_reading(signed.reading, impostor, domain).to_dict()

    rewrite(target, resign)
    result = essl_verify(credit_world, archive, "--json")
    assert result.returncode == 1
    verdict = json.loads(result.stdout)
    assert set(verdict["failed_checks"]) == {"batch_root", "device_key"}
    keys = [f for f in verdict["failures"] if f["check"] == "device_key"]
    assert keys[0]["item"].endswith(f"device {address_of(impostor).lower()}")
    assert "no registered device key of station" in keys[0]["reason"]


@pytest.fixture(scope="module")
def other_chain() -> Iterator[Ledger]:
    with bench_chain() as ledger:
        yield ledger


def test_a_different_chain_fails(
    credit_world: CreditWorld, other_chain: Ledger, tmp_path: Path
) -> None:
    archive = archive_copy(credit_world, tmp_path)
    # The same suite at the same addresses, but not the chain the credit was issued on.
    result = essl_verify(
        credit_world,
        archive,
        rpc=other_chain.settings.rpc_url,
        deployments=other_chain.settings.deployments_dir,
    )
    assert result.returncode == 1
    assert f"credit {credit_world.token_id}: was never requested on chain" in result.stdout
    # A chain without the suite at the recorded address.
    w3 = Web3(Web3.HTTPProvider(other_chain.settings.rpc_url))
    empty = "0x" + "ab" * 20
    assert not w3.eth.get_code(Web3.to_checksum_address(empty))
    result = essl_verify(
        credit_world, archive, "--credits", empty, rpc=other_chain.settings.rpc_url
    )
    assert result.returncode == 1
    assert "[chain]" in result.stdout and "no contract at" in result.stdout


def test_the_api_serves_batches_the_verifier_accepts(
    credit_world: CreditWorld, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    from ledger.verify import ChainFacts, batches, verify_credit_on_chain

    app = create_app(ApiSettings(archive_dir=credit_world.archive, run_indexer=False), engine=None)
    client = TestClient(app)
    facts = ChainFacts(
        credit_world.ledger.w3,
        credit_world.ledger.build,
        credit_world.ledger.deployment.address("CarbonCredits"),
    )
    served: list[str] = []

    def fetch(location: str, timeout_s: float = 60.0) -> dict[str, Any]:
        served.append(location)
        reply = client.get(location.removeprefix("http://testserver"))
        if reply.status_code == 404:
            raise batches.BatchUnavailable(location, "missing from the archive")
        return dict(reply.json())

    original = batches.load_document
    batches.load_document = fetch  # type: ignore[assignment]
    try:
        import ledger.verify.signatures as sig

        sig.load_document = fetch  # type: ignore[assignment]
        verdict = verify_credit_on_chain(
            facts, credit_world.token_id, "http://testserver", workers=1
        )
    finally:
        batches.load_document = original  # type: ignore[assignment]
        sig.load_document = original  # type: ignore[assignment]
    assert verdict.ok, verdict.failures
    assert served and served[0].startswith("http://testserver/v1/batches/0x")


_ = LedgerSettings


def test_trace_api_follows_the_credit_to_readings_with_proofs(credit_world: CreditWorld) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import ApiSettings
    from ledger.db import make_engine
    from ledger.index.indexer import Indexer
    from ledger.merkle import verify as verify_proof

    engine = make_engine("sqlite://")
    Indexer(credit_world.ledger, engine).run_once()
    settings = ApiSettings(archive_dir=credit_world.archive, run_indexer=False)
    client = TestClient(create_app(settings, engine=engine))
    reply = client.get(f"/v1/trace/credits/{credit_world.token_id}?summary=true")
    assert reply.status_code == 200, reply.text
    summary = reply.json()
    assert summary["depth"] == 3 and summary["retirements"][0]["amount"] == 5
    assert summary["avoided"]["factors"][0]["region"] == "CN-QH"
    assert summary["intervals"][0]["batch"] is None
    backing = len(backing_batches(credit_world, credit_world.archive))
    assert summary["paging"]["total_intervals"] == summary["avoided"]["intervals"] == backing
    full = client.get(f"/v1/trace/credits/{credit_world.token_id}?page=2&page_size=1").json()
    (interval,) = full["intervals"]
    reading = interval["batch"]["readings"][0]
    assert reading["device"]["external_code"].startswith(("GBT34014", "ISO15459"))
    root = bytes.fromhex(interval["readings_root"][2:])
    proof = [bytes.fromhex(h[2:]) for h in reading["proof"]]
    assert verify_proof(root, bytes.fromhex(reading["leaf"][2:]), proof)
    gen = credit_world.world.participants[0].address
    account = client.get(
        f"/v1/trace/participants/{gen}",
        params={"station_id": credit_world.station, "depth": 2},
    ).json()
    assert account["avoided"]["avoided_grams"] > 0 and account["intervals"] is None
