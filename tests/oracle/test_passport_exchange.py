"""Daily pack snapshots co-signed by oracle nodes on separate hosts: each host runs
`essl oracle run` with its own node key, data and archive directories, and the shared
exchange (an SQLite file); the station has two passported packs (2-of-3 nodes). Each host
builds the day's snapshots from its own archive, posts its signatures and sends only when it
is the day's designated submitter, or after the failover time when that host is down.

A signature counts only over the digest the node computed itself and only when it recovers
to a member of the oracle set: a peer's signature over another digest is named in the log."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from devnet.oracle_config import to_toml
from ledger.client import Ledger
from ledger.passport_snapshots import (
    DAY,
    Snapshot,
    recover_digest_signer,
    sign_snapshot,
    unpack_signatures,
)
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings
from oracle.config import OracleConfig
from oracle.exchange import BATCH_SUBJECT, Exchange, SnapshotSignature
from oracle.outbox import Outbox
from oracle.passport_cosign import SnapshotCosigner
from oracle.passport_days import OutboxSnapshot
from tests.devnet.cli import essl_group
from tests.oracle.test_passport_batch_run import pa, two_pack_station  # noqa: F401
from tests.oracle.test_passport_oracle_run import FIRST_DAY, last_interval
from tests.passport_helpers import PassportActors, snapshot

ESSL = str(Path(sys.executable).parent / "essl")
END = (FIRST_DAY + 1) * DAY  # the station's first UTC day (8 hours, 32 intervals)


def host_config(config: OracleConfig, i: int, exchange_url: str, tmp_path: Path) -> Path:
    """Host i: only node i, its own data and archive directories, the shared exchange."""
    own = config.model_copy(
        update={
            "nodes": [config.nodes[i]],
            "exchange_url": exchange_url,
            "data_dir": tmp_path / f"host{i}" / "oracle",
            "archive_dir": tmp_path / f"host{i}" / "archive",
        }
    )
    path = tmp_path / f"host{i}.toml"
    path.write_text(to_toml(own))
    return path


def start_host(path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [ESSL, "oracle", "run", "--config", str(path), "--once", "-v"],
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )


def host_rows(config: OracleConfig, i: int, ledger: Ledger, tmp_path: Path) -> list[OutboxSnapshot]:
    data = tmp_path / f"host{i}" / "oracle"
    outbox = Outbox(data / f"outbox-{ledger.chain_id}-{config.station_id}.sqlite")
    with Session(outbox.engine) as s:
        return sorted(s.exec(select(OutboxSnapshot)).all(), key=lambda r: r.passport)


def node_keys(config: OracleConfig) -> list[bytes]:
    return [n.private_key() for n in config.nodes]


def designated(ledger: Ledger, config: OracleConfig, day: int) -> int:
    """The index in config.nodes of the day's designated snapshot submitter."""
    registry = RegistryClient(ledger)
    signers, _, _ = registry.oracle_set_at(registry.oracle_config().version)
    order = sorted(signers, key=lambda a: int(a, 16))
    addresses = [str(Account.from_key(k).address) for k in node_keys(config)]
    return addresses.index(order[day % len(order)])


def chain_signers(actors: PassportActors, ledger: Ledger, key: bytes) -> list[tuple[int, set[str]]]:
    """Each anchored snapshot of the passport: its day and the signers of its transaction's
    signatures (recovered over the digest the event names)."""
    out = []
    for s in actors.admin.snapshots(key):
        tx = ledger.w3.eth.get_transaction(s.tx_hash)  # type: ignore[arg-type]
        _, args = actors.admin.contract.decode_function_input(tx["input"])
        sigs = unpack_signatures(bytes(args["signatures"]))
        out.append((s.snapshot.day, {recover_digest_signer(s.digest, g) for g in sigs}))
    return out


