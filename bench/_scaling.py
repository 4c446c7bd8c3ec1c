"""Gas per report against the number of participants (`bench gas`): one station with 100
leased participants; reports list a subset of them (sparse reports: a participant whose
counters did not change is left out by `oracle.aggregate.build_report` and costs nothing)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_utils import keccak

from bench._reports import MWH, interval_report, submit_run
from devnet.world import DAY_START, World
from ledger.client import Ledger
from ledger.keys import devnet_keys
from ledger.readings import DeviceDomain, Reading, sign_reading
from ledger.registry import RegistryClient, StationParams
from ledger.reports import IntervalReport, ParticipantDelta
from oracle.aggregate import Counters, batch_of, build_report

SIZES = (1, 5, 20, 50, 100)
STATION_PARTICIPANTS = 100
ACTIVE = 20


def _addresses(n: int) -> list[str]:
    keys = [keccak(text=f"essl-bench-participant:{i}") for i in range(n)]
    return sorted((Account.from_key(k).address for k in keys), key=lambda a: int(a, 16))


def _sparse_report(
    ledger: Ledger,
    station: int,
    index: int,
    digest: bytes,
    now: dict[str, Counters],
    previous: dict[str, Counters],
) -> IntervalReport:
    """The oracle's own report builder over a one-reading batch (the root is all the ledger
    sees of the readings)."""
    base = interval_report(station, index, digest, [])
    key = devnet_keys()[19]
    domain = DeviceDomain(ledger.chain_id, ledger.deployment.address("Registry"))
    reading = Reading(
        Account.from_key(key).address,
        station,
        "0x" + "00" * 20,
        index + 1,
        base.interval_start,
        0,
        0,
        0,
        5000,
        9900,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    batch = batch_of(
        station,
        base.interval_start,
        base.interval_end,
        [sign_reading(reading, bytes.fromhex(key.removeprefix("0x")), domain)],
    )
    return build_report(batch, config_digest=digest, counters=now, previous=previous)


def measure(ledger: Ledger, world: World, progress: bool) -> dict[str, Any]:
    registry = RegistryClient(ledger)
    digest = registry.oracle_config().digest
    params = StationParams(**{**world.station.__dict__, "external_code": "bench-scaling"})
    station = registry.register_station(params)
    people = _addresses(STATION_PARTICIPANTS)
    for who in people:
        registry.set_lease(station, who, 40 * MWH, DAY_START - 86_400, DAY_START + 86_400 * 365)
    counters = {who: Counters(MWH, 0) for who in people}
    # First report: every account created (not part of the figures).
    submit_run(
        ledger,
        world,
        [interval_report(station, 0, digest, [ParticipantDelta(w, MWH, 0) for w in people])],
    )
    by_size: dict[str, int] = {}
    index = 1
    for n in SIZES:  # the first n participants charge 1 MWh more; the others are left out
        for who in people[:n]:
            counters[who] = Counters(counters[who].charged_wh + MWH, 0)
        deltas = [ParticipantDelta(w, counters[w].charged_wh, 0) for w in people[:n]]
        (gas,) = submit_run(ledger, world, [interval_report(station, index, digest, deltas)])
        by_size[str(n)] = gas
        index += 1
    previous = dict(counters)
    for who in people[:: STATION_PARTICIPANTS // ACTIVE]:  # 20 active of 100
        counters[who] = Counters(counters[who].charged_wh + MWH, 0)
    sparse = _sparse_report(ledger, station, index, digest, counters, previous)
    assert len(sparse.participants) == ACTIVE, len(sparse.participants)
    (sparse_gas,) = submit_run(ledger, world, [sparse])
    marginal = round((by_size["100"] - by_size["1"]) / 99)
    if progress:
        print(f"gas per report by participants: {by_size}; marginal {marginal}")
        print(f"{STATION_PARTICIPANTS}-participant station, {ACTIVE} active: {sparse_gas}")
    return {
        "gas_per_report_by_participants": by_size,
        "marginal_gas_per_participant": marginal,
        f"sparse_report_gas_{STATION_PARTICIPANTS}_leased_{ACTIVE}_active": sparse_gas,
    }
