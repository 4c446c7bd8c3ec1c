"""Every StorageLedger check rejects with its own custom error and the offending values, and a
rejected report changes nothing on chain."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account

from devnet.world import DAY_START, INTERVAL_S, World
from ledger.client import Ledger
from ledger.errors import UnknownErrorName, revert_class
from ledger.keys import devnet_keys
from ledger.registry import RegistryClient
from ledger.reports import ordered_signatures, report_digest, sign_report
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.helpers import report, signatures, submit, with_root

MWH = 1_000_000
EFF = 8800


def _stranger() -> Account:
    return Account.from_key(devnet_keys()[13])


def _start(index: int) -> int:
    return DAY_START + index * INTERVAL_S


def test_quorum_not_reached_with_one_signature(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    with pytest.raises(revert_class("StorageLedgerQuorumNotReached")) as e:
        StorageLedgerClient(ledger).submit(r, signatures(ledger, world, r, count=1))
    assert e.value.arguments == {"signatures": 1, "threshold": 2}


def test_duplicate_signer_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    oracle = world.oracles[0]
    sig = sign_report(r, oracle.key, ledger.chain_id, StorageLedgerClient(ledger).address)
    with pytest.raises(revert_class("StorageLedgerSignersNotAscending")) as e:
        StorageLedgerClient(ledger).submit(r, [sig, sig])
    assert e.value.arguments == {"previous": oracle.address, "signer": oracle.address}


def test_unsorted_signers_are_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    sigs = signatures(ledger, world, r)
    low, high = sorted((o.address for o in world.oracles[:2]), key=lambda a: int(a, 16))
    with pytest.raises(revert_class("StorageLedgerSignersNotAscending")) as e:
        StorageLedgerClient(ledger).submit(r, list(reversed(sigs)))
    assert e.value.arguments == {"previous": high, "signer": low}


def test_unregistered_signer_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    client = StorageLedgerClient(ledger)
    stranger = _stranger()
    signed = [
        (o.address, sign_report(r, o.key, ledger.chain_id, client.address))
        for o in (world.oracles[0], stranger)
    ]
    with pytest.raises(revert_class("StorageLedgerSignerNotOracle")) as e:
        client.submit(r, ordered_signatures(signed))
    assert e.value.arguments == {"signer": stranger.address}
    assert client.account_of(station, world.participants[0].address).charged_wh == 0


def test_malformed_signature_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    sigs = signatures(ledger, world, r)
    with pytest.raises(revert_class("StorageLedgerSignatureInvalid")) as e:
        StorageLedgerClient(ledger).submit(r, [sigs[0], sigs[1][:64]])
    assert e.value.arguments == {
        "index": 1,
        "reason": 2,
    }  # ECDSA.RecoverError.InvalidSignatureLength


def test_wrong_config_digest_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = replace(
        report(ledger, station, 0, {world.participants[0].address: (MWH, 0)}),
        config_digest=b"\x42" * 32,
    )
    current = RegistryClient(ledger).oracle_config().digest
    with pytest.raises(revert_class("StorageLedgerConfigDigestMismatch")) as e:
        submit(ledger, world, r)
    assert e.value.arguments == {
        "stationId": station,
        "intervalStart": _start(0),
        "current": current,
        "reported": b"\x42" * 32,
    }


def test_unknown_station_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    r = report(ledger, 99, 0, {world.participants[0].address: (MWH, 0)})
    with pytest.raises(revert_class("StorageLedgerUnknownStation")) as e:
        submit(ledger, world, r)
    assert e.value.arguments == {"stationId": 99}


@pytest.mark.parametrize(("shift", "length"), [(1, INTERVAL_S), (0, INTERVAL_S - 1), (0, 2 * 900)])
def test_interval_off_the_grid_is_rejected(
    ledger: Ledger, world: World, station: int, shift: int, length: int
) -> None:
    base = report(ledger, station, 0, {world.participants[0].address: (MWH, 0)})
    start = base.interval_start + shift
    r = replace(base, interval_start=start, interval_end=start + length)
    with pytest.raises(revert_class("StorageLedgerIntervalOffGrid")) as e:
        submit(ledger, world, r)
    assert e.value.arguments == {
        "stationId": station,
        "intervalStart": start,
        "intervalEnd": start + length,
    }


def test_overlap_with_an_earlier_interval_is_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 2, {gen: (MWH, 0)}))
    for index in (0, 1):  # before the accepted one, in the same and in another key slot
        with pytest.raises(revert_class("StorageLedgerIntervalOverlap")) as e:
            submit(ledger, world, report(ledger, station, index, {gen: (2 * MWH, 0)}))
        assert e.value.arguments == {
            "stationId": station,
            "intervalStart": _start(index),
            "previousEnd": _start(3),
        }


@pytest.mark.parametrize("which", ["charged", "discharged"])
def test_counter_going_backwards_is_rejected(
    ledger: Ledger, world: World, station: int, which: str
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 2 * MWH)}))
    later = (9 * MWH, 2 * MWH) if which == "charged" else (10 * MWH, MWH)
    with pytest.raises(revert_class("StorageLedgerCounterDecreased")) as e:
        submit(ledger, world, report(ledger, station, 1, {gen: later}))
    previous, reported = (10 * MWH, 9 * MWH) if which == "charged" else (2 * MWH, MWH)
    assert e.value.arguments == {
        "stationId": station,
        "participant": gen,
        "previousWh": previous,
        "reportedWh": reported,
    }


def test_participant_without_lease_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    stranger = _stranger().address
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")) as e:
        submit(ledger, world, report(ledger, station, 0, {stranger: (MWH, 0)}))
    assert e.value.arguments == {"stationId": station, "participant": stranger, "at": _start(0)}


def test_expired_lease_is_rejected_even_after_the_ledger_cached_it(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0]
    submit(ledger, world, report(ledger, station, 0, {gen.address: (MWH, 0)}))  # terms cached
    RegistryClient(ledger).set_lease(
        station, gen.address, gen.leased_wh, DAY_START - 86_400, _start(1)
    )
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")) as e:
        submit(ledger, world, report(ledger, station, 1, {gen.address: (2 * MWH, 0)}))
    assert e.value.arguments == {"stationId": station, "participant": gen.address, "at": _start(1)}


def test_lease_not_yet_valid_and_zero_lease_are_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0]
    registry = RegistryClient(ledger)
    registry.set_lease(station, gen.address, gen.leased_wh, _start(1), _start(10))
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")):
        submit(ledger, world, report(ledger, station, 0, {gen.address: (MWH, 0)}))
    submit(ledger, world, report(ledger, station, 1, {gen.address: (MWH, 0)}))
    registry.set_lease(station, gen.address, 0, _start(0), _start(10))
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")):
        submit(ledger, world, report(ledger, station, 2, {gen.address: (2 * MWH, 0)}))


def test_balance_below_zero_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    con = world.participants[3].address
    with pytest.raises(revert_class("StorageLedgerBalanceNegative")) as e:
        submit(ledger, world, report(ledger, station, 0, {con: (10 * MWH, 9 * MWH)}))
    assert e.value.arguments == {
        "stationId": station,
        "participant": con,
        "availableWh": 10 * MWH * EFF // 10_000,
        "dischargedWh": 9 * MWH,
    }


def test_balance_above_leased_capacity_is_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    small = world.participants[2]  # 20 MWh lease
    charged = 25 * MWH
    with pytest.raises(revert_class("StorageLedgerLeaseExceeded")) as e:
        submit(ledger, world, report(ledger, station, 0, {small.address: (charged, 0)}))
    assert e.value.arguments == {
        "stationId": station,
        "participant": small.address,
        "balanceWh": charged * EFF // 10_000,
        "leasedWh": small.leased_wh,
    }


def test_energy_balance_violation_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    # The participant holds 8.8 MWh, but the BMS reported an empty battery at the end of interval 0.
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0)}, soc_bps=0))
    with pytest.raises(revert_class("StorageLedgerEnergyBalanceViolated")) as e:
        submit(ledger, world, report(ledger, station, 1, {gen: (10 * MWH, 5 * MWH)}))
    assert e.value.arguments == {
        "stationId": station,
        "intervalStart": _start(1),
        "dischargedWh": 5 * MWH,
        "chargedWh": 0,
        "storedWh": 0,
    }
    assert StorageLedgerClient(ledger).account_of(station, gen).discharged_wh == 0


def test_state_out_of_range_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    with pytest.raises(revert_class("StorageLedgerStateOutOfRange")) as e:
        submit(ledger, world, report(ledger, station, 0, {gen: (MWH, 0)}, soc_bps=10_001))
    assert e.value.arguments == {"stationId": station, "socBps": 10_001, "sohBps": 9900}


def test_unsorted_and_duplicate_participants_are_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    a, b = world.participants[0].address, world.participants[1].address
    r = report(ledger, station, 0, {a: (MWH, 0), b: (MWH, 0)})
    low, high = r.participants
    for deltas, previous, participant in (
        ((high, low), high.participant, low.participant),
        ((low, low), low.participant, low.participant),
    ):
        with pytest.raises(revert_class("StorageLedgerParticipantsNotAscending")) as e:
            submit(ledger, world, replace(r, participants=deltas))
        assert e.value.arguments == {"previous": previous, "participant": participant}


def test_conflicting_resubmission_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    client = StorageLedgerClient(ledger)
    first = report(ledger, station, 0, {gen: (MWH, 0)})
    submit(ledger, world, first)
    other = with_root(first, b"\x22" * 32)
    stored = report_digest(first, ledger.chain_id, client.address)[:16]
    with pytest.raises(revert_class("StorageLedgerReportConflict")) as e:
        submit(ledger, world, other)
    assert e.value.arguments == {
        "stationId": station,
        "intervalStart": _start(0),
        "storedDigest": stored,
        "reportedDigest": report_digest(other, ledger.chain_id, client.address),
    }
    assert client.report_of(station, _start(0)).digest_prefix == stored


def test_batch_length_mismatch_is_rejected(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    reports = [report(ledger, station, i, {gen: ((i + 1) * MWH, 0)}) for i in range(2)]
    with pytest.raises(revert_class("StorageLedgerLengthMismatch")) as e:
        StorageLedgerClient(ledger).submit_many(reports, [signatures(ledger, world, reports[0])])
    assert e.value.arguments == {"reports": 2, "signatureSets": 1}


def test_a_rejected_report_in_a_batch_rolls_back_the_whole_batch(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    good = report(ledger, station, 0, {gen: (MWH, 0)})
    bad = report(ledger, station, 1, {gen: (MWH, 5 * MWH)})
    client = StorageLedgerClient(ledger)
    with pytest.raises(revert_class("StorageLedgerBalanceNegative")):
        client.submit_many(
            [good, bad], [signatures(ledger, world, good), signatures(ledger, world, bad)]
        )
    assert client.account_of(station, gen).charged_wh == 0
    assert client.report_of(station, _start(0)).accepted is False


def test_consume_avoided_needs_the_writer_role(ledger: Ledger, world: World, station: int) -> None:
    gen = world.participants[0].address
    role = RegistryClient(ledger).role("LEDGER_WRITER_ROLE")
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as e:
        ledger.transact("StorageLedger", "consumeAvoided", station, gen, 1)
    assert e.value.arguments == {"account": ledger.tx.address, "neededRole": role}


def test_consume_avoided_beyond_the_unissued_balance_is_rejected(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    charged = report(ledger, station, 0, {gen: (10 * MWH, 0)})
    submit(ledger, world, charged)
    StorageLedgerClient(ledger.as_account(world.grid_operator)).attest_curtailment(
        station, charged.interval_start, [CurtailedCharge(gen, 10 * MWH)]
    )
    submit(ledger, world, report(ledger, station, 1, {gen: (10 * MWH, 4 * MWH)}))
    RegistryClient(ledger).grant("LEDGER_WRITER_ROLE", ledger.tx.address)
    client = StorageLedgerClient(ledger)
    unissued = client.avoided_of(station, gen).unissued_grams
    assert unissued > 0
    ledger.transact("StorageLedger", "consumeAvoided", station, gen, 1000)
    with pytest.raises(revert_class("StorageLedgerInsufficientAvoided")) as e:
        ledger.transact("StorageLedger", "consumeAvoided", station, gen, unissued)
    assert e.value.arguments == {
        "stationId": station,
        "participant": gen,
        "unissuedGrams": unissued - 1000,
        "requestedGrams": unissued,
    }
    after = client.avoided_of(station, gen)
    assert (after.consumed_grams, after.unissued_grams) == (1000, unissued - 1000)


def test_removed_oracle_is_rejected_after_its_signer_set_was_remembered(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (MWH, 0)}))  # signer set remembered
    kept, removed = world.oracles[0], world.oracles[1]
    RegistryClient(ledger).set_oracle_set([kept.address, world.oracles[2].address], 2)
    r = report(ledger, station, 1, {gen: (2 * MWH, 0)})
    client = StorageLedgerClient(ledger)
    signed = [
        (o.address, sign_report(r, o.key, ledger.chain_id, client.address)) for o in (kept, removed)
    ]
    with pytest.raises(revert_class("StorageLedgerSignerNotOracle")) as e:
        client.submit(r, ordered_signatures(signed))
    assert e.value.arguments == {"signer": removed.address}


@pytest.mark.parametrize("which", ["charged", "discharged"])
def test_counter_above_the_48_bit_limit_is_rejected(
    ledger: Ledger, world: World, station: int, which: str
) -> None:
    gen = world.participants[0].address
    counters = (2**48, 0) if which == "charged" else (MWH, 2**48)
    with pytest.raises(revert_class("StorageLedgerCounterTooLarge")) as e:
        submit(ledger, world, report(ledger, station, 0, {gen: counters}))
    assert e.value.arguments == {
        "stationId": station,
        "participant": gen,
        "reportedWh": 2**48,
        "limitWh": 2**48 - 1,
    }
    assert StorageLedgerClient(ledger).account_of(station, gen).charged_wh == 0


def test_counter_at_the_48_bit_limit_is_accepted(
    ledger: Ledger, world: World, station: int
) -> None:
    gen = world.participants[0].address
    RegistryClient(ledger).set_lease(station, gen, 2**64 - 1, DAY_START - 86_400, _start(10))
    submit(ledger, world, report(ledger, station, 0, {gen: (2**48 - 1, 0)}))
    account = StorageLedgerClient(ledger).account_of(station, gen)
    assert account.charged_wh == 2**48 - 1
    assert account.balance_wh == (2**48 - 1) * EFF // 10_000


def test_lease_ending_soon_is_checked_against_the_registry(
    ledger: Ledger, world: World, station: int
) -> None:
    # The ledger caches validTo rounded down to 2^16 s: the last intervals before the end are
    # checked against the registry, with the same outcome as an exact cache.
    gen = world.participants[0]
    RegistryClient(ledger).set_lease(
        station, gen.address, gen.leased_wh, DAY_START - 86_400, _start(2)
    )
    submit(ledger, world, report(ledger, station, 0, {gen.address: (MWH, 0)}))
    submit(ledger, world, report(ledger, station, 1, {gen.address: (2 * MWH, 0)}))
    with pytest.raises(revert_class("StorageLedgerNoActiveLease")) as e:
        submit(ledger, world, report(ledger, station, 2, {gen.address: (3 * MWH, 0)}))
    assert e.value.arguments == {"stationId": station, "participant": gen.address, "at": _start(2)}


def test_revert_class_refuses_a_name_no_abi_declares(ledger: Ledger) -> None:
    assert revert_class("StorageLedgerIntervalOverlap").error_name == "StorageLedgerIntervalOverlap"
    with pytest.raises(UnknownErrorName, match="StorageLedgerUnauthorized"):
        revert_class("StorageLedgerUnauthorized")  # replaced by AccessControlUnauthorizedAccount
