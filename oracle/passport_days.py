"""The running oracle's daily pack snapshots: for each pack mapped to a passport in
[[passports]], once the last interval of a UTC day (by the oracle's clock) is recorded, the
day's accepted readings of the pack's BMS are gathered from that day's interval batch files,
archived as the pack-day batch, summarized, co-signed by the oracle nodes and recorded in the
outbox (table `outbox_snapshots`, the same SQLite file as the reports); `SnapshotRelay` sends
them on-chain in day order.

A day with two or more snapshots is also co-signed as one batch (`hashSnapshotBatch` over the
day's snapshots in passport order) and sent in one `submitSnapshotBatch` transaction; each row
keeps its own single-snapshot signatures too, so a batch the contract refuses (one bad pack
reverts the whole batch) is split and each snapshot is sent alone: the bad one is parked as
failed with its own reason and the others land.

Durable as the reports are: the interval batch files are written before their interval is
recorded, the pack-day file before its snapshot row, and the signed transaction before it is
broadcast, so a kill -9 at any point resumes with nothing lost; a (passport, day) row exists
once, and the chain is asked before anything is sent, so nothing is anchored twice. A pack
with no accepted reading on a day gets a `gap` row with the reason and no snapshot."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Field, Session, SQLModel, col, select
from web3.exceptions import TransactionNotFound

from ledger.client import Ledger
from ledger.errors import ContractRevert, LedgerError
from ledger.passport_snapshots import DAY, Snapshot, batch_digest
from ledger.passports import PassportsClient, passport_key
from ledger.registry import DeviceKind, RegistryClient
from ledger.tx import NotMined, SentTx
from oracle.archive import batch_path, read_batch
from oracle.config import OracleConfig
from oracle.errors import OracleError
from oracle.outbox import Outbox, OutboxState, add_missing_columns
from oracle.passport import PackBinding, PackDayMissing, day_snapshots, quorum_sign
from oracle.passport_cosign import SnapshotCosigner
from oracle.reading import SignedReading

log = logging.getLogger("essl.oracle.passport")


def _hex(key: bytes) -> str:
    return "0x" + key.hex()


class SnapshotState(StrEnum):
    """Where a day's snapshot is: (cosigning: signed by this host's node only, its peers'
    signatures gathered through the exchange ->) signed -> submitted (the signed transaction
    kept) -> confirmed, or failed (refused on-chain, `last_error` says why), or gap (no
    snapshot: the pack had no accepted reading that day; `last_error` says so)."""

    COSIGNING = "cosigning"
    SIGNED = OutboxState.SIGNED.value
    SUBMITTED = OutboxState.SUBMITTED.value
    CONFIRMED = OutboxState.CONFIRMED.value
    FAILED = OutboxState.FAILED.value
    GAP = OutboxState.GAP.value


PENDING = (
    SnapshotState.COSIGNING.value,
    SnapshotState.SIGNED.value,
    SnapshotState.SUBMITTED.value,
)


class OutboxSnapshot(SQLModel, table=True):
    __tablename__ = "outbox_snapshots"
    passport: str = Field(primary_key=True)  # 0x-key (keccak256 of the id)
    day: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    passport_id: str
    device_id: int
    state: str = Field(index=True)  # a SnapshotState value
    snapshot_json: str  # Snapshot.to_json(), "null" for a gap
    signatures_json: str  # ["0x…", …] over this snapshot alone, in ascending signer order
    # Sent in a batch: the batch's EIP-712 digest (the rows sharing it, in passport order, are
    # the batch) and the signatures over it; None when sent alone. The transaction fields
    # below are then the batch's, the same in each of its rows (gas_used: the whole batch).
    batch: str | None = None
    batch_signatures_json: str | None = None
    telemetry_root: str
    reading_count: int
    tx_hash: str | None = None
    raw_tx: str | None = None
    nonce: int | None = None
    block_number: int | None = None
    gas_used: int | None = None
    attempts: int = 0
    last_error: str | None = None
    updated_at: float = 0.0

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot.from_json(json.loads(self.snapshot_json))

    @property
    def signatures(self) -> list[bytes]:
        return [bytes.fromhex(s[2:]) for s in json.loads(self.signatures_json)]

    @property
    def batch_signatures(self) -> list[bytes]:
        return [bytes.fromhex(s[2:]) for s in json.loads(self.batch_signatures_json or "[]")]


# Columns added after the first snapshot outboxes were written: added in place to an older
# file (its rows have none: each is sent alone, as before).
ADDED_COLUMNS = {"batch": "TEXT", "batch_signatures_json": "TEXT"}


def open_snapshot_table(engine: Engine) -> None:
    """Create `outbox_snapshots`, or bring an older one up to this version's columns."""
    SQLModel.metadata.create_all(engine, tables=[OutboxSnapshot.__table__])  # type: ignore[attr-defined]
    add_missing_columns(engine, {"outbox_snapshots": ADDED_COLUMNS})