def test_two_hosts_cosign_each_day_through_the_exchange_while_the_submitter_is_down(
    ledger: Ledger,
    pa: PassportActors,  # noqa: F811
    anvil_url: str,
    session_settings: LedgerSettings,
    tmp_path: Path,
) -> None:
    """The day's designated submitter is down for the whole run and a row claimed by it
    carries a signature over another digest: the two running hosts co-sign (2-of-3), one of
    them sends after the failover time, the forged row does not count and is named."""
    config, _, packs = two_pack_station(pa, ledger, tmp_path, END, 8101)
    down = designated(ledger, config, FIRST_DAY)
    keys = node_keys(config)
    exchange_url = f"sqlite:///{tmp_path / 'exchange.sqlite'}"
    exchange = Exchange(exchange_url)
    wrong = keccak(b"a pack-day summary from a tampered archive")
    wrong_sig = Account.unsafe_sign_hash(
        wrong, keys[down]
    ).signature  # a real signature, wrong digest
    down_address = str(Account.from_key(keys[down]).address)
    exchange.post_snapshot_signatures(
        [
            SnapshotSignature(
                station_id=config.station_id,
                day=FIRST_DAY,
                subject="0x" + packs[0][1].hex(),
                signer=down_address,
                node=config.nodes[down].name,
                digest="0x" + wrong.hex(),
                signature="0x" + bytes(wrong_sig).hex(),
                posted_at=time.time(),
            )
        ]
    )
    running = [i for i in range(3) if i != down]
    t0 = time.monotonic()
    procs = {
        i: start_host(host_config(config, i, exchange_url, tmp_path), tmp_path / f"host{i}.log")
        for i in running
    }
    for i, proc in procs.items():
        proc.wait(timeout=110)
        assert proc.returncode == 0, (tmp_path / f"host{i}.log").read_text()[-3000:]
    elapsed = time.monotonic() - t0

    running_addresses = {str(Account.from_key(keys[i]).address) for i in running}
    for passport_id, key in packs:
        anchored = chain_signers(pa, ledger, key)
        assert [day for day, _ in anchored] == [FIRST_DAY], passport_id  # once, none lost
        assert anchored[0][1] == running_addresses  # 2 distinct members, not the forged row
    for i in running:
        rows = host_rows(config, i, ledger, tmp_path)
        assert [(r.day, r.state) for r in rows] == [(FIRST_DAY, "confirmed")] * 2
        assert rows[0].batch is not None  # the day went as one batch
        log_text = (tmp_path / f"host{i}.log").read_text()
        assert (
            f"node {config.nodes[down].name} ({down_address}) signed digest 0x{wrong.hex()}"
            in log_text
        ), log_text[-3000:]
    # the same digests on both hosts: the summary is the same from each host's own archive
    a, b = (host_rows(config, i, ledger, tmp_path) for i in running)
    assert [r.snapshot_json for r in a] == [r.snapshot_json for r in b]
    posted = exchange.snapshot_signatures(config.station_id, FIRST_DAY)
    assert {p.subject for p in posted if p.signer in running_addresses} == {
        "0x" + packs[0][1].hex(),
        "0x" + packs[1][1].hex(),
        BATCH_SUBJECT,
    }
    essl = essl_group("passport", anvil_url, session_settings, tmp_path, timeout=300)
    for i in running:
        archive = tmp_path / f"host{i}" / "archive"
        for _, key in packs:
            done = essl("verify", "0x" + key.hex(), "--archive", str(archive))
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"two hosts, 32 intervals and one co-signed day: {elapsed:.1f} s")


def snapshot_row_count(outbox_file: Path) -> int:
    try:
        with Session(Outbox(outbox_file).engine) as s:
            return len(s.exec(select(OutboxSnapshot)).all())
    except OperationalError:  # not created yet, or the oracle is writing
        return 0


@pytest.mark.parametrize("kill_at", ["mid-day", "day closed"])
def test_a_host_killed_then_restarted_loses_nothing_and_sends_nothing_twice(
    ledger: Ledger,
    pa: PassportActors,  # noqa: F811
    tmp_path: Path,
    kill_at: str,
) -> None:
    """Three hosts; the day's designated submitter is killed with SIGKILL (after 12 of the
    day's 32 intervals, or as soon as its snapshot rows are recorded) and restarted with the
    same directories: the day's snapshots reach the chain once, co-signed by 2 nodes."""
    config, _, packs = two_pack_station(pa, ledger, tmp_path, END, 8201 + 10 * len(kill_at))
    exchange_url = f"sqlite:///{tmp_path / 'exchange.sqlite'}"
    paths = [host_config(config, i, exchange_url, tmp_path) for i in range(3)]
    logs = [tmp_path / f"host{i}.log" for i in range(3)]
    victim = designated(ledger, config, FIRST_DAY)
    procs = [start_host(p, lg) for p, lg in zip(paths, logs, strict=True)]
    name = f"outbox-{ledger.chain_id}-{config.station_id}.sqlite"
    outbox_file = tmp_path / f"host{victim}" / "oracle" / name
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and procs[victim].poll() is None:
        if kill_at == "mid-day":
            if last_interval(Outbox(outbox_file), config.station_id) >= config.start + 11 * 900:
                break
        elif snapshot_row_count(outbox_file) > 0:
            break
        time.sleep(0.02)
    assert procs[victim].poll() is None, logs[victim].read_text()[-3000:]
    os.killpg(procs[victim].pid, signal.SIGKILL)
    procs[victim].wait()
    killed_at = last_interval(Outbox(outbox_file), config.station_id)
    assert killed_at < END - 900 or kill_at == "day closed"
    procs[victim] = start_host(paths[victim], logs[victim])
    for i, proc in enumerate(procs):
        proc.wait(timeout=110)
        assert proc.returncode == 0, logs[i].read_text()[-3000:]
    for passport_id, key in packs:
        anchored = chain_signers(pa, ledger, key)
        assert [day for day, _ in anchored] == [FIRST_DAY], passport_id  # once, none lost
        assert len(anchored[0][1]) >= config.threshold
    for i in range(3):
        assert [r.state for r in host_rows(config, i, ledger, tmp_path)] == ["confirmed"] * 2


