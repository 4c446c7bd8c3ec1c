"""BatteryPassports health snapshots: the EIP-712 digests match the Python ones, k-of-n oracle
signatures, and every snapshot rule (device, day order, monotonic counters, SOH tolerance and
repairs), single and batched."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account

from devnet.world import World
from ledger.client import Ledger
from ledger.errors import ContractRevert, revert_class
from ledger.passport_snapshots import batch_digest, quorum_signatures, snapshot_digest
from ledger.registry import RegistryClient
from tests.passport_helpers import (
    DAY0,
    PassportActors,
    config_digest,
    installed_pack,
    make_actors,
    oracle_sigs,
    snapshot,
)


@pytest.fixture
def pa(ledger: Ledger, world: World) -> PassportActors:
    return make_actors(ledger, world)


@pytest.fixture
def pack(pa: PassportActors) -> bytes:
    return installed_pack(pa)


def expect(error: str, call: object) -> dict[str, object]:
    with pytest.raises(revert_class(error)) as caught:
        call()  # type: ignore[operator]
    exc: ContractRevert = caught.value
    return exc.arguments


def test_digests_match_the_contract(pa: PassportActors, pack: bytes) -> None:
    digest = config_digest(pa.admin.ledger)
    one = snapshot(pack, DAY0, pa.bms[0], digest, temp_min_deci_c=-55)
    two = snapshot(pack, DAY0 + 1, pa.bms[0], digest)
    chain_id, address = pa.admin.ledger.chain_id, pa.admin.address
    assert pa.admin.hash_snapshot(one) == snapshot_digest(one, chain_id, address)
    assert pa.admin.hash_batch([one, two]) == batch_digest([one, two], chain_id, address)


def test_snapshot_is_anchored_and_updates_the_health_state(pa: PassportActors, pack: bytes) -> None:
    s = snapshot(pack, DAY0, pa.bms[0], config_digest(pa.admin.ledger))
    pa.stranger.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, s))  # anyone may relay
    got = pa.admin.passport(pack)
    assert (got.last_day, got.soh_bps, got.cycle_count) == (DAY0, s.soh_bps, s.cycle_count)
    assert (got.charged_wh_total, got.discharged_wh_total) == (
        s.charged_wh_total,
        s.discharged_wh_total,
    )
    [anchored] = pa.admin.snapshots(pack)
    assert anchored.snapshot == s  # decoded from the packed record
    assert anchored.digest == pa.admin.hash_snapshot(s)


def test_batch_anchors_every_pack_under_one_signature_set(pa: PassportActors) -> None:
    first = installed_pack(pa, 1, 0)
    second = installed_pack(pa, 2, 1)
    digest = config_digest(pa.admin.ledger)
    batch = [snapshot(first, DAY0, pa.bms[0], digest), snapshot(second, DAY0, pa.bms[1], digest)]
    pa.admin.submit_batch(batch, oracle_sigs(pa.admin, pa.world, batch))
    assert pa.admin.passport(first).last_day == DAY0 == pa.admin.passport(second).last_day
    anchored = pa.admin.snapshots(second)[0]
    assert anchored.digest == pa.admin.hash_batch(batch)
    assert expect("BatteryPassportsEmptyBatch", lambda: pa.admin.submit_batch([], [])) == {}


def test_batch_with_one_bad_snapshot_anchors_nothing(pa: PassportActors) -> None:
    first = installed_pack(pa, 1, 0)
    second = installed_pack(pa, 2, 1)
    digest = config_digest(pa.admin.ledger)
    batch = [snapshot(first, DAY0, pa.bms[0], digest), snapshot(second, DAY0, pa.bms[0], digest)]
    expect(
        "BatteryPassportsWrongDevice",
        lambda: pa.admin.submit_batch(batch, oracle_sigs(pa.admin, pa.world, batch)),
    )
    assert pa.admin.passport(first).last_day == 0


def test_signature_rules(pa: PassportActors, pack: bytes) -> None:
    s = snapshot(pack, DAY0, pa.bms[0], config_digest(pa.admin.ledger))
    sigs = oracle_sigs(pa.admin, pa.world, s)
    args = expect("BatteryPassportsQuorumNotReached", lambda: pa.admin.submit_snapshot(s, sigs[:1]))
    assert args == {"signatures": 1, "threshold": 2}
    args = expect(
        "BatteryPassportsSignersNotAscending", lambda: pa.admin.submit_snapshot(s, sigs[::-1])
    )
    assert set(args.values()) == {
        Account._recover_hash(pa.admin.hash_snapshot(s), signature=x) for x in sigs
    }
    args = expect(
        "BatteryPassportsSignatureInvalid",
        lambda: pa.admin.submit_snapshot(s, [sigs[0], sigs[1][:64]]),
    )
    assert args == {"index": 1, "reason": 2}
    stranger = Account.from_key(b"\x42" * 32)
    forged = quorum_signatures(
        [pa.world.oracles[0].key, stranger.key], pa.admin.ledger.chain_id, pa.admin.address, s
    )
    args = expect("BatteryPassportsSignerNotOracle", lambda: pa.admin.submit_snapshot(s, forged))
    assert args == {"signer": stranger.address}
    # signatures over another snapshot recover to strangers too
    other = replace(s, soh_bps=s.soh_bps - 1)
    expect(
        "BatteryPassportsSignerNotOracle",
        lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, other)),
    )


def test_config_digest_must_be_current(pa: PassportActors, pack: bytes) -> None:
    stale = config_digest(pa.admin.ledger)
    world = pa.world
    RegistryClient(pa.admin.ledger).set_oracle_set(
        sorted((o.address for o in world.oracles), key=lambda a: int(a, 16)), 2
    )
    current = config_digest(pa.admin.ledger)
    s = snapshot(pack, DAY0, pa.bms[0], stale)
    args = expect(
        "BatteryPassportsConfigDigestMismatch",
        lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, world, s)),
    )
    assert args == {"current": current, "reported": stale}


def test_removed_oracle_is_refused_after_a_set_change(pa: PassportActors, pack: bytes) -> None:
    world = pa.world
    s = snapshot(pack, DAY0, pa.bms[0], config_digest(pa.admin.ledger))
    pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, world, s))  # remembers the signer set
    keep = sorted((o.address for o in world.oracles[1:]), key=lambda a: int(a, 16))
    RegistryClient(pa.admin.ledger).set_oracle_set(keep, 1)
    s2 = snapshot(pack, DAY0 + 1, pa.bms[0], config_digest(pa.admin.ledger))
    args = expect(
        "BatteryPassportsSignerNotOracle",
        lambda: pa.admin.submit_snapshot(s2, oracle_sigs(pa.admin, world, s2)),
    )
    assert args == {"signer": world.oracles[0].address}


def test_snapshot_needs_the_installed_device_and_an_open_passport(
    pa: PassportActors, pack: bytes
) -> None:
    digest = config_digest(pa.admin.ledger)
    wrong = snapshot(pack, DAY0, pa.bms[1], digest)
    args = expect(
        "BatteryPassportsWrongDevice",
        lambda: pa.admin.submit_snapshot(wrong, oracle_sigs(pa.admin, pa.world, wrong)),
    )
    assert args == {"passport": pack, "installedDevice": pa.bms[0], "reportedDevice": pa.bms[1]}
    pa.operator.remove(pack)
    s = snapshot(pack, DAY0, pa.bms[0], digest)
    args = expect(
        "BatteryPassportsNotInstalled",
        lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, s)),
    )
    assert args == {"passport": pack}


def test_day_order_and_monotonic_counters(pa: PassportActors, pack: bytes) -> None:
    digest = config_digest(pa.admin.ledger)
    base = snapshot(pack, DAY0, pa.bms[0], digest)
    pa.admin.submit_snapshot(base, oracle_sigs(pa.admin, pa.world, base))

    def refused(error: str, **changes: object) -> dict[str, object]:
        s = replace(snapshot(pack, DAY0 + 1, pa.bms[0], digest), **changes)  # type: ignore[arg-type]
        return expect(
            error, lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, s))
        )

    assert refused("BatteryPassportsSnapshotNotAfter", day=DAY0) == {
        "passport": pack,
        "day": DAY0,
        "lastDay": DAY0,
    }
    assert refused("BatteryPassportsCycleCountDecreased", cycle_count=base.cycle_count - 1) == {
        "passport": pack,
        "previous": base.cycle_count,
        "reported": base.cycle_count - 1,
    }
    assert refused(
        "BatteryPassportsThroughputDecreased", charged_wh_total=base.charged_wh_total - 1
    ) == {
        "passport": pack,
        "previousWh": base.charged_wh_total,
        "reportedWh": base.charged_wh_total - 1,
    }
    assert (
        refused(
            "BatteryPassportsThroughputDecreased", discharged_wh_total=base.discharged_wh_total - 1
        )["previousWh"]
        == base.discharged_wh_total
    )
    assert refused("BatteryPassportsCounterTooLarge", charged_wh_total=2**48) == {
        "passport": pack,
        "reportedWh": 2**48,
        "limitWh": 2**48 - 1,
    }
    assert refused("BatteryPassportsSohOutOfRange", soh_bps=10_001) == {
        "passport": pack,
        "sohBps": 10_001,
    }
    tolerance = pa.admin.soh_tolerance_bps()
    assert tolerance == 100
    assert refused("BatteryPassportsSohRose", soh_bps=base.soh_bps + tolerance + 1) == {
        "passport": pack,
        "previousBps": base.soh_bps,
        "reportedBps": base.soh_bps + tolerance + 1,
        "toleranceBps": tolerance,
    }
    # within the tolerance is fine; a gap of days is fine
    ok = snapshot(pack, DAY0 + 3, pa.bms[0], digest, soh_bps=base.soh_bps + tolerance)
    pa.admin.submit_snapshot(ok, oracle_sigs(pa.admin, pa.world, ok))
    assert pa.admin.passport(pack).last_day == DAY0 + 3


def test_recorded_repair_allows_one_soh_rise(pa: PassportActors, pack: bytes) -> None:
    digest = config_digest(pa.admin.ledger)
    base = snapshot(pack, DAY0, pa.bms[0], digest)
    pa.admin.submit_snapshot(base, oracle_sigs(pa.admin, pa.world, base))
    pa.operator.record_repair(pack, b"\x01" * 32)
    repaired = snapshot(pack, DAY0 + 1, pa.bms[0], digest, soh_bps=9_300)
    pa.admin.submit_snapshot(repaired, oracle_sigs(pa.admin, pa.world, repaired))
    assert not pa.admin.passport(pack).repair_pending
    again = snapshot(pack, DAY0 + 2, pa.bms[0], digest, soh_bps=9_500)
    expect(
        "BatteryPassportsSohRose",
        lambda: pa.admin.submit_snapshot(again, oracle_sigs(pa.admin, pa.world, again)),
    )


def test_closed_and_wasted_passports_take_no_snapshots(pa: PassportActors, pack: bytes) -> None:
    digest = config_digest(pa.admin.ledger)
    pa.operator.remove(pack)
    pa.operator.hand_over(pack, pa.address(pa.recycler))
    pa.recycler.mark_waste(pack)
    s = snapshot(pack, DAY0, pa.bms[0], digest)
    assert expect(
        "BatteryPassportsIsWaste",
        lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, pa.world, s)),
    ) == {"passport": pack}
