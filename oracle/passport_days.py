"""The running oracle's daily pack snapshots: for each pack mapped to a passport in
[[passports]], once the last interval of a UTC day (by the oracle's clock) is recorded, the
day's accepted readings of the pack's BMS are gathered from that day's interval batch files,
archived as the pack-day batch, summarized, co-signed by the oracle nodes and recorded in the
outbox (table `outbox_snapshots`, the same SQLite file as the reports); `SnapshotRelay` sends
them on-chain in day order.

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

from sqlmodel import Field, Session, SQLModel, col, select
from web3.exceptions import TransactionNotFound

from ledger.client import Ledger
from ledger.errors import ContractRevert, LedgerError
from ledger.passport_snapshots import DAY, Snapshot
from ledger.passports import PassportsClient, passport_key
from ledger.registry import DeviceKind, RegistryClient
from ledger.tx import NotMined, SentTx
from oracle.archive import batch_path, read_batch
from oracle.config import OracleConfig
from oracle.errors import OracleError
from oracle.outbox import Outbox, OutboxState
from oracle.passport import PackBinding, PackDayMissing, day_snapshots, quorum_sign
from oracle.reading import SignedReading

log = logging.getLogger("essl.oracle.passport")


def _hex(key: bytes) -> str:
    return "0x" + key.hex()


class SnapshotState(StrEnum):
    """Where a day's snapshot is: signed -> submitted (the signed transaction kept) ->
    confirmed, or failed (refused on-chain, `last_error` says why), or gap (no snapshot: the
    pack had no accepted reading that day; `last_error` says so)."""

    SIGNED = OutboxState.SIGNED.value
    SUBMITTED = OutboxState.SUBMITTED.value
    CONFIRMED = OutboxState.CONFIRMED.value
    FAILED = OutboxState.FAILED.value
    GAP = OutboxState.GAP.value


PENDING = (SnapshotState.SIGNED.value, SnapshotState.SUBMITTED.value)


class OutboxSnapshot(SQLModel, table=True):
    __tablename__ = "outbox_snapshots"
    passport: str = Field(primary_key=True)  # 0x-key (keccak256 of the id)
    day: int = Field(primary_key=True)
    station_id: int = Field(index=True)
    passport_id: str
    device_id: int
    state: str = Field(index=True)  # a SnapshotState value
    snapshot_json: str  # Snapshot.to_json(), "null" for a gap
    signatures_json: str  # ["0x…", …] in ascending signer order
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
    """Closes each UTC day whose intervals are all recorded: one snapshot row per pack."""

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
    ) -> None:
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
        SQLModel.metadata.create_all(self.engine, tables=[OutboxSnapshot.__table__])  # type: ignore[attr-defined]
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
        recorded (`next_interval` is the first not recorded) gets its rows, in day order."""
        out = []
        for day in range(self.first_interval // DAY, next_interval // DAY):
            todo = [p for p in self.packs if (_hex(p.binding.passport), day) not in self._done]
            if todo:
                readings = self._day_readings(day)
                out += [self._close(p, day, readings) for p in todo]
        return out

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
    ) -> DayOutcome:
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
            self._record(row)
            return DayOutcome(pack.passport_id, day, row.state, str(exc))
        sigs = quorum_sign(
            [made.snapshot],
            readings,
            [b],
            self.node_keys,
            self.threshold,
            chain_id=self.chain_id,
            passports_address=self.passports_address,
            batch=False,
        )
        row.snapshot_json = json.dumps(made.snapshot.to_json())
        row.signatures_json = json.dumps(["0x" + s.hex() for s in sigs])
        row.telemetry_root = "0x" + made.snapshot.telemetry_root.hex()
        row.reading_count = made.snapshot.reading_count
        self._record(row)
        return DayOutcome(pack.passport_id, day, row.state, row.telemetry_root)

    def _record(self, row: OutboxSnapshot) -> None:
        row.updated_at = time.time()
        with Session(self.engine) as s:
            s.merge(row)
            s.commit()
        self._done.add((row.passport, row.day))