def test_only_signatures_over_this_nodes_digest_by_oracle_members_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The trust rule on its own, over a real SQL exchange: a member's signature over our
    digest counts; over another digest, or by a key outside the set claiming a member's name,
    or a member's address claimed with another key's signature, it does not."""
    chain_id, passports = 31337, "0x" + "11" * 20
    members = [Account.from_key(keccak(f"node-{i}".encode())) for i in range(3)]
    outsider = Account.from_key(keccak(b"outsider"))
    snap = snapshot(b"\xab" * 32, FIRST_DAY, 7, b"\xcd" * 32)
    other = replace(snap, reading_count=snap.reading_count + 1)
    exchange = Exchange(f"sqlite:///{tmp_path / 'exchange.sqlite'}")
    cosigner = SnapshotCosigner(
        exchange,
        {m.address for m in members},
        node_name="node0",
        node_address=members[0].address,
        station_id=1,
        threshold=2,
        chain_id=chain_id,
        passports_address=passports,
    )

    def sig(key: bytes, s: Snapshot) -> str:
        return "0x" + sign_snapshot(s, key, chain_id, passports).hex()

    row = OutboxSnapshot(
        passport="0x" + snap.passport.hex(),
        day=FIRST_DAY,
        station_id=1,
        passport_id="urn:test:1",
        device_id=7,
        state="cosigning",
        snapshot_json=json.dumps(snap.to_json()),
        signatures_json=json.dumps([sig(members[0].key, snap)]),
        telemetry_root="0x" + "ef" * 32,
        reading_count=10,
    )
    cosigner.post([row])
    digest = cosigner._snapshot_digest(row)

    def peer(name: str, signer: str, signature: str, signed_digest: str) -> SnapshotSignature:
        return SnapshotSignature(
            station_id=1,
            day=FIRST_DAY,
            subject=row.passport,
            signer=signer,
            node=name,
            digest=signed_digest,
            signature=signature,
            posted_at=time.time(),
        )

    other_digest = "0x" + keccak(b"x").hex()
    with caplog.at_level(logging.WARNING, logger="essl.oracle.passport"):
        exchange.post_snapshot_signatures(
            [
                peer("node1", members[1].address, sig(members[1].key, other), other_digest),
                peer("node2", members[2].address, sig(outsider.key, snap), digest),
            ]
        )
        got = cosigner.gather(FIRST_DAY, [row])
        assert got.singles == {} and got.counts == {row.passport: 1}
        assert f"node node1 ({members[1].address}) signed digest {other_digest}" in caplog.text
        assert f"claimed by node node2 ({members[2].address})" in caplog.text
        # an outsider's own signature over our digest does not count either
        exchange.post_snapshot_signatures(
            [peer("mallory", outsider.address, sig(outsider.key, snap), digest)]
        )
        assert cosigner.gather(FIRST_DAY, [row]).singles == {}
        assert f"claimed by node mallory ({outsider.address})" in caplog.text
        # node1 signs what we computed: now 2 members agree
        exchange.post_snapshot_signatures(
            [peer("node1", members[1].address, sig(members[1].key, snap), digest)]
        )
        got = cosigner.gather(FIRST_DAY, [row])
    signers = {
        recover_digest_signer(bytes.fromhex(digest[2:]), s) for s in got.singles[row.passport]
    }
    assert signers == {members[0].address, members[1].address}
