"""Daily pack health snapshots: the EIP-712 types BatteryPassports verifies (one snapshot, or a
batch under one signature set), their digests, the oracle signatures over them, and their JSON
form. Domain: name "ESSLedger Passports", version "1", bound to the chain and the contract."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data

from ledger.reports import ordered_signatures

DOMAIN_NAME = "ESSLedger Passports"
DOMAIN_VERSION = "1"
DAY = 86_400

# (EIP-712 name, Solidity type) in struct order.
SNAPSHOT_FIELDS: tuple[tuple[str, str], ...] = (
    ("passport", "bytes32"),
    ("day", "uint32"),
    ("deviceId", "uint32"),
    ("telemetryRoot", "bytes32"),
    ("readingCount", "uint32"),
    ("configDigest", "bytes32"),
    ("sohBps", "uint16"),
    ("cycleCount", "uint32"),
    ("chargedWhTotal", "uint64"),
    ("dischargedWhTotal", "uint64"),
    ("efficiencyBps", "uint16"),
    ("resistanceMicroOhm", "uint32"),
    ("cellMinMilliVolts", "uint16"),
    ("cellMaxMilliVolts", "uint16"),
    ("tempMinDeciC", "int16"),
    ("tempMaxDeciC", "int16"),
    ("extremeTempSeconds", "uint32"),
    ("deepDischargeEvents", "uint16"),
    ("overchargeEvents", "uint16"),
    ("overTempEvents", "uint16"),
)
SNAPSHOT_TYPE = "Snapshot(" + ",".join(f"{t} {n}" for n, t in SNAPSHOT_FIELDS) + ")"
_STRUCT = [{"name": n, "type": t} for n, t in SNAPSHOT_FIELDS]
SNAPSHOT_TYPES: dict[str, list[dict[str, str]]] = {"Snapshot": _STRUCT}
BATCH_TYPES: dict[str, list[dict[str, str]]] = {
    "SnapshotBatch": [{"name": "snapshots", "type": "Snapshot[]"}],
    "Snapshot": _STRUCT,
}


@dataclass(frozen=True)
class Snapshot:
    """One pack-day summary as anchored on-chain (field order = the EIP-712 struct's)."""

    passport: bytes
    day: int
    device_id: int
    telemetry_root: bytes
    reading_count: int
    config_digest: bytes
    soh_bps: int
    cycle_count: int
    charged_wh_total: int
    discharged_wh_total: int
    efficiency_bps: int
    resistance_micro_ohm: int
    cell_min_milli_volts: int
    cell_max_milli_volts: int
    temp_min_deci_c: int
    temp_max_deci_c: int
    extreme_temp_seconds: int
    deep_discharge_events: int
    overcharge_events: int
    over_temp_events: int

    def __post_init__(self) -> None:
        for (name, kind), f in zip(SNAPSHOT_FIELDS, fields(self), strict=True):
            value = getattr(self, f.name)
            if kind == "bytes32":
                if not isinstance(value, bytes) or len(value) != 32:
                    raise ValueError(f"snapshot {name}: expected 32 bytes, got {value!r}")
                continue
            bits = int(kind.removeprefix("u").removeprefix("int"))
            low, high = (
                (0, (1 << bits) - 1)
                if kind.startswith("u")
                else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
            )
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"snapshot {name}: {value!r} is not an integer in [{low}, {high}]")

    @property
    def day_start(self) -> int:
        return self.day * DAY

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def as_abi(self) -> tuple[Any, ...]:
        return self.values()

    def as_typed(self) -> dict[str, Any]:
        return {name: v for (name, _), v in zip(SNAPSHOT_FIELDS, self.values(), strict=True)}

    def to_json(self) -> dict[str, Any]:
        return {
            name: ("0x" + v.hex() if isinstance(v, bytes) else v)
            for name, v in self.as_typed().items()
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Snapshot:
        values: list[Any] = []
        for name, kind in SNAPSHOT_FIELDS:
            if name not in data:
                raise ValueError(f"snapshot {name}: missing")
            raw = data[name]
            values.append(bytes.fromhex(str(raw).removeprefix("0x")) if kind == "bytes32" else raw)
        return cls(**dict(zip(_ATTRS, values, strict=True)))

    @classmethod
    def from_abi(cls, raw: Sequence[Any] | dict[str, Any]) -> Snapshot:
        """From a decoded ABI tuple or web3's struct dict (event or call argument)."""
        values = list(raw.values()) if hasattr(raw, "values") else list(raw)
        converted: list[Any] = [
            bytes(v) if isinstance(v, bytes | bytearray) else int(v) for v in values
        ]
        return cls(**dict(zip(_ATTRS, converted, strict=True)))


_ATTRS = tuple(f.name for f in fields(Snapshot))


# SnapshotAnchored.record: (field, bytes) for every field but passport and day, big-endian.
RECORD_LAYOUT: tuple[tuple[str, int], ...] = tuple(
    (n, 32 if t == "bytes32" else int(t.removeprefix("u").removeprefix("int")) // 8)
    for n, t in SNAPSHOT_FIELDS[2:]
)
RECORD_BYTES = sum(width for _, width in RECORD_LAYOUT)


def snapshot_from_record(passport: bytes, day: int, record: bytes) -> Snapshot:
    """Decode SnapshotAnchored(passport, day, digest, record)."""
    if len(record) != RECORD_BYTES:
        raise ValueError(f"snapshot record: {len(record)} bytes, expected {RECORD_BYTES}")
    values: dict[str, Any] = {"passport": passport, "day": day}
    at = 0
    for (name, width), (_, kind) in zip(RECORD_LAYOUT, SNAPSHOT_FIELDS[2:], strict=True):
        raw = record[at : at + width]
        at += width
        values[name] = (
            raw if kind == "bytes32" else int.from_bytes(raw, "big", signed=kind.startswith("int"))
        )
    return Snapshot.from_json(
        {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in values.items()}
    )


def domain(chain_id: int, passports_address: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": passports_address,
    }


def _batch_message(snapshots: Sequence[Snapshot]) -> dict[str, Any]:
    return {"snapshots": [s.as_typed() for s in snapshots]}


def snapshot_digest(snapshot: Snapshot, chain_id: int, passports_address: str) -> bytes:
    message = encode_typed_data(
        domain(chain_id, passports_address), SNAPSHOT_TYPES, snapshot.as_typed()
    )
    return bytes(_hash_eip191_message(message))


def batch_digest(snapshots: Sequence[Snapshot], chain_id: int, passports_address: str) -> bytes:
    message = encode_typed_data(
        domain(chain_id, passports_address), BATCH_TYPES, _batch_message(snapshots)
    )
    return bytes(_hash_eip191_message(message))


def sign_snapshot(
    snapshot: Snapshot, key: bytes | str, chain_id: int, passports_address: str
) -> bytes:
    signed = Account.sign_typed_data(
        key, domain(chain_id, passports_address), SNAPSHOT_TYPES, snapshot.as_typed()
    )
    return bytes(signed.signature)


def sign_batch(
    snapshots: Sequence[Snapshot], key: bytes | str, chain_id: int, passports_address: str
) -> bytes:
    signed = Account.sign_typed_data(
        key, domain(chain_id, passports_address), BATCH_TYPES, _batch_message(snapshots)
    )
    return bytes(signed.signature)


def recover_digest_signer(digest: bytes, signature: bytes) -> str:
    """The address that signed an EIP-712 digest (65-byte r || s || v)."""
    return str(Account._recover_hash(digest, signature=signature))


def quorum_signatures(
    keys: Iterable[bytes | str],
    chain_id: int,
    passports_address: str,
    snapshots: Snapshot | Sequence[Snapshot],
) -> list[bytes]:
    """Each key's signature (over one snapshot or a batch), in the ascending signer order the
    contract requires."""
    signed = []
    for key in keys:
        address = Account.from_key(key).address
        if isinstance(snapshots, Snapshot):
            sig = sign_snapshot(snapshots, key, chain_id, passports_address)
        else:
            sig = sign_batch(snapshots, key, chain_id, passports_address)
        signed.append((str(address), sig))
    return ordered_signatures(signed)


def snapshot_dict(snapshot: Snapshot) -> dict[str, Any]:
    """Python field names -> values (bytes as 0x-hex), for the CLI and the demo JSON."""
    return {k: ("0x" + v.hex() if isinstance(v, bytes) else v) for k, v in asdict(snapshot).items()}


SIGNATURE_BYTES = 65


def pack_signatures(signatures: Iterable[bytes]) -> bytes:
    """The contract's `signatures` argument: each 65-byte r || s || v, concatenated (as given:
    a malformed signature reaches the contract, which names it)."""
    return b"".join(bytes(sig) for sig in signatures)


def unpack_signatures(packed: bytes) -> list[bytes]:
    """The 65-byte signatures of a packed `signatures` argument (a short tail stays as is)."""
    return [packed[i : i + SIGNATURE_BYTES] for i in range(0, len(packed), SIGNATURE_BYTES)]
