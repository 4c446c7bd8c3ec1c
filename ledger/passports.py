"""Typed client for BatteryPassports: create, repurpose / remanufacture, status, custody,
installation, repairs, waste, health snapshots; views and the event history (trajectory and
snapshot series) as frozen dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode
from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.client import Ledger
from ledger.passport_snapshots import Snapshot, pack_signatures, snapshot_from_record

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = bytes(32)


class Status(IntEnum):
    """EU 2023/1542 Annex XIII (1)(d) status values (NONE = no passport)."""

    NONE = 0
    ORIGINAL = 1
    REUSED = 2
    REPURPOSED = 3
    REMANUFACTURED = 4
    WASTE = 5


class Category(IntEnum):
    EV = 0
    INDUSTRIAL = 1
    LMT = 2
    SLI = 3


def passport_key(ref: str | bytes) -> bytes:
    """The on-chain key of a passport: keccak256 of its ISO/IEC 15459 id, or the key itself
    when given as 32 bytes or 0x + 64 hex digits."""
    if isinstance(ref, bytes):
        if len(ref) != 32:
            raise ValueError(f"passport key: expected 32 bytes, got {len(ref)}")
        return ref
    body = ref.removeprefix("0x")
    if ref.startswith("0x") and len(body) == 64:
        return bytes.fromhex(body)
    if not ref:
        raise ValueError("passport id: empty")
    return bytes(Web3.keccak(text=ref))


def code_hash(gbt_code: str) -> bytes:
    return bytes(Web3.keccak(text=gbt_code))


_PARAMS_TYPE = (
    "(string,string,string,string,uint8,uint64,uint32,uint32,uint64,uint32,bytes32,address)"
)


@dataclass(frozen=True)
class PassportParams:
    """Static attributes of a passport (IBatteryPassports.PassportParams)."""

    passport_id: str
    gbt_code: str
    manufacturer: str
    chemistry: str
    category: Category
    rated_capacity_wh: int
    nominal_voltage_mv: int
    expected_cycle_life: int
    manufactured_at: int
    carbon_footprint_g_per_kwh: int
    attributes_hash: bytes
    owner: str

    def as_abi(self) -> tuple[Any, ...]:
        return (
            self.passport_id,
            self.gbt_code,
            self.manufacturer,
            self.chemistry,
            int(self.category),
            self.rated_capacity_wh,
            self.nominal_voltage_mv,
            self.expected_cycle_life,
            self.manufactured_at,
            self.carbon_footprint_g_per_kwh,
            self.attributes_hash,
            self.owner,
        )

    @property
    def key(self) -> bytes:
        return passport_key(self.passport_id)

    def params_hash(self) -> bytes:
        """keccak256(abi.encode(params)), as the contract stores it."""
        return bytes(Web3.keccak(encode([_PARAMS_TYPE], [self.as_abi()])))

    @classmethod
    def from_abi(cls, raw: Sequence[Any] | dict[str, Any]) -> PassportParams:
        v = list(raw.values()) if isinstance(raw, dict) or hasattr(raw, "values") else list(raw)
        return cls(
            str(v[0]),
            str(v[1]),
            str(v[2]),
            str(v[3]),
            Category(int(v[4])),
            int(v[5]),
            int(v[6]),
            int(v[7]),
            int(v[8]),
            int(v[9]),
            bytes(v[10]),
            Web3.to_checksum_address(v[11]),
        )


@dataclass(frozen=True)
class Passport:
    """A passport as `passportOf` returns it."""

    key: bytes
    status: Status
    closed: bool
    repair_pending: bool
    owner: str
    holder: str
    station_id: int
    bms_device: int
    predecessor: bytes | None
    successor: bytes | None
    params_hash: bytes
    gbt_code_hash: bytes
    last_day: int
    soh_bps: int
    cycle_count: int
    charged_wh_total: int
    discharged_wh_total: int
    recycler: str | None
    wasted_at: int | None


@dataclass(frozen=True)
class Created:
    """A PassportCreated event: the static attributes in full."""

    key: bytes
    status: Status
    predecessor: bytes | None
    params: PassportParams
    by: str
    block: int
    tx_hash: str


@dataclass(frozen=True)
class AnchoredSnapshot:
    """A SnapshotAnchored event (the oracle signatures are in its transaction's calldata)."""

    snapshot: Snapshot
    digest: bytes  # over the snapshot, or over its SnapshotBatch (the tx has the others)
    block: int
    tx_hash: str


@dataclass(frozen=True)
class HistoryEntry:
    """One step of a passport's trajectory: creation, custody, installation, status, repair."""

    event: str
    block: int
    log_index: int
    tx_hash: str
    detail: dict[str, Any]


_HISTORY_EVENTS = (
    "PassportCreated",
    "PassportSuperseded",
    "StatusChanged",
    "CustodyChanged",
    "PackInstalled",
    "PackRemoved",
    "RepairRecorded",
    "PassportWasted",
)


def _or_none32(v: bytes) -> bytes | None:
    return None if bytes(v) == ZERO32 else bytes(v)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class PassportsClient:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.contract = ledger.contract("BatteryPassports")

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def _send(self, fn: Any, gas: int | None = None) -> TxReceipt:
        return self.ledger.tx.transact(fn, gas=gas)

    # ------------------------------------------------------------------ writes

    def create(self, params: PassportParams) -> TxReceipt:
        return self._send(self.contract.functions.create(params.as_abi()))

    def repurpose(self, predecessor: str | bytes, params: PassportParams) -> TxReceipt:
        fn = self.contract.functions.repurpose(passport_key(predecessor), params.as_abi())
        return self._send(fn)

    def remanufacture(self, predecessor: str | bytes, params: PassportParams) -> TxReceipt:
        fn = self.contract.functions.remanufacture(passport_key(predecessor), params.as_abi())
        return self._send(fn)

    def set_status(self, ref: str | bytes, status: Status) -> TxReceipt:
        return self._send(self.contract.functions.setStatus(passport_key(ref), int(status)))

    def transfer(
        self, ref: str | bytes, new_owner: str, new_holder: str | None = None
    ) -> TxReceipt:
        fn = self.contract.functions.transfer(
            passport_key(ref), new_owner, new_holder or ZERO_ADDRESS
        )
        return self._send(fn)

    def hand_over(self, ref: str | bytes, new_holder: str) -> TxReceipt:
        return self._send(self.contract.functions.handOver(passport_key(ref), new_holder))

    def install(self, ref: str | bytes, station_id: int, bms_device: int) -> TxReceipt:
        fn = self.contract.functions.install(passport_key(ref), station_id, bms_device)
        return self._send(fn)

    def remove(self, ref: str | bytes) -> TxReceipt:
        return self._send(self.contract.functions.remove(passport_key(ref)))

    def record_repair(self, ref: str | bytes, report_hash: bytes) -> TxReceipt:
        return self._send(self.contract.functions.recordRepair(passport_key(ref), report_hash))

    def mark_waste(self, ref: str | bytes) -> TxReceipt:
        return self._send(self.contract.functions.markWaste(passport_key(ref)))

    def submit_snapshot(
        self, snapshot: Snapshot, signatures: list[bytes], gas: int | None = None
    ) -> TxReceipt:
        return self._send(self.snapshot_call(snapshot, signatures), gas)

    def submit_batch(
        self, snapshots: Sequence[Snapshot], signatures: list[bytes], gas: int | None = None
    ) -> TxReceipt:
        return self._send(self.batch_call(snapshots, signatures), gas)

    def snapshot_call(self, snapshot: Snapshot, signatures: Sequence[bytes]) -> Any:
        """The submitSnapshot call (for a caller that signs and sends it itself)."""
        return self.contract.functions.submitSnapshot(
            snapshot.as_abi(), pack_signatures(signatures)
        )

    def batch_call(self, snapshots: Sequence[Snapshot], signatures: Sequence[bytes]) -> Any:
        """The submitSnapshotBatch call: one signature set over hashSnapshotBatch(snapshots);
        any snapshot the contract refuses reverts the whole batch."""
        return self.contract.functions.submitSnapshotBatch(
            [s.as_abi() for s in snapshots], pack_signatures(signatures)
        )

    # ------------------------------------------------------------------ views

    def _call(self, fn: Any) -> Any:
        return self.ledger.tx.call(fn)

    def passport(self, ref: str | bytes) -> Passport:
        key = passport_key(ref)
        v = self._call(self.contract.functions.passportOf(key))
        wasted = int(v[17])
        return Passport(
            key=key,
            status=Status(int(v[0])),
            closed=bool(v[1]),
            repair_pending=bool(v[2]),
            owner=Web3.to_checksum_address(v[3]),
            holder=Web3.to_checksum_address(v[4]),
            station_id=int(v[5]),
            bms_device=int(v[6]),
            predecessor=_or_none32(v[7]),
            successor=_or_none32(v[8]),
            params_hash=bytes(v[9]),
            gbt_code_hash=bytes(v[10]),
            last_day=int(v[11]),
            soh_bps=int(v[12]),
            cycle_count=int(v[13]),
            charged_wh_total=int(v[14]),
            discharged_wh_total=int(v[15]),
            recycler=None if wasted == 0 else Web3.to_checksum_address(v[16]),
            wasted_at=wasted or None,
        )

    def passport_by_code(self, gbt_code: str) -> bytes | None:
        return _or_none32(self._call(self.contract.functions.passportByCode(code_hash(gbt_code))))

    def passport_of_device(self, device_id: int) -> bytes | None:
        return _or_none32(self._call(self.contract.functions.passportOfDevice(device_id)))

    def hash_snapshot(self, snapshot: Snapshot) -> bytes:
        return bytes(self._call(self.contract.functions.hashSnapshot(snapshot.as_abi())))

    def hash_batch(self, snapshots: Sequence[Snapshot]) -> bytes:
        fn = self.contract.functions.hashSnapshotBatch([s.as_abi() for s in snapshots])
        return bytes(self._call(fn))

    def soh_tolerance_bps(self) -> int:
        return int(self._call(self.contract.functions.sohToleranceBps()))

    # ------------------------------------------------------------------ history (events)

    def _logs(self, event: str, key: bytes, from_block: int = 0) -> list[Any]:
        ev = getattr(self.contract.events, event)
        arg = "predecessor" if event == "PassportSuperseded" else "passport"
        return list(ev.get_logs(from_block=from_block, argument_filters={arg: key}))

    def created(self, ref: str | bytes, from_block: int = 0) -> Created:
        key = passport_key(ref)
        logs = self._logs("PassportCreated", key, from_block)
        if not logs:
            raise LookupError(f"passport 0x{key.hex()}: no PassportCreated event")
        log = logs[0]
        a = log["args"]
        return Created(
            key=key,
            status=Status(int(a["status"])),
            predecessor=_or_none32(a["predecessor"]),
            params=PassportParams.from_abi(a["params"]),
            by=Web3.to_checksum_address(a["by"]),
            block=int(log["blockNumber"]),
            tx_hash=log["transactionHash"].to_0x_hex(),
        )

    def snapshots(self, ref: str | bytes, from_block: int = 0) -> list[AnchoredSnapshot]:
        """The passport's snapshot series, in day order."""
        key = passport_key(ref)
        out = []
        for log in self._logs("SnapshotAnchored", key, from_block):
            a = log["args"]
            snapshot = snapshot_from_record(key, int(a["day"]), bytes(a["record"]))
            out.append(
                AnchoredSnapshot(
                    snapshot=snapshot,
                    digest=bytes(a["digest"]),
                    block=int(log["blockNumber"]),
                    tx_hash=log["transactionHash"].to_0x_hex(),
                )
            )
        return sorted(out, key=lambda s: s.snapshot.day)

    def history(self, ref: str | bytes, from_block: int = 0) -> list[HistoryEntry]:
        """Creation, supersession, status, custody, installation, repair and waste events of
        the passport, in chain order (its trajectory, 流转足迹)."""
        key = passport_key(ref)
        entries = []
        for event in _HISTORY_EVENTS:
            for log in self._logs(event, key, from_block):
                detail = {k: _plain(v) for k, v in dict(log["args"]).items()}
                if event == "PassportCreated":
                    detail["params"] = _plain(dict(log["args"]["params"]))
                entries.append(
                    HistoryEntry(
                        event=event,
                        block=int(log["blockNumber"]),
                        log_index=int(log["logIndex"]),
                        tx_hash=log["transactionHash"].to_0x_hex(),
                        detail=detail,
                    )
                )
        return sorted(entries, key=lambda e: (e.block, e.log_index))

    def lineage(self, ref: str | bytes) -> list[Passport]:
        """The passport and its predecessors, newest first (the original code's passport last)."""
        chain = [self.passport(ref)]
        while chain[-1].predecessor is not None:
            chain.append(self.passport(chain[-1].predecessor))
        return chain


def created_key(client: PassportsClient, receipt: TxReceipt) -> bytes:
    """The passport key a create / repurpose / remanufacture receipt created."""
    events = client.contract.events.PassportCreated().process_receipt(receipt, errors=DISCARD)
    return bytes(events[0]["args"]["passport"])
