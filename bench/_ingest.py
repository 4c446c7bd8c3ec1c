"""Oracle ingest throughput: signature recovery + validation + Merkle leaf hashing + tree build,
in readings/s: single process; 2 worker processes doing the stateless part (recovery and leaf
hashing) while the parent validates ("offload"); 2 processes each owning half the devices
("sharded"). Over (a) one simulated day of the demo station (BMS every 10 s, 4 meters every 60 s)
and (b) 3 devices at 1 Hz (2 hours). Readings are generated and signed before timing starts."""

from __future__ import annotations

import gc
import multiprocessing as mp
import time
from collections.abc import Sequence
from typing import Any

from ledger.merkle import MerkleTree
from oracle.reading import DeviceDomain, SignedReading, address_of, keccak, recover_encoded
from oracle.sources.simulator import (
    Role,
    SimParticipant,
    SimStation,
    StationSimulator,
    demo_station,
    derived_key,
)
from oracle.validate import Validator

DOMAIN = DeviceDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
DAY_START = 1_699_977_600
CHUNK = 2_000
ROLES: tuple[Role, Role] = ("generator", "consumer")


def _one_hz_station() -> StationSimulator:
    participants = [
        SimParticipant(
            address_of(derived_key(1, f"p{i}")), role, 700_000, 500_000, derived_key(1, f"m{i}")
        )
        for i, role in enumerate(ROLES)
    ]
    station = SimStation(
        1, 4_000_000, 2_000_000, derived_key(1, "bms"), bms_period_s=1, meter_period_s=1
    )
    return StationSimulator(1, DAY_START, station, participants, DOMAIN)


def _settle() -> None:
    # Long-lived objects (the signed readings) out of the cyclic GC's way, as a long-running
    # oracle does after start-up; otherwise each collection walks all of them.
    gc.collect()
    gc.freeze()


def _single(sim: StationSimulator, readings: Sequence[SignedReading]) -> tuple[float, bytes]:
    _settle()
    validator = Validator(sim.station_info(), sim.device_infos(), DOMAIN)
    t = time.perf_counter()
    leaves = []
    for signed in readings:
        if not validator.validate(signed, signed.reading.timestamp).ok:
            raise RuntimeError("a simulated reading was rejected")
        leaves.append(signed.leaf())
    root = MerkleTree.from_leaf_hashes(leaves).root
    return time.perf_counter() - t, root


def _worker(args: tuple[bytes, list[tuple[bytes, bytes]]]) -> list[tuple[bytes, bytes]]:
    separator, chunk = args
    out = []
    for encoded, sig in chunk:
        signer = recover_encoded(encoded, sig, separator)
        leaf = keccak(keccak(encoded + sig[:64] + sig[64].to_bytes(32, "big")))
        out.append((signer, leaf))
    return out


def _two_process(
    sim: StationSimulator, readings: Sequence[SignedReading], pool: Any
) -> tuple[float, bytes]:
    _settle()
    validator = Validator(sim.station_info(), sim.device_infos(), DOMAIN)
    t = time.perf_counter()
    chunks = [
        (DOMAIN.separator, [(r.reading.encoded, r.signature) for r in readings[i : i + CHUNK]])
        for i in range(0, len(readings), CHUNK)
    ]
    leaves: list[bytes] = []
    i = 0
    # Workers recover and hash while this process validates the chunks already back, in order.
    for results in pool.imap(_worker, chunks):
        for signer, leaf in results:
            signed = readings[i]
            verdict = validator.validate(signed, signed.reading.timestamp, signer=signer)
            if not verdict.ok:
                raise RuntimeError("a simulated reading was rejected")
            leaves.append(leaf)
            i += 1
    root = MerkleTree.from_leaf_hashes(leaves).root
    return time.perf_counter() - t, root


# Set before the pool forks, so the sharded workers hold the readings as a worker that owns
# its devices' connections would; only the 32-byte leaves travel back.
_SHARED: dict[str, Any] = {}


def _shard_worker(shard: int) -> tuple[list[bytes], float]:
    sim: StationSimulator = _SHARED["sim"]
    readings: list[SignedReading] = _SHARED["readings"]
    mine = [r for r in readings if _SHARED["shard_of"][r.reading.device] == shard]
    validator = Validator(sim.station_info(), sim.device_infos(), DOMAIN)
    t = time.perf_counter()
    leaves = []
    for signed in mine:
        if not validator.validate(signed, signed.reading.timestamp).ok:
            raise RuntimeError("a simulated reading was rejected")
        leaves.append(signed.leaf())
    return leaves, time.perf_counter() - t


def _sharded(sim: StationSimulator, readings: list[SignedReading]) -> tuple[float, bytes]:
    """2 processes, each validating the readings of half the devices (per-device state makes
    devices the natural shard); the parent builds the tree."""
    counts: dict[str, int] = {}
    for r in readings:
        counts[r.reading.device] = counts.get(r.reading.device, 0) + 1
    load = [0, 0]
    shard_of: dict[str, int] = {}
    for device, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        shard_of[device] = load.index(min(load))
        load[shard_of[device]] += n
    _SHARED.update(sim=sim, readings=_fresh(readings), shard_of=shard_of)
    _settle()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(abs, [0, 0])  # workers up before timing
        t = time.perf_counter()
        parts = pool.map(_shard_worker, [0, 1])
        root = MerkleTree.from_leaf_hashes([leaf for leaves, _ in parts for leaf in leaves]).root
        elapsed = time.perf_counter() - t
    _SHARED.clear()
    return elapsed, root


def _fresh(readings: Sequence[SignedReading]) -> list[SignedReading]:
    # New objects, so a cached encoding from an earlier run is not reused in the timing.
    return [
        SignedReading(SignedReading.from_dict(r.to_dict()).reading, r.signature) for r in readings
    ]


def _case(
    name: str, sim: StationSimulator, readings: list[SignedReading], pool: Any
) -> dict[str, Any]:
    t1, root1 = _single(sim, _fresh(readings))
    t2, root2 = _two_process(sim, _fresh(readings), pool)
    t3, root3 = _sharded(sim, readings)
    if not root1 == root2 == root3:
        raise RuntimeError("single- and two-process Merkle roots differ")
    n = len(readings)
    return {
        f"{name}_readings": n,
        f"{name}_single_process_per_s": round(n / t1),
        f"{name}_two_process_offload_per_s": round(n / t2),
        f"{name}_two_process_sharded_per_s": round(n / t3),
    }


def run(progress: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"cpus": mp.cpu_count()}
    if progress:
        print("signing one simulated day of the demo station ...")
    day_sim = demo_station(7, DAY_START, DOMAIN)
    day = day_sim.readings_between(DAY_START, DAY_START + 86_400)
    if progress:
        print("signing 3 devices at 1 Hz for 2 hours ...")
    hz_sim = _one_hz_station()
    hz = hz_sim.readings_between(DAY_START + 10 * 3600, DAY_START + 12 * 3600)
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(_worker, [(DOMAIN.separator, [])] * 2)  # start the workers before timing
        for name, sim, readings in (("day_mix", day_sim, day), ("three_at_1hz", hz_sim, hz)):
            if progress:
                print(f"timing {name} ({len(readings)} readings) ...")
            figures.update(_case(name, sim, readings, pool))
    return figures
