"""Checking one batch file (runs in worker processes): recompute every leaf and the Merkle
root, recover every device signature, and summarise what the parent needs to compare with the
chain (devices seen, each meter channel's last counters). Inputs and outputs are plain data so
they cross process boundaries cheaply."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.errors import BatchUnavailable, MalformedReading, SignatureInvalid
from ledger.readings import ZERO_ADDRESS, encode_reading_dict, keccak, recover_encoded
from ledger.verify.batches import batch_location, load_document


@dataclass
class BadReading:
    index: int
    device: str
    seq: int
    reason: str


@dataclass
class BatchResult:
    root: str  # the on-chain readings root this batch was fetched for
    location: str
    error: str | None = None  # missing / unreadable: nothing else is meaningful
    computed_root: str = ""
    readings: int = 0
    chain_id: int | None = None
    registry: str | None = None
    station_id: int | None = None
    interval_start: int | None = None
    devices: dict[str, int] = field(default_factory=dict)  # lower-case address -> readings
    bad: list[BadReading] = field(default_factory=list)
    # participant (lower-case) -> (timestamp, chargedWh, dischargedWh, device) of its latest reading
    last_counters: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)


def check_batch(archive: str, root: str, separator: bytes) -> BatchResult:
    location = batch_location(archive, root)
    result = BatchResult(root=root, location=location)
    try:
        document = load_document(location)
    except BatchUnavailable as exc:
        result.error = exc.reason
        return result
    result.chain_id = _int_or_none(document.get("chain_id"))
    result.registry = str(document.get("registry", "")) or None
    result.station_id = _int_or_none(document.get("station_id"))
    result.interval_start = _int_or_none(document.get("interval_start"))
    check_readings(document["readings"], separator, result)
    return result


def check_readings(readings: list[Any], separator: bytes, result: BatchResult) -> None:
    leaves: list[bytes] = []
    devices = result.devices
    last = result.last_counters
    bad = result.bad
    for index, data in enumerate(readings):
        device = str(data.get("device", "?")) if isinstance(data, dict) else "?"
        seq = data.get("seq", -1) if isinstance(data, dict) else -1
        try:
            if not isinstance(data, dict):
                raise MalformedReading("<reading>", "not a JSON object")
            encoded = encode_reading_dict(data)
            sig_hex = data.get("signature")
            if not isinstance(sig_hex, str) or len(sig_hex) != 132:
                raise MalformedReading("signature", "expected 0x-hex of 65 bytes")
            sig = bytes.fromhex(sig_hex[2:])
        except (MalformedReading, ValueError) as exc:
            bad.append(BadReading(index, device, seq if isinstance(seq, int) else -1, str(exc)))
            continue
        leaves.append(keccak(keccak(encoded + sig[:64] + sig[64].to_bytes(32, "big"))))
        try:
            signer = recover_encoded(encoded, sig, separator)
        except SignatureInvalid as exc:
            bad.append(BadReading(index, device, seq, str(exc)))
            continue
        claimed = device.lower()
        if signer.hex() != claimed[2:]:
            bad.append(
                BadReading(
                    index,
                    device,
                    seq,
                    f"signature recovers to 0x{signer.hex()}, not to the device that the "
                    "reading names",
                )
            )
            continue
        devices[claimed] = devices.get(claimed, 0) + 1
        participant = data["participant"].lower()
        if participant != ZERO_ADDRESS:
            ts = data["timestamp"]
            if ts >= last.get(participant, (-1, 0, 0, ""))[0]:
                last[participant] = (ts, data["chargedWh"], data["dischargedWh"], claimed)
    result.readings = len(readings)
    if leaves:
        result.computed_root = "0x" + fast_root(leaves).hex()


def fast_root(leaves: list[bytes]) -> bytes:
    """ledger.merkle's root (OpenZeppelin layout) with the faster keccak of ledger.readings."""
    ordered = sorted(leaves)
    n = len(ordered)
    tree: list[bytes] = [b""] * (2 * n - 1)
    for i, leaf in enumerate(ordered):
        tree[len(tree) - 1 - i] = leaf
    for i in range(len(tree) - 1 - n, -1, -1):
        a, b = tree[2 * i + 1], tree[2 * i + 2]
        tree[i] = keccak(a + b if a < b else b + a)
    return tree[0]


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check_batch_job(args: tuple[str, str, bytes]) -> BatchResult:
    """`check_batch` with one tuple argument, for `Executor.map`."""
    return check_batch(*args)