@dataclass(frozen=True)
class PackPassport:
    """A [[passports]] entry resolved on-chain."""

    passport_id: str
    binding: PackBinding


@dataclass
class DayOutcome:
    passport_id: str
    day: int
    state: str
    detail: str  # the telemetry root, or why there is no snapshot


def resolve_packs(ledger: Ledger, config: OracleConfig) -> list[PackPassport]:
    """Each [[passports]] entry as its registry BMS device and passport key, checked: the
    device is an active BMS of the station and the passport is installed on it."""
    if not config.passports:
        return []
    registry = RegistryClient(ledger)
    passports = PassportsClient(ledger)
    count = int(ledger.tx.call(registry.contract.functions.deviceCount()))
    ids: dict[str, int] = {}
    for n in range(1, count + 1):
        d = registry.device(n)
        if d.station_id == config.station_id and d.active and d.kind == DeviceKind.BMS:
            ids[str(d.signer).lower()] = n
    out = []
    for p in config.passports:
        device_id = ids.get(p.device.lower())
        if device_id is None:
            raise OracleError(
                f"[[passports]] device {p.device} is not an active BMS device of station "
                f"{config.station_id}: register the pack's BMS (kind bms) or fix the address"
            )
        key = passport_key(p.passport)
        installed = passports.passport_of_device(device_id)
        if installed != key:
            measures = f"passport 0x{installed.hex()}" if installed else "no passport"
            raise OracleError(
                f"[[passports]] passport {p.passport} is not installed on BMS device "
                f"{device_id} ({p.device}, which measures {measures}): install the pack there "
                "(`essl passport install`) or fix [[passports]]"
            )
        out.append(PackPassport(p.passport, PackBinding(key, device_id, p.device)))
    return out


