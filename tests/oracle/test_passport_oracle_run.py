"""`essl oracle run` anchors the daily snapshot of a pack mapped to a passport in
[[passports]]: the demo station's BMS measures an installed pack; the simulated station runs
through three UTC days (the first one partial) in three runs of the command: one stopped by
its configured end in the middle of a day, one killed with SIGKILL in the middle of the next
day, one to the end. Each day gets exactly one snapshot on-chain holding every BMS reading of
the day, and `essl passport verify` passes trusting only the chain and the archive."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from devnet.oracle_config import demo_oracle_config, to_toml
from devnet.world import DAY_START, demo_world
from ledger.client import Ledger
from ledger.passport_snapshots import DAY
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings
from oracle.config import OracleConfig, PackPassportConfig, load_config
from oracle.errors import ConfigError, OracleError
from oracle.outbox import Outbox
from oracle.passport_days import DayOutcome, OutboxSnapshot
from oracle.service import build_oracle, drain, run_due
from tests.devnet.cli import essl_group
from tests.oracle.test_oracle_run import essl_oracle
from tests.passport_helpers import (
    PassportActors,
    config_digest,
    create,
    make_actors,
    oracle_sigs,
    params,
    snapshot,
)

BMS_PERIOD_S = 10
FIRST_DAY = DAY_START // DAY  # DAY_START is 16:00 UTC: the first UTC day has 8 hours of data


def station_bms(pa: PassportActors) -> tuple[str, int]:
    bms = next(d for d in pa.world.devices if d.participant is None)
    registry = RegistryClient(pa.admin.ledger)
    count = int(pa.admin.ledger.tx.call(registry.contract.functions.deviceCount()))
    for n in range(1, count + 1):
        d = registry.device(n)
        if d.station_id == pa.station and str(d.signer).lower() == bms.address.lower():
            return bms.address, n
    raise AssertionError("the demo station has no BMS")


def write_config(
    pa: PassportActors, ledger: Ledger, tmp_path: Path, end: int, passport_id: str, device: str
) -> tuple[OracleConfig, Path]:
    """The demo oracle config (simulated station, 2-of-3 nodes) with the pack mapped."""
    base = demo_oracle_config(
        pa.world,
        station_id=pa.station,
        rpc_url=ledger.settings.rpc_url,
        deployments_dir=ledger.settings.deployments_dir,
        state_dir=tmp_path / "state",
    )
    packs = [PackPassportConfig(device=device, passport=passport_id)]
    config = base.model_copy(update={"end": end, "passports": packs})
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config))
    return load_config(path), path


def snapshot_rows(config: OracleConfig, ledger: Ledger) -> list[OutboxSnapshot]:
    outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{config.station_id}.sqlite")
    with Session(outbox.engine) as s:
        return list(s.exec(select(OutboxSnapshot)).all())


@pytest.fixture
def pa(ledger: Ledger) -> PassportActors:
    """The demo world with one extra pack BMS registered at the station (no source feeds it)."""
    return make_actors(ledger, demo_world(), packs=1)


def installed(pa: PassportActors, n: int, device_id: int) -> tuple[str, bytes]:
    p = params(n, pa.address(pa.oem))
    key = create(pa.oem, p)
    pa.oem.transfer(key, pa.address(pa.operator))
    pa.operator.install(key, pa.station, device_id)
    return p.passport_id, key


def last_interval(outbox: Outbox, station: int) -> int:
    try:
        return outbox.last_interval(station) or 0
    except OperationalError:  # the oracle is writing
        return 0


def test_oracle_run_anchors_one_snapshot_per_day_across_a_stop_and_a_kill(
    ledger: Ledger,
    pa: PassportActors,
    anvil_url: str,
    session_settings: LedgerSettings,
    tmp_path: Path,
) -> None:
    bms, bms_id = station_bms(pa)
    passport_id, key = installed(pa, 7001, bms_id)
    days = [FIRST_DAY, FIRST_DAY + 1, FIRST_DAY + 2]
    end = (FIRST_DAY + 3) * DAY

    # 1. From 16:00 UTC to the middle of the second day: the first (partial) day is anchored.
    mid_second = (FIRST_DAY + 1) * DAY + DAY // 2
    config, path = write_config(pa, ledger, tmp_path, mid_second, passport_id, bms)
    proc = essl_oracle(path)
    out, errors = proc.communicate(timeout=600)
    assert proc.returncode == 0, errors[-3000:]
    assert f"passport {passport_id}: snapshot signed" in out
    assert [s.snapshot.day for s in pa.admin.snapshots(key)] == days[:1]

    # 2. To the end, killed with SIGKILL in the middle of the third day.
    config, path = write_config(pa, ledger, tmp_path, end, passport_id, bms)
    outbox = Outbox(config.data_dir / f"outbox-{ledger.chain_id}-{config.station_id}.sqlite")
    proc = essl_oracle(path)
    kill_at = (FIRST_DAY + 2) * DAY + DAY // 3
    deadline = time.monotonic() + 600
    while last_interval(outbox, config.station_id) < kill_at:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert [s.snapshot.day for s in pa.admin.snapshots(key)] == days[:2]

    # 3. Restarted: it resumes in the middle of the third day and closes it.
    proc = essl_oracle(path)
    out, errors = proc.communicate(timeout=600)
    assert proc.returncode == 0, errors[-3000:]

    anchored = pa.admin.snapshots(key)
    assert [s.snapshot.day for s in anchored] == days  # one each: none lost, none twice
    per_day = DAY // BMS_PERIOD_S
    assert [s.snapshot.reading_count for s in anchored] == [per_day // 3, per_day, per_day]
    rows = sorted(snapshot_rows(config, ledger), key=lambda r: r.day)
    assert [(r.day, r.state) for r in rows] == [(d, "confirmed") for d in days]
    assert [r.telemetry_root for r in rows] == [
        "0x" + s.snapshot.telemetry_root.hex() for s in anchored
    ]
    passport = pa.admin.passport(key)
    assert passport.last_day == days[-1]
    assert passport.soh_bps == anchored[-1].snapshot.soh_bps > 0

    essl = essl_group("passport", anvil_url, session_settings, tmp_path, timeout=300)
    done = essl("verify", "0x" + key.hex(), "--archive", str(config.archive_dir))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_a_passport_not_installed_on_the_mapped_bms_is_refused_at_start(
    ledger: Ledger, pa: PassportActors, tmp_path: Path
) -> None:
    bms, bms_id = station_bms(pa)
    installed(pa, 7002, bms_id)
    elsewhere = params(7003, pa.address(pa.oem))
    create(pa.oem, elsewhere)
    config, _ = write_config(pa, ledger, tmp_path, DAY_START + 900, elsewhere.passport_id, bms)
    with pytest.raises(OracleError, match="is not installed on BMS device") as info:
        build_oracle(config)
    assert elsewhere.passport_id in str(info.value)


def test_a_day_without_readings_of_the_pack_is_a_gap_with_its_reason(
    ledger: Ledger, pa: PassportActors, tmp_path: Path
) -> None:
    """The passport sits on a registered pack BMS that no source feeds: the station's first
    (partial) day runs through the service object; the day is a gap with its reason, no
    snapshot is sent and the run goes on."""
    passport_id, key = installed(pa, 7004, pa.bms[0])
    end = (FIRST_DAY + 1) * DAY + 3_600
    config, _ = write_config(pa, ledger, tmp_path, end, passport_id, pa.bms_keys[0].address)
    oracle = build_oracle(config)
    days: list[DayOutcome] = []
    try:
        run_due(oracle, oracle.clock, on_day=days.append)
        drain(oracle)
    finally:
        oracle.close()
    assert [(d.day, d.state) for d in days] == [(FIRST_DAY, "gap")]
    assert "has no BMS readings on day" in days[0].detail
    assert pa.admin.snapshots(key) == []
    assert oracle.runtime.next_interval() == end
    [row] = snapshot_rows(config, ledger)
    assert (row.state, row.day) == ("gap", FIRST_DAY)


def _demo_toml(tmp_path: Path, *packs: tuple[str, str], edit: tuple[str, str] = ("", "")) -> Path:
    """The demo oracle TOML with [[passports]] entries (device, passport), `edit` applied."""
    base = demo_oracle_config(
        demo_world(),
        station_id=1,
        rpc_url="http://127.0.0.1:8545",
        deployments_dir=tmp_path / "deployments",
        state_dir=tmp_path / "state",
    )
    entries = [PackPassportConfig(device=d, passport=p) for d, p in packs]
    text = to_toml(base.model_copy(update={"passports": entries}))
    path = tmp_path / "oracle.toml"
    path.write_text(text.replace(*edit) if edit[0] else text)
    return path


BMS = "0x" + "ab" * 20


def test_passport_entries_load_and_unknown_keys_are_refused_by_name(tmp_path: Path) -> None:
    ok = _demo_toml(tmp_path, (BMS, "urn:x:1"))
    assert "[[passports]]" in ok.read_text()
    assert [p.passport for p in load_config(ok).passports] == ["urn:x:1"]
    typo = _demo_toml(tmp_path, (BMS, "urn:x:1"), edit=('passport = "urn', 'pasport = "urn'))
    with pytest.raises(ConfigError) as info:
        load_config(typo)
    text = str(info.value)
    assert "unknown key 'pasport' in [passports] (entry 1)" in text
    assert "passports.0.passport: Field required" in text


def test_a_bms_mapped_twice_or_a_meter_as_a_pack_is_refused(tmp_path: Path) -> None:
    twice = _demo_toml(tmp_path, (BMS, "urn:x:1"), (BMS, "urn:x:2"))
    with pytest.raises(ConfigError, match=r"lists device 0xabab\w+ more than once"):
        load_config(twice)
    meter = next(d for d in demo_world().devices if d.participant is not None)
    with pytest.raises(ConfigError, match=r"is a meter in \[\[meters\]\]"):
        load_config(_demo_toml(tmp_path, (meter.address, "urn:x:1")))


def test_a_snapshot_the_contract_refuses_exits_3_naming_it(
    ledger: Ledger, pa: PassportActors, tmp_path: Path
) -> None:
    """Someone anchored a later day of the pack already: the oracle's snapshot of its first
    day is refused on-chain (BatteryPassportsSnapshotNotAfter), parked as failed, and
    `essl oracle run` exits 3 saying which passport and day."""
    bms, bms_id = station_bms(pa)
    passport_id, key = installed(pa, 7005, bms_id)
    later = snapshot(key, FIRST_DAY + 5, bms_id, config_digest(ledger))
    pa.admin.submit_snapshot(later, oracle_sigs(pa.admin, pa.world, later))
    config, path = write_config(pa, ledger, tmp_path, (FIRST_DAY + 1) * DAY, passport_id, bms)
    proc = essl_oracle(path)
    _, errors = proc.communicate(timeout=300)
    assert proc.returncode == 3, errors[-3000:]
    assert "1 pack snapshot(s) refused on-chain" in errors
    assert f"passport {passport_id} day {FIRST_DAY}" in errors
    assert "BatteryPassportsSnapshotNotAfter" in errors
    [row] = snapshot_rows(config, ledger)
    assert (row.day, row.state) == (FIRST_DAY, "failed")
    assert [s.snapshot.day for s in pa.admin.snapshots(key)] == [FIRST_DAY + 5]