class SnapshotRelay:
    """Sends signed snapshots in day order through the oracle's transaction manager (the
    reports' key and nonces): the transaction recorded before it is broadcast, followed until
    mined, rebroadcast as is if the node lost it, signed anew if its nonce went elsewhere; a
    snapshot the chain already has is confirmed without sending; one the contract refuses is
    parked as failed with the reason."""

    def __init__(
        self,
        passports: PassportsClient,
        days: PassportDays,
        *,
        mine_wait_s: float = 60.0,
        on_confirmed: Callable[[OutboxSnapshot], None] | None = None,
    ) -> None:
        self.passports = passports
        self.days = days
        self.mine_wait_s = mine_wait_s
        self.on_confirmed = on_confirmed

    @property
    def tx(self) -> Any:
        return self.passports.ledger.tx

    def _update(self, row: OutboxSnapshot, **fields: object) -> None:
        with Session(self.days.engine) as s:
            current = s.get(OutboxSnapshot, (row.passport, row.day))
            assert current is not None
            for k, v in fields.items():
                setattr(current, k, v)
                setattr(row, k, v)
            current.updated_at = time.time()
            s.add(current)
            s.commit()

    def _anchored(self, row: OutboxSnapshot) -> bool:
        """The chain has this (passport, day) snapshot (sent by us earlier, or by anyone)."""
        key = bytes.fromhex(row.passport[2:])
        if self.passports.passport(key).last_day < row.day:
            return False
        ev = self.passports.contract.events.SnapshotAnchored
        logs = ev.get_logs(from_block=0, argument_filters={"passport": key, "day": row.day})
        return bool(list(logs))

    def _confirm(self, row: OutboxSnapshot, receipt: Any | None) -> None:
        fields: dict[str, object] = {"state": SnapshotState.CONFIRMED.value, "last_error": None}
        if receipt is not None:
            fields |= {
                "block_number": int(receipt["blockNumber"]),
                "gas_used": int(receipt["gasUsed"]),
            }
        self._update(row, **fields)
        if self.on_confirmed:
            self.on_confirmed(row)

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self.passports.ledger.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None

    def step(self) -> list[OutboxSnapshot]:
        """One pass over the pending snapshots, oldest day first; returns those confirmed.
        Stops at a transaction still pending (day order is kept)."""
        confirmed = []
        for row in self.days.pending():
            if row.state == SnapshotState.SUBMITTED.value:
                assert row.tx_hash is not None
                receipt = self._receipt(row.tx_hash)
                if receipt is not None and receipt["status"] == 1:
                    self._confirm(row, receipt)
                    confirmed.append(row)
                    continue
                if receipt is None and self.tx.node_has(row.tx_hash):
                    break  # still pending: wait for it
                if self._anchored(row):
                    self._confirm(row, None)
                    confirmed.append(row)
                    continue
                if (
                    receipt is None
                    and row.raw_tx is not None
                    and row.nonce is not None
                    and row.nonce >= self.tx.mined_nonce()
                    and self.tx.rebroadcast(row.raw_tx)
                ):
                    log.warning(
                        "snapshot %s day %d: transaction lost, rebroadcast",
                        row.passport_id,
                        row.day,
                    )
                    self.tx.resync()
                    break
                self._update(
                    row, state=SnapshotState.SIGNED.value, tx_hash=None, raw_tx=None, nonce=None
                )
                self.tx.resync()
            if self._anchored(row):
                self._confirm(row, None)
                confirmed.append(row)
                continue
            state = self._send(row)
            if state == SnapshotState.SUBMITTED:
                break  # not mined yet: followed in the next steps
            if state == SnapshotState.CONFIRMED:
                confirmed.append(row)
        return confirmed

    def _send(self, row: OutboxSnapshot) -> SnapshotState:
        """Send the snapshot: CONFIRMED (mined), FAILED (refused) or SUBMITTED (not mined
        within mine_wait_s)."""

        def record(sent: SentTx) -> None:
            self._update(
                row,
                state=SnapshotState.SUBMITTED.value,
                tx_hash=sent.tx_hash,
                raw_tx=sent.raw,
                nonce=sent.nonce,
                attempts=row.attempts + 1,
            )

        call = self.passports.snapshot_call(row.snapshot, row.signatures)
        try:
            sent = self.tx.send(call, before_broadcast=record)
            receipt = self.tx.wait_mined(sent, timeout_s=self.mine_wait_s, on_replace=record)
        except NotMined as exc:
            log.warning("snapshot %s day %d: %s; following it", row.passport_id, row.day, exc)
            return SnapshotState.SUBMITTED
        except ContractRevert as exc:
            self._update(row, state=SnapshotState.FAILED.value, last_error=str(exc))
            log.error(
                "snapshot of passport %s day %d refused on-chain: %s", row.passport_id, row.day, exc
            )
            return SnapshotState.FAILED
        except LedgerError as exc:
            self._update(row, last_error=str(exc))
            raise
        self._confirm(row, receipt)
        return SnapshotState.CONFIRMED


def passport_days(
    ledger: Ledger,
    config: OracleConfig,
    outbox: Outbox,
    *,
    interval_s: int,
    node_keys: Sequence[bytes],
    config_digest: bytes,
) -> tuple[PassportDays, SnapshotRelay] | None:
    """The configured [[passports]] as the day closer and its relay (None without any)."""
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
    )
    return days, SnapshotRelay(client, days)