class PassportDays:
    """Closes each UTC day whose intervals are all recorded: one snapshot row per pack, the
    day's rows written together; with `batch` (the default) a day of two or more snapshots is
    co-signed as one batch as well."""

    def __init__(
        self,
        *,
        packs: Sequence[PackPassport],
        station_id: int,
        interval_s: int,
        first_interval: int,
        outbox: Outbox,
        archive_dir: Path,
        node_keys: Sequence[bytes],
        threshold: int,
        chain_id: int,
        registry_address: str,
        passports_address: str,
        config_digest: bytes,
        batch: bool = True,
        cosigner: SnapshotCosigner | None = None,
    ) -> None:
        """With `cosigner` (oracle nodes on separate hosts) `node_keys` is this host's one
        key: the day's rows are recorded as cosigning with its signature, posted to the
        exchange and signed once `threshold` nodes signed the same digests."""
        self.packs = list(packs)
        self.station_id = station_id
        self.interval_s = interval_s
        self.first_interval = first_interval
        self.outbox = outbox
        self.engine = outbox.engine
        self.archive_dir = archive_dir
        self.node_keys = list(node_keys)
        self.threshold = threshold
        self.chain_id = chain_id
        self.registry_address = registry_address
        self.passports_address = passports_address
        self.config_digest = config_digest
        self.batch = batch
        self.cosigner = cosigner
        self._local_threshold = 1 if cosigner is not None else threshold
        open_snapshot_table(self.engine)
        self._done = {(r.passport, r.day) for r in self.rows()}

    def rows(self) -> list[OutboxSnapshot]:
        with Session(self.engine) as s:
            return list(
                s.exec(
                    select(OutboxSnapshot)
                    .where(OutboxSnapshot.station_id == self.station_id)
                    .order_by(col(OutboxSnapshot.day), col(OutboxSnapshot.passport))
                ).all()
            )

    def pending(self) -> list[OutboxSnapshot]:
        return [r for r in self.rows() if r.state in PENDING]

    def refused(self) -> list[OutboxSnapshot]:
        return [r for r in self.rows() if r.state == SnapshotState.FAILED.value]

    def close_due(self, next_interval: int) -> list[DayOutcome]:
        """Every day from the first interval's up to the last one whose intervals are all
        recorded (`next_interval` is the first not recorded) gets its rows, in day order.
        With the exchange, the days still co-signing are looked at first (no waiting)."""
        out = []
        self.cosign(wait_s=0.0)
        for day in range(self.first_interval // DAY, next_interval // DAY):
            todo = [p for p in self.packs if (_hex(p.binding.passport), day) not in self._done]
            if todo:
                out += self.close_day(day, todo, self._day_readings(day))
        return out

    def close_day(
        self,
        day: int,
        packs: Sequence[PackPassport],
        readings: dict[str, list[SignedReading]],
    ) -> list[DayOutcome]:
        """The day's rows of `packs` from their readings (BMS address -> readings), recorded
        in one transaction: a kill leaves all of them or none."""
        rows = [self._close(p, day, readings) for p in packs]
        signed = sorted(
            (r for r in rows if r.state in (SnapshotState.SIGNED, SnapshotState.COSIGNING)),
            key=lambda r: r.passport,
        )
        if self.batch and len(signed) >= 2:
            snapshots = [r.snapshot for r in signed]
            sigs = quorum_sign(
                snapshots,
                readings,
                [p.binding for p in packs],
                self.node_keys,
                self._local_threshold,
                chain_id=self.chain_id,
                passports_address=self.passports_address,
                batch=True,
            )
            digest = "0x" + batch_digest(snapshots, self.chain_id, self.passports_address).hex()
            for r in signed:
                r.batch = digest
                r.batch_signatures_json = json.dumps([_sig(s) for s in sigs])
        self._record(rows)
        if self.cosigner is not None:
            self.cosign(wait_s=self.cosigner.wait_s)
            rows = [self._current(r) for r in rows]
        return [
            DayOutcome(p.passport_id, day, r.state, r.last_error or r.telemetry_root)
            for p, r in zip(packs, rows, strict=True)
        ]

    def _day_readings(self, day: int) -> dict[str, list[SignedReading]]:
        """The accepted readings of every mapped BMS on `day`, from the recorded intervals'
        batch files (timestamp order)."""
        start, end = day * DAY, (day + 1) * DAY
        devices = {p.binding.bms_address.lower(): p.binding.bms_address for p in self.packs}
        out: dict[str, list[SignedReading]] = {a: [] for a in devices.values()}
        for row in self.outbox.rows(self.station_id):
            if row.state == OutboxState.GAP or not row.readings_root:
                continue
            if row.interval_start >= end or row.interval_start + self.interval_s <= start:
                continue
            root = bytes.fromhex(row.readings_root.removeprefix("0x"))
            _, readings = read_batch(batch_path(self.archive_dir, root))
            for r in readings:
                address = devices.get(r.reading.device.lower())
                if address is not None and start <= r.reading.timestamp < end:
                    out[address].append(r)
        for readings in out.values():
            readings.sort(key=lambda r: (r.reading.timestamp, r.reading.seq))
        return out

    def _close(
        self, pack: PackPassport, day: int, readings: dict[str, list[SignedReading]]
    ) -> OutboxSnapshot:
        """The pack's row for the day (not recorded yet): signed alone, or a gap."""
        b = pack.binding
        row = OutboxSnapshot(
            passport=_hex(b.passport),
            day=day,
            station_id=self.station_id,
            passport_id=pack.passport_id,
            device_id=b.device_id,
            state=SnapshotState.SIGNED.value,
            snapshot_json="null",
            signatures_json="[]",
            telemetry_root="",
            reading_count=0,
        )
        try:
            [made] = day_snapshots(
                [b],
                readings,
                station_id=self.station_id,
                day=day,
                config_digest=self.config_digest,
                archive=self.archive_dir,
                chain_id=self.chain_id,
                registry=self.registry_address,
            )
        except PackDayMissing as exc:
            log.warning("passport %s day %d: no snapshot: %s", pack.passport_id, day, exc)
            row.state, row.last_error = SnapshotState.GAP.value, str(exc)
            return row
        sigs = quorum_sign(
            [made.snapshot],
            readings,
            [b],
            self.node_keys,
            self._local_threshold,
            chain_id=self.chain_id,
            passports_address=self.passports_address,
            batch=False,
        )
        if self.cosigner is not None:
            row.state = SnapshotState.COSIGNING.value
        row.snapshot_json = json.dumps(made.snapshot.to_json())
        row.signatures_json = json.dumps([_sig(s) for s in sigs])
        row.telemetry_root = "0x" + made.snapshot.telemetry_root.hex()
        row.reading_count = made.snapshot.reading_count
        return row

    def _current(self, row: OutboxSnapshot) -> OutboxSnapshot:
        with Session(self.engine) as s:
            current = s.get(OutboxSnapshot, (row.passport, row.day))
        assert current is not None
        return current

    def cosign(self, *, wait_s: float) -> None:
        """With the exchange: post this node's signatures of the days still co-signing and
        sign each snapshot (and batch) `threshold` nodes agree on, looking again for up to
        `wait_s`. Rows still short stay cosigning for the next pass; none is dropped."""
        cosigner = self.cosigner
        if cosigner is None:
            return
        deadline = time.monotonic() + wait_s
        while True:
            waiting = [r for r in self.rows() if r.state == SnapshotState.COSIGNING.value]
            by_day: dict[int, list[OutboxSnapshot]] = {}
            for r in waiting:
                by_day.setdefault(r.day, []).append(r)
            for day, rows in by_day.items():
                cosigner.post(rows)
                self._cosign_day(cosigner, day, rows)
            if not waiting or time.monotonic() >= deadline:
                return
            if not any(r.state == SnapshotState.COSIGNING.value for r in waiting):
                return
            time.sleep(cosigner.poll_s)

    def _cosign_day(self, cosigner: SnapshotCosigner, day: int, rows: list[OutboxSnapshot]) -> None:
        got = cosigner.gather(day, rows)
        batched = [r for r in rows if r.batch is not None]
        expired = time.time() > min(r.updated_at for r in rows) + cosigner.timeout_s
        if batched and got.batch is None and expired:
            log.warning(
                "snapshot batch of day %d: %d of %d signatures after %.0f s; each snapshot "
                "goes alone",
                day,
                got.counts.get("batch", 0),
                self.threshold,
                cosigner.timeout_s,
            )
            self._set(batched, batch=None, batch_signatures_json=None)
            batched = []
        ready = [r for r in rows if r.passport in got.singles]
        if batched:
            if got.batch is None or len(ready) < len(rows):
                ready = [r for r in ready if r.batch is None]
            else:
                self._set(batched, batch_signatures_json=json.dumps([_sig(s) for s in got.batch]))
        for r in ready:
            waited = time.time() - r.updated_at
            signatures = json.dumps([_sig(s) for s in got.singles[r.passport]])
            self._set([r], state=SnapshotState.SIGNED.value, signatures_json=signatures)
            log.info(
                "passport %s day %d co-signed by %d nodes, %.2f s after this node signed",
                r.passport_id,
                day,
                self.threshold,
                waited,
            )
        if expired:
            for r in rows:
                if r.passport not in got.singles:
                    cosigner.tell(
                        ("short", day, r.passport, int(time.time() // cosigner.timeout_s)),
                        "passport %s day %d: %d of %d signatures over this node's digest after "
                        "%.0f s; kept, still waiting",
                        r.passport_id,
                        day,
                        got.counts.get(r.passport, 0),
                        self.threshold,
                        time.time() - r.updated_at,
                    )

    def _set(self, rows: Sequence[OutboxSnapshot], **fields: object) -> None:
        """While co-signing, `updated_at` says when a row was recorded, or signed."""
        self.update(rows, touch=fields.get("state") == SnapshotState.SIGNED.value, **fields)

    def update(self, rows: Sequence[OutboxSnapshot], *, touch: bool, **fields: object) -> None:
        """The same fields set on every row, in one database transaction; `touch` stamps
        `updated_at` with the time."""
        now = time.time()
        with Session(self.engine) as s:
            for row in rows:
                current = s.get(OutboxSnapshot, (row.passport, row.day))
                assert current is not None
                for k, v in fields.items():
                    setattr(current, k, v)
                    setattr(row, k, v)
                if touch:
                    current.updated_at = row.updated_at = now
                s.add(current)
            s.commit()

    def _record(self, rows: Sequence[OutboxSnapshot]) -> None:
        now = time.time()
        with Session(self.engine) as s:
            for row in rows:
                row.updated_at = now
                s.merge(row)
            s.commit()
        self._done |= {(r.passport, r.day) for r in rows}


class SnapshotRelay:
    """Sends signed snapshots in day order through the oracle's transaction manager (the
    reports' key and nonces), one transaction per batch (a day's rows sharing `batch`) or per
    snapshot sent alone: the transaction recorded before it is broadcast, followed until mined,
    rebroadcast as is if the node lost it, signed anew if its nonce went elsewhere; a snapshot
    the chain already has is confirmed without sending; one the contract refuses is parked as
    failed with the reason. A batch that cannot be sent whole (the contract refuses it, or a
    member is on-chain already) is split: each remaining snapshot is sent alone."""

    def __init__(
        self,
        passports: PassportsClient,
        days: PassportDays,
        *,
        mine_wait_s: float = 60.0,
        on_confirmed: Callable[[OutboxSnapshot], None] | None = None,
        submitters: Sequence[str] = (),
        failover_s: float = 0.0,
    ) -> None:
        """With `submitters` (nodes on separate hosts: the on-chain oracle set in one order
        every node shares), each day has one designated submitter, in turn; the others wait
        `failover_s` after a row is signed, then send only what the chain still lacks."""
        self.passports = passports
        self.submitters = list(submitters)
        self.failover_s = failover_s
        self.days = days
        self.mine_wait_s = mine_wait_s
        self.on_confirmed = on_confirmed

    @property
    def tx(self) -> Any:
        return self.passports.ledger.tx

    def _update(self, rows: Sequence[OutboxSnapshot], **fields: object) -> None:
        self.days.update(rows, touch=True, **fields)

    def _anchored(self, row: OutboxSnapshot) -> bool:
        """The chain has this (passport, day) snapshot (sent by us earlier, or by anyone)."""
        key = bytes.fromhex(row.passport[2:])
        if self.passports.passport(key).last_day < row.day:
            return False
        ev = self.passports.contract.events.SnapshotAnchored
        logs = ev.get_logs(from_block=0, argument_filters={"passport": key, "day": row.day})
        return bool(list(logs))

    def _confirm(self, rows: Sequence[OutboxSnapshot], receipt: Any | None) -> None:
        fields: dict[str, object] = {"state": SnapshotState.CONFIRMED.value, "last_error": None}
        if receipt is not None:
            gas = int(receipt["gasUsed"])
            fields |= {"block_number": int(receipt["blockNumber"]), "gas_used": gas}
            log.info(
                "%s day %d confirmed in block %d: gas %d, %d per pack",
                _what(rows),
                rows[0].day,
                int(receipt["blockNumber"]),
                gas,
                gas // len(rows),
            )
        self._update(rows, **fields)
        if self.on_confirmed:
            for row in rows:
                self.on_confirmed(row)

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self.passports.ledger.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def _units(self) -> list[list[OutboxSnapshot]]:
        """The pending rows as what one transaction sends (a batch's rows together), oldest
        day first."""
        units: dict[tuple[int, str], list[OutboxSnapshot]] = {}
        for row in self.days.pending():
            if row.state == SnapshotState.COSIGNING.value:
                break  # not signed yet: it and every later day wait (day order is kept)
            units.setdefault((row.day, row.batch or row.passport), []).append(row)
        return list(units.values())

    def step(self) -> list[OutboxSnapshot]:
        """One pass over the pending snapshots, oldest day first; returns those confirmed.
        Stops at a transaction still pending (day order is kept)."""
        confirmed: list[OutboxSnapshot] = []
        for unit in self._units():
            if self._deferred(unit):
                break
            done, waiting = self._advance(unit)
            confirmed += done
            if waiting:
                break
        return confirmed

    def _deferred(self, unit: Sequence[OutboxSnapshot]) -> bool:
        """Another node's day to send, and its failover time has not passed yet."""
        if not self.submitters or unit[0].state != SnapshotState.SIGNED.value:
            return False
        turn = unit[0].day % len(self.submitters)
        mine = self.submitters[turn].lower() == str(self.tx.address).lower()
        return not mine and time.time() < max(r.updated_at for r in unit) + self.failover_s

    def _advance(self, unit: list[OutboxSnapshot]) -> tuple[list[OutboxSnapshot], bool]:
        """Follow or send one batch (or one snapshot alone): the rows confirmed, and whether
        a transaction is still pending."""
        if unit[0].state == SnapshotState.SUBMITTED.value:
            followed = self._follow(unit)
            if followed is not None:
                return (unit, False) if followed else ([], True)
        anchored = [r for r in unit if self._anchored(r)]
        if anchored:
            self._confirm(anchored, None)
        rest = [r for r in unit if r not in anchored]
        if not rest:
            return anchored, False
        if rest[0].batch is not None:
            why = self._unsendable(rest)
            if why is None:
                state, why = self._send(rest)
                if state == SnapshotState.CONFIRMED:
                    return anchored + rest, False
                if state == SnapshotState.SUBMITTED:
                    return anchored, True
            self._split(rest, why or "")
            done = list(anchored)
            for row in rest:
                confirmed, waiting = self._advance([row])
                done += confirmed
                if waiting:
                    return done, True
            return done, False
        state, _ = self._send(rest)
        if state == SnapshotState.SUBMITTED:
            return anchored, True
        return anchored + (rest if state == SnapshotState.CONFIRMED else []), False

    def _follow(self, unit: list[OutboxSnapshot]) -> bool | None:
        """A submitted transaction: True once confirmed, False while pending, None when it
        must be sent again (the rows back to signed)."""
        tx_hash = unit[0].tx_hash
        assert tx_hash is not None
        receipt = self._receipt(tx_hash)
        if receipt is not None and receipt["status"] == 1:
            self._confirm(unit, receipt)
            return True
        if receipt is None and self.tx.node_has(tx_hash):
            return False  # still pending: wait for it
        if all(self._anchored(r) for r in unit):
            self._confirm(unit, None)
            return True
        raw, nonce = unit[0].raw_tx, unit[0].nonce
        if (
            receipt is None
            and raw is not None
            and nonce is not None
            and nonce >= self.tx.mined_nonce()
            and self.tx.rebroadcast(raw)
        ):
            log.warning("%s day %d: transaction lost, rebroadcast", _what(unit), unit[0].day)
            self.tx.resync()
            return False
        self._update(unit, state=SnapshotState.SIGNED.value, tx_hash=None, raw_tx=None, nonce=None)
        self.tx.resync()
        return None

    def _unsendable(self, rows: Sequence[OutboxSnapshot]) -> str | None:
        """Why these rows cannot go as their batch: the signatures are over the batch digest,
        so exactly its snapshots in passport order (a member on-chain already cannot be left
        out)."""
        snapshots = [r.snapshot for r in rows]
        digest = batch_digest(snapshots, self.days.chain_id, self.days.passports_address)
        if "0x" + digest.hex() != rows[0].batch:
            return "not every snapshot of the batch is still to send"
        return None

    def _split(self, rows: Sequence[OutboxSnapshot], why: str) -> None:
        log.warning(
            "snapshot batch of day %d (%s) cannot be sent whole: %s; sending each snapshot alone",
            rows[0].day,
            ", ".join(r.passport_id for r in rows),
            why,
        )
        self._update(rows, batch=None, batch_signatures_json=None)

    def _call(self, rows: Sequence[OutboxSnapshot]) -> Any:
        if rows[0].batch is None:
            return self.passports.snapshot_call(rows[0].snapshot, rows[0].signatures)
        return self.passports.batch_call([r.snapshot for r in rows], rows[0].batch_signatures)

    def _send(self, rows: list[OutboxSnapshot]) -> tuple[SnapshotState, str | None]:
        """Send the batch (or the snapshot alone): CONFIRMED (mined), SUBMITTED (not mined
        within mine_wait_s) or FAILED with the contract's reason (a snapshot alone is parked
        as failed; a batch is left to the caller to split)."""

        def record(sent: SentTx) -> None:
            self._update(
                rows,
                state=SnapshotState.SUBMITTED.value,
                tx_hash=sent.tx_hash,
                raw_tx=sent.raw,
                nonce=sent.nonce,
                attempts=rows[0].attempts + 1,
            )

        what = _what(rows)
        try:
            sent = self.tx.send(self._call(rows), before_broadcast=record)
            if rows[0].batch is not None:
                log.info("%s day %d sent: %s", what, rows[0].day, sent.tx_hash)
            receipt = self.tx.wait_mined(sent, timeout_s=self.mine_wait_s, on_replace=record)
        except NotMined as exc:
            log.warning("%s day %d: %s; following it", what, rows[0].day, exc)
            return SnapshotState.SUBMITTED, None
        except ContractRevert as exc:
            if all(self._anchored(r) for r in rows):  # another node sent it meanwhile
                self._confirm(rows, None)
                return SnapshotState.CONFIRMED, None
            if rows[0].batch is not None:
                return SnapshotState.FAILED, f"refused on-chain: {exc}"
            [row] = rows
            self._update(rows, state=SnapshotState.FAILED.value, last_error=str(exc))
            log.error(
                "snapshot of passport %s day %d refused on-chain: %s", row.passport_id, row.day, exc
            )
            return SnapshotState.FAILED, str(exc)
        except LedgerError as exc:
            self._update(rows, last_error=str(exc))
            raise
        self._confirm(rows, receipt)
        return SnapshotState.CONFIRMED, None


def _sig(signature: bytes) -> str:
    return "0x" + signature.hex()


def _what(rows: Sequence[OutboxSnapshot]) -> str:
    if rows[0].batch is not None:
        return f"snapshot batch of {len(rows)} packs"
    return f"snapshot of passport {rows[0].passport_id}"


def passport_days(
    ledger: Ledger,
    config: OracleConfig,
    outbox: Outbox,
    *,
    interval_s: int,
    node_keys: Sequence[bytes],
    config_digest: bytes,
    cosigner: SnapshotCosigner | None = None,
    submitters: Sequence[str] = (),
    failover_s: float = 0.0,
) -> tuple[PassportDays, SnapshotRelay] | None:
    """The configured [[passports]] as the day closer and its relay (None without any); with
    `cosigner` (exchange_url) the snapshots are co-signed through the exchange."""
    packs = resolve_packs(ledger, config)
    if not packs:
        return None
    client = PassportsClient(ledger)
    days = PassportDays(
        packs=packs,
        station_id=config.station_id,
        interval_s=interval_s,
        first_interval=config.start,
        outbox=outbox,
        archive_dir=config.archive_dir,
        node_keys=node_keys,
        threshold=config.threshold,
        chain_id=ledger.chain_id,
        registry_address=ledger.deployment.address("Registry"),
        passports_address=client.address,
        config_digest=config_digest,
        cosigner=cosigner,
    )
    return days, SnapshotRelay(client, days, submitters=submitters, failover_s=failover_s)
