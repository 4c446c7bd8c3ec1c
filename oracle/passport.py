"""Daily pack health snapshots: from the signed BMS readings of one pack and one UTC day to its
archived telemetry batch (the archive's batch format, content-addressed by the Merkle root), its
summary (ledger.passport_summary, the rules the verifier recomputes) and the k-of-n oracle
signatures over the snapshot or a batch of snapshots.

Independent of oracle/service.py: the running oracle (oracle/passport_days.py, [[passports]])
calls `day_snapshots` and `quorum_sign` after each UTC day with the readings its validator
accepted from the packs' BMS devices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account

from ledger.passport_snapshots import DAY, Snapshot, sign_batch, sign_snapshot
from ledger.passport_summary import PackDaySummary, row_of, summarize
from ledger.reports import ordered_signatures
from oracle.aggregate import IntervalBatch, batch_of
from oracle.archive import write_batch
from oracle.errors import OracleError
from oracle.reading import SignedReading


@dataclass(frozen=True)
class PackBinding:
    """A passport and the registry BMS device installed to measure it (oracle config)."""

    passport: bytes
    device_id: int
    bms_address: str


class PackDayMissing(OracleError):
    def __init__(self, passport: bytes, day: int) -> None:
        super().__init__(
            f"passport 0x{passport.hex()} has no BMS readings on day {day}: the day is a gap, "
            "no snapshot is made (check the BMS source)"
        )


class SnapshotQuorumNotReached(OracleError):
    def __init__(self, day: int, threshold: int, refusals: list[tuple[str, str]]) -> None:
        why = "; ".join(f"{n}: {r}" for n, r in refusals) or "no node signed"
        super().__init__(f"day {day}: fewer than {threshold} oracle nodes agree ({why})")


def pack_day_batch(station_id: int, day: int, readings: Sequence[SignedReading]) -> IntervalBatch:
    """The day's telemetry as an archive batch covering [day start, day end)."""
    return batch_of(station_id, day * DAY, (day + 1) * DAY, readings)


def summarize_readings(day: int, readings: Sequence[SignedReading], root: bytes) -> PackDaySummary:
    return summarize(day, [row_of(r.reading) for r in readings], root)


@dataclass(frozen=True)
class PackDay:
    binding: PackBinding
    summary: PackDaySummary
    snapshot: Snapshot
    batch_path: Path


def day_snapshots(
    bindings: Sequence[PackBinding],
    readings_by_device: Mapping[str, Sequence[SignedReading]],
    *,
    station_id: int,
    day: int,
    config_digest: bytes,
    archive: Path,
    chain_id: int,
    registry: str,
) -> list[PackDay]:
    """One snapshot per bound pack for `day`; each pack's readings are written to the archive
    first (so the root on-chain always has its file). Readings of other devices or outside the
    day are refused, never silently dropped."""
    out = []
    for b in bindings:
        readings = readings_by_device.get(b.bms_address, ())
        if not readings:
            raise PackDayMissing(b.passport, day)
        for r in readings:
            if r.reading.device != b.bms_address:
                raise ValueError(
                    f"reading seq {r.reading.seq}: device {r.reading.device} is not the BMS "
                    f"{b.bms_address} bound to passport 0x{b.passport.hex()}"
                )
        batch = pack_day_batch(station_id, day, readings)
        path = write_batch(archive, batch, chain_id=chain_id, registry=registry)
        summary = summarize_readings(day, readings, batch.root)
        out.append(
            PackDay(b, summary, summary.snapshot(b.passport, b.device_id, config_digest), path)
        )
    return out


def quorum_sign(
    proposal: Sequence[Snapshot],
    readings_by_device: Mapping[str, Sequence[SignedReading]],
    bindings: Sequence[PackBinding],
    node_keys: Sequence[bytes],
    threshold: int,
    *,
    chain_id: int,
    passports_address: str,
    batch: bool,
) -> list[bytes]:
    """Each node recomputes every proposed snapshot from the readings and signs only when all
    agree (one signature over the batch, or over the single snapshot); at least `threshold`
    signatures in ascending signer order, or SnapshotQuorumNotReached naming the refusals."""
    by_passport = {b.passport: b for b in bindings}
    signed: list[tuple[str, bytes]] = []
    refusals: list[tuple[str, str]] = []
    for key in node_keys:
        node = str(Account.from_key(key).address)
        why = _disagreement(proposal, readings_by_device, by_passport)
        if why:
            refusals.append((node, why))
            continue
        if batch:
            sig = sign_batch(proposal, key, chain_id, passports_address)
        else:
            if len(proposal) != 1:
                raise ValueError("a single-snapshot signature needs exactly one snapshot")
            sig = sign_snapshot(proposal[0], key, chain_id, passports_address)
        signed.append((node, sig))
        if len(signed) == threshold:
            break
    if len(signed) < threshold:
        raise SnapshotQuorumNotReached(proposal[0].day if proposal else 0, threshold, refusals)
    return ordered_signatures(signed)


def _disagreement(
    proposal: Sequence[Snapshot],
    readings_by_device: Mapping[str, Sequence[SignedReading]],
    by_passport: Mapping[bytes, PackBinding],
) -> str:
    for s in proposal:
        b = by_passport.get(s.passport)
        if b is None or b.device_id != s.device_id:
            return f"passport 0x{s.passport.hex()} is not bound to device {s.device_id}"
        readings = readings_by_device.get(b.bms_address, ())
        if not readings:
            return f"no readings of {b.bms_address} on day {s.day}"
        root = batch_of(0, 0, 0, readings).root
        own = summarize_readings(s.day, readings, root).snapshot(
            s.passport, s.device_id, s.config_digest
        )
        if own != s:
            fields = [f for f in own.__dataclass_fields__ if getattr(own, f) != getattr(s, f)]
            return f"passport 0x{s.passport.hex()} day {s.day} differs in {', '.join(fields)}"
    return ""
