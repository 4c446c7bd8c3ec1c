"""A station with two passported packs: `essl oracle run` anchors each UTC day's snapshots of
both in one `submitSnapshotBatch` transaction co-signed over the batch digest. The source is
a replay file of the simulated station (its meters and its BMS, which measures pack A) and the
readings of a second pack BMS (pack B), over the station's first (partial) UTC day and the
next one. A run that dies after recording the signed batch transaction but before
broadcasting it resumes with the same transaction (nothing sent twice); a batch the contract
refuses is split, the bad pack is named (exit 3) and the other one lands."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from devnet.oracle_config import to_toml
from ledger.client import Ledger
from ledger.passport_snapshots import DAY
from ledger.readings import DeviceDomain, SignedReading
from ledger.settings import LedgerSettings
from oracle.config import OracleConfig, PackPassportConfig, ReplaySourceConfig, load_config
from oracle.service import Clock, build_oracle, make_feed, run_due, station_facts
from oracle.sources.pack_simulator import PackSimulator, SimPack
from oracle.sources.replay import write_jsonl
from tests.devnet.cli import essl_group
from tests.oracle.test_oracle_run import essl_oracle
from tests.oracle.test_passport_oracle_run import (
    FIRST_DAY,
    installed,
    snapshot_rows,
    station_bms,
    write_config,
)
from tests.passport_helpers import PassportActors, config_digest, make_actors, oracle_sigs, snapshot

PACK_PERIOD_S = 300


class Killed(BaseException):
    """The process dies here (after the signed transaction is recorded, before broadcast)."""


@pytest.fixture
def pa(ledger: Ledger) -> PassportActors:
    from devnet.world import demo_world

    return make_actors(ledger, demo_world(), packs=1)


def two_pack_station(
    pa: PassportActors, ledger: Ledger, tmp_path: Path, end: int, n: int
) -> tuple[OracleConfig, Path, list[tuple[str, bytes]]]:
    """Passports on the station's BMS (pack A) and on the extra pack BMS (pack B), the
    oracle config replaying both packs' readings and the station's meters up to `end`."""
    bms, bms_id = station_bms(pa)
    packs = [installed(pa, n, bms_id), installed(pa, n + 1, pa.bms[0])]
    sim, _ = write_config(pa, ledger, tmp_path, end, packs[0][0], bms)
    facts, _ = station_facts(ledger, sim)
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    feed = make_feed(sim, facts, domain)
    items: list[SignedReading] = []
    for start in range(sim.start, end, facts.interval_s):
        items += [r for r in feed.readings_for_interval(start) if isinstance(r, SignedReading)]
    pack = SimPack(  # a gentle discharge keeps it in the station's SoC window
        "ev", bytes(pa.bms_keys[0].key), 75_000, 8_200, 1_650, 1.2, discharge_c_rate=0.1
    )
    pack_sim = PackSimulator(3, FIRST_DAY, [pack], pa.station, domain, period_s=PACK_PERIOD_S)
    while pack_sim.day * DAY < end:
        items += [
            r for r in pack_sim.next_day()[pack.address] if sim.start <= r.reading.timestamp < end
        ]
    items.sort(key=lambda r: (r.reading.timestamp, r.reading.device, r.reading.seq))
    replay = tmp_path / "station.jsonl"
    write_jsonl(replay, items)  # type: ignore[arg-type]
    entries = [
        PackPassportConfig(device=bms, passport=packs[0][0]),
        PackPassportConfig(device=pa.bms_keys[0].address, passport=packs[1][0]),
    ]
    source = ReplaySourceConfig(kind="replay", path=replay)
    config = sim.model_copy(update={"source": source, "passports": entries})
    path = tmp_path / "oracle.toml"
    path.write_text(to_toml(config))
    return load_config(path), path, packs


def passport_txs(ledger: Ledger, address: str, from_block: int) -> list[str]:
    """Hashes of the transactions sent to BatteryPassports since `from_block`."""
    w3 = ledger.w3
    out = []
    for n in range(from_block, int(w3.eth.block_number) + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            tx_any: Any = tx
            if tx_any["to"] and Web3.to_checksum_address(tx_any["to"]) == address:
                out.append(tx_any["hash"].to_0x_hex())
    return out


def die_at_the_next_batch(tx: Any, *, broadcast: bool) -> None:
    """The process is killed once the next batch transaction is signed and recorded: before
    it is broadcast, or after (before its receipt is seen)."""
    send = tx.send

    def send_then_die(call: Any = None, **kw: Any) -> Any:
        if call is None or call.fn_name != "submitSnapshotBatch":
            return send(call, **kw)
        if broadcast:
            send(call, **kw)
            raise Killed
        hook = kw.pop("before_broadcast")
        return send(call, **kw, before_broadcast=lambda sent: (hook(sent), _die()))

    tx.send = send_then_die


def _die() -> None:
    raise Killed


def run_until_killed(config: OracleConfig, *, broadcast: bool) -> None:
    oracle = build_oracle(config)
    assert oracle.snapshot_relay is not None
    die_at_the_next_batch(oracle.snapshot_relay.tx, broadcast=broadcast)
    try:
        with pytest.raises(Killed):
            run_due(oracle, Clock(config.start, 0))
    finally:
        oracle.close()


def test_two_packs_get_one_batch_transaction_a_day_across_kills_around_the_broadcast(
    ledger: Ledger,
    pa: PassportActors,
    anvil_url: str,
    session_settings: LedgerSettings,
    tmp_path: Path,
) -> None:
    days = [FIRST_DAY, FIRST_DAY + 1]
    config, path, packs = two_pack_station(pa, ledger, tmp_path, (FIRST_DAY + 2) * DAY, 7101)
    address = pa.admin.address
    from_block = int(ledger.w3.eth.block_number) + 1

    # 1. The first day's batch is signed, its transaction recorded, and the oracle dies.
    run_until_killed(config, broadcast=False)
    rows = snapshot_rows(config, ledger)
    assert sorted((r.day, r.state) for r in rows) == [(FIRST_DAY, "submitted")] * 2
    assert len({(r.batch, r.tx_hash, r.batch_signatures_json) for r in rows}) == 1
    assert rows[0].batch and rows[0].tx_hash
    first_tx = rows[0].tx_hash
    assert passport_txs(ledger, address, from_block) == []  # never broadcast

    # 2. Restarted: the recorded transaction goes out; the second day's batch is broadcast
    # (and mined) and the oracle dies before it sees the receipt.
    run_until_killed(config, broadcast=True)
    rows = sorted(snapshot_rows(config, ledger), key=lambda r: (r.day, r.passport))
    assert [(r.day, r.state) for r in rows] == [
        (FIRST_DAY, "confirmed"),
        (FIRST_DAY, "confirmed"),
        (FIRST_DAY + 1, "submitted"),
        (FIRST_DAY + 1, "submitted"),
    ]
    second_tx = rows[2].tx_hash
    assert passport_txs(ledger, address, from_block) == [first_tx, second_tx]

    # 3. `essl oracle run` finds the second batch mined: nothing is sent again.
    proc = essl_oracle(path, "--once")
    _, errors = proc.communicate(timeout=900)
    assert proc.returncode == 0, errors[-3000:]
    txs = passport_txs(ledger, address, from_block)
    assert txs == [first_tx, second_tx]  # one transaction per station-day
    for passport_id, key in packs:
        anchored = pa.admin.snapshots(key)
        assert [s.snapshot.day for s in anchored] == days, passport_id  # none lost, none twice
        assert [s.tx_hash for s in anchored] == txs
    rows = sorted(snapshot_rows(config, ledger), key=lambda r: (r.day, r.passport))
    assert [(r.day, r.state) for r in rows] == [(d, "confirmed") for d in days for _ in packs]
    per_day = [r.gas_used for r in rows]
    assert per_day[0] == per_day[1] and per_day[2] == per_day[3]
    receipt = ledger.w3.eth.get_transaction_receipt(txs[1])
    assert receipt["gasUsed"] == per_day[2]
    assert len(receipt["logs"]) == len(packs)

    essl = essl_group("passport", anvil_url, session_settings, tmp_path, timeout=300)
    for _, key in packs:
        done = essl("verify", "0x" + key.hex(), "--archive", str(config.archive_dir))
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_the_batch_logs_its_gas_per_pack(
    ledger: Ledger, pa: PassportActors, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config, _, packs = two_pack_station(pa, ledger, tmp_path, (FIRST_DAY + 1) * DAY, 7201)
    oracle = build_oracle(config)
    try:
        with caplog.at_level(logging.INFO, logger="essl.oracle.passport"):
            run_due(oracle, Clock(config.start, 0))
    finally:
        oracle.close()
    rows = snapshot_rows(config, ledger)
    assert [r.state for r in rows] == ["confirmed"] * 2
    text = caplog.text
    assert f"snapshot batch of 2 packs day {FIRST_DAY} sent: {rows[0].tx_hash}" in text
    gas = rows[0].gas_used
    assert gas is not None
    assert f"confirmed in block {rows[0].block_number}: gas {gas}, {gas // 2} per pack" in text
    for _, key in packs:
        assert [s.tx_hash for s in pa.admin.snapshots(key)] == [rows[0].tx_hash]


def test_a_refused_batch_is_split_the_bad_pack_named_and_the_other_lands(
    ledger: Ledger, pa: PassportActors, tmp_path: Path
) -> None:
    """Someone anchored a later day of pack A already: the day's batch reverts as a whole
    (BatteryPassportsSnapshotNotAfter); the oracle sends each snapshot alone: pack B lands,
    pack A is parked as failed and `essl oracle run` exits 3 naming it."""
    config, path, packs = two_pack_station(pa, ledger, tmp_path, (FIRST_DAY + 1) * DAY, 7301)
    (a_id, a_key), (b_id, b_key) = packs
    _, bms_id = station_bms(pa)
    later = snapshot(a_key, FIRST_DAY + 5, bms_id, config_digest(ledger))
    pa.admin.submit_snapshot(later, oracle_sigs(pa.admin, pa.world, later))
    proc = essl_oracle(path, "-v")
    _, errors = proc.communicate(timeout=600)
    assert proc.returncode == 3, errors[-3000:]
    assert "cannot be sent whole" in errors and "BatteryPassportsSnapshotNotAfter" in errors
    assert "1 pack snapshot(s) refused on-chain" in errors
    assert f"passport {a_id} day {FIRST_DAY}" in errors
    # `-v` shows the passport relay's lines: pack B's lone snapshot confirmed, with its gas
    assert f"snapshot of passport {b_id} day {FIRST_DAY} confirmed in block" in errors
    rows = {r.passport_id: r for r in snapshot_rows(config, ledger)}
    assert (rows[a_id].state, rows[b_id].state) == ("failed", "confirmed")
    assert rows[b_id].batch is None  # sent alone after the split
    assert [s.snapshot.day for s in pa.admin.snapshots(b_key)] == [FIRST_DAY]
    assert [s.snapshot.day for s in pa.admin.snapshots(a_key)] == [FIRST_DAY + 5]


def test_an_outbox_of_the_previous_version_opens_and_its_rows_are_sent_alone(
    tmp_path: Path,
) -> None:
    """`outbox_snapshots` as the version before batches made it (no batch columns), with a
    signed row: opening it adds the columns in place and the row reads as one to send alone."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.schema import CreateTable
    from sqlmodel import Session, select

    from oracle.passport_days import ADDED_COLUMNS, OutboxSnapshot, open_snapshot_table

    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.sqlite'}")
    ddl = str(CreateTable(OutboxSnapshot.__table__).compile(engine))  # type: ignore[attr-defined]
    old = "\n".join(
        line
        for line in ddl.splitlines()
        if line.split()[:1] != ["batch"] and line.split()[:1] != ["batch_signatures_json"]
    )
    assert "batch" not in old
    with engine.begin() as conn:
        conn.execute(text(old))
        conn.execute(
            text(
                "INSERT INTO outbox_snapshots (passport, day, station_id, passport_id, "
                "device_id, state, snapshot_json, signatures_json, telemetry_root, "
                "reading_count, attempts, updated_at) VALUES ('0xab', 20780, 1, 'urn:x:1', 7, "
                "'signed', 'null', '[]', '0x01', 3, 0, 0)"
            )
        )
    open_snapshot_table(engine)
    open_snapshot_table(engine)  # and again: nothing to add
    with Session(engine) as s:
        [row] = s.exec(select(OutboxSnapshot)).all()
    assert (row.state, row.batch, row.batch_signatures) == ("signed", None, [])
    assert set(ADDED_COLUMNS) == {"batch", "batch_signatures_json"}
