"""The passport pipeline end to end on anvil: simulated pack BMS readings -> archived day batch
and summary -> k-of-n oracle snapshot on-chain (batched, then single) -> `essl passport verify`
trusting only the chain and the archive; then one BMS reading changed in the archive makes the
verifier exit 1 naming it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from devnet.world import demo_world
from ledger.client import Ledger
from ledger.passports import PassportsClient
from ledger.readings import DeviceDomain, SignedReading
from ledger.settings import LedgerSettings
from ledger.verify.passport import verify_passport
from oracle.passport import PackBinding, day_snapshots, quorum_sign
from oracle.sources.pack_simulator import PackSimulator, SimPack
from tests.devnet.cli import essl_group
from tests.passport_helpers import DAY0, PassportActors, config_digest, installed_pack, make_actors

PERIOD_S = 600  # 144 readings per pack-day keeps the test quick


@dataclass
class Pipeline:
    pa: PassportActors
    bindings: list[PackBinding]
    archive: Path
    sim: PackSimulator


def relay_day(p: Pipeline, *, batch: bool) -> dict[str, list[SignedReading]]:
    ledger = p.pa.admin.ledger
    readings = p.sim.next_day()
    day = p.sim.day - 1
    days = day_snapshots(
        p.bindings,
        readings,
        station_id=p.pa.station,
        day=day,
        config_digest=config_digest(ledger),
        archive=p.archive,
        chain_id=ledger.chain_id,
        registry=ledger.deployment.address("Registry"),
    )
    keys = [bytes(o.key) for o in p.pa.world.oracles]
    snapshots = [d.snapshot for d in days]
    sign = dict(chain_id=ledger.chain_id, passports_address=p.pa.admin.address)
    if batch:
        sigs = quorum_sign(snapshots, readings, p.bindings, keys, 2, batch=True, **sign)
        p.pa.stranger.submit_batch(snapshots, sigs)
    else:
        for s in snapshots:
            sigs = quorum_sign([s], readings, p.bindings, keys, 2, batch=False, **sign)
            p.pa.stranger.submit_snapshot(s, sigs)
    return readings


@pytest.fixture
def pipeline(ledger: Ledger, tmp_path: Path) -> Pipeline:
    pa = make_actors(ledger, demo_world(), packs=2)
    passports = [installed_pack(pa, 1, 0), installed_pack(pa, 2, 1)]
    packs = [
        SimPack("rack", bytes(pa.bms_keys[0].key), 280_000, 9_300, 1_100, 0.6),
        SimPack("ev", bytes(pa.bms_keys[1].key), 75_000, 8_200, 1_650, 1.2, fragile=True),
    ]
    bindings = [PackBinding(k, pa.bms[i], packs[i].address) for i, k in enumerate(passports)]
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    sim = PackSimulator(3, DAY0, packs, pa.station, domain, period_s=PERIOD_S)
    return Pipeline(pa, bindings, tmp_path / "state" / "archive", sim)


def test_pack_days_are_anchored_and_verify_from_chain_and_archive(
    pipeline: Pipeline, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    relay_day(pipeline, batch=True)
    relay_day(pipeline, batch=False)
    client: PassportsClient = pipeline.pa.admin
    ev = pipeline.bindings[1].passport
    series = client.snapshots(ev)
    assert [s.snapshot.day for s in series] == [DAY0, DAY0 + 1]
    assert 8_100 <= series[-1].snapshot.soh_bps <= 8_200
    assert client.passport(ev).soh_bps == series[-1].snapshot.soh_bps
    verdict = verify_passport(client.ledger, ev, str(pipeline.archive), workers=1)
    assert verdict.ok, verdict.failures
    assert verdict.checks["snapshots"] == 2
    assert verdict.checks["summaries"] == 2
    assert verdict.checks["readings"] == 2 * 86_400 // PERIOD_S
    assert verdict.checks["oracle_signatures"] == 4
    essl = essl_group("passport", anvil_url, session_settings, tmp_path)
    done = essl("verify", "0x" + ev.hex())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERIFIED" in done.stdout


def test_one_changed_bms_reading_fails_verify_naming_it(
    pipeline: Pipeline, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    relay_day(pipeline, batch=True)
    ev = pipeline.bindings[1].passport
    [anchored] = pipeline.pa.admin.snapshots(ev)
    path = pipeline.archive / f"0x{anchored.snapshot.telemetry_root.hex()}.json"
    document = json.loads(path.read_text())
    document["readings"][17]["tempMaxDeciC"] += 1
    path.write_text(json.dumps(document))
    seq = document["readings"][17]["seq"]
    verdict = verify_passport(pipeline.pa.admin.ledger, ev, str(pipeline.archive), workers=1)
    assert not verdict.ok
    assert {"device_signature", "batch_root"} <= set(verdict.failed_checks())
    named = [f for f in verdict.failures if f.check == "device_signature"]
    assert len(named) == 1 and "reading 17 " in named[0].item and f"seq {seq}" in named[0].item
    essl = essl_group("passport", anvil_url, session_settings, tmp_path)
    done = essl("verify", "0x" + ev.hex())
    assert done.returncode == 1
    assert "FAILED" in done.stdout and "reading 17 " in done.stdout


def test_oracle_nodes_refuse_a_snapshot_that_does_not_match_the_readings(
    pipeline: Pipeline,
) -> None:
    from dataclasses import replace

    from oracle.passport import SnapshotQuorumNotReached

    ledger = pipeline.pa.admin.ledger
    readings = pipeline.sim.next_day()
    days = day_snapshots(
        pipeline.bindings,
        readings,
        station_id=pipeline.pa.station,
        day=DAY0,
        config_digest=config_digest(ledger),
        archive=pipeline.archive,
        chain_id=ledger.chain_id,
        registry=ledger.deployment.address("Registry"),
    )
    forged = replace(days[0].snapshot, soh_bps=days[0].snapshot.soh_bps + 50)
    keys = [bytes(o.key) for o in pipeline.pa.world.oracles]
    with pytest.raises(SnapshotQuorumNotReached, match="differs in soh_bps"):
        quorum_sign(
            [forged],
            readings,
            pipeline.bindings,
            keys,
            2,
            chain_id=ledger.chain_id,
            passports_address=pipeline.pa.admin.address,
            batch=False,
        )
