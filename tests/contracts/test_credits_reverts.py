"""Every CarbonCredits revert, by its exact custom error and arguments."""

from __future__ import annotations

import pytest
from web3 import Web3

from ledger.client import Ledger
from ledger.credits import CreditState, RetireInfo
from ledger.errors import revert_class
from tests.credit_helpers import PERIOD, QH_GRAMS_PER_MWH, UNISSUED, Actors, request

VERIFIER_ROLE = Web3.keccak(text="VERIFIER_ROLE")
REGULATOR_ROLE = Web3.keccak(text="REGULATOR_ROLE")
ZERO = "0x0000000000000000000000000000000000000000"
CLAIM = RetireInfo(beneficiary="Xining Steel", purpose="2026 scope 2")


def test_constructor_rejects_zero_grams_per_unit(ledger: Ledger) -> None:
    art = ledger.build["CarbonCredits"]
    factory = ledger.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    args = (ledger.deployment.address("Registry"), ledger.deployment.address("StorageLedger"))
    with pytest.raises(revert_class("CarbonCreditsBelowOneUnit")) as caught:
        ledger.tx.transact(factory.constructor(*args, "essl://x/{id}", 0))
    assert caught.value.arguments == {"grams": 0, "gramsPerUnit": 0}


def test_request_by_a_stranger_is_refused(actors: Actors, station: int, avoided: int) -> None:
    gen = actors.gen.ledger.tx.address
    with pytest.raises(revert_class("CarbonCreditsNotParticipantOrOperator")) as caught:
        actors.consumer.request_issuance(
            station, gen, 1000, period_start=PERIOD[0], period_end=PERIOD[1], factor_version=avoided
        )
    assert caught.value.arguments == {
        "caller": actors.consumer.ledger.tx.address,
        "participant": gen,
    }


def test_station_operator_may_request_for_a_participant(
    actors: Actors, station: int, avoided: int
) -> None:
    gen = actors.gen.ledger.tx.address
    issuance = actors.operator.request_issuance(
        station, gen, 5000, period_start=PERIOD[0], period_end=PERIOD[1], factor_version=avoided
    )
    assert actors.admin.credit(issuance.request_id).participant == gen


def test_request_argument_errors(actors: Actors, station: int, avoided: int) -> None:
    gen = actors.gen.ledger.tx.address

    def ask(participant: str, grams: int, start: int, end: int, version: int) -> None:
        actors.gen.request_issuance(
            station, participant, grams, period_start=start, period_end=end, factor_version=version
        )

    with pytest.raises(revert_class("CarbonCreditsZeroParticipant")) as zero:
        ask(ZERO, 1000, *PERIOD, avoided)
    assert zero.value.arguments == {}
    with pytest.raises(revert_class("CarbonCreditsInvalidPeriod")) as period:
        ask(gen, 1000, PERIOD[1], PERIOD[1], avoided)
    assert period.value.arguments == {"periodStart": PERIOD[1], "periodEnd": PERIOD[1]}
    with pytest.raises(revert_class("CarbonCreditsBelowOneUnit")) as small:
        ask(gen, 999, *PERIOD, avoided)
    assert small.value.arguments == {"grams": 999, "gramsPerUnit": 1000}
    with pytest.raises(revert_class("CarbonCreditsAmountTooLarge")) as large:
        ask(gen, 2**48 * 1000, *PERIOD, avoided)
    assert large.value.arguments == {"units": 2**48}
    with pytest.raises(revert_class("CarbonCreditsInsufficientUnissued")) as short:
        ask(gen, UNISSUED + 1, *PERIOD, avoided)
    assert short.value.arguments == {
        "stationId": station,
        "participant": gen,
        "grams": UNISSUED + 1,
        "unissued": UNISSUED,
    }
    with pytest.raises(revert_class("CarbonCreditsFactorVersionMismatch")) as version:
        ask(gen, 1000, *PERIOD, avoided + 1)
    assert version.value.arguments == {"requested": avoided + 1, "ledger": avoided}


def test_only_verifiers_decide_and_only_regulators_revoke(
    actors: Actors, station: int, avoided: int, issued: int
) -> None:
    pending = request(actors, station, 2000, avoided)
    gen = actors.gen.ledger.tx.address
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as approve:
        actors.gen.approve(pending)
    assert approve.value.arguments == {"account": gen, "neededRole": VERIFIER_ROLE}
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as reject:
        actors.regulator.reject(pending)
    assert reject.value.arguments == {
        "account": actors.regulator.ledger.tx.address,
        "neededRole": VERIFIER_ROLE,
    }
    with pytest.raises(revert_class("AccessControlUnauthorizedAccount")) as revoke:
        actors.verifier.revoke(issued)
    assert revoke.value.arguments == {
        "account": actors.verifier.ledger.tx.address,
        "neededRole": REGULATOR_ROLE,
    }


def test_a_decided_or_unknown_request_cannot_be_decided_again(
    actors: Actors, station: int, avoided: int, issued: int
) -> None:
    with pytest.raises(revert_class("CarbonCreditsRequestNotPending")) as again:
        actors.verifier.approve(issued)
    assert again.value.arguments == {"requestId": issued, "state": CreditState.LIVE}
    rejected = request(actors, station, 2000, avoided)
    actors.verifier.reject(rejected, b"\x01" * 32)
    with pytest.raises(revert_class("CarbonCreditsRequestNotPending")) as after_reject:
        actors.verifier.approve(rejected)
    assert after_reject.value.arguments == {"requestId": rejected, "state": CreditState.REJECTED}
    with pytest.raises(revert_class("CarbonCreditsRequestNotPending")) as unknown:
        actors.verifier.reject(99)
    assert unknown.value.arguments == {"requestId": 99, "state": CreditState.NONE}


def test_two_requests_cannot_issue_the_same_grams_twice(
    actors: Actors, station: int, avoided: int
) -> None:
    first = request(actors, station, UNISSUED, avoided)
    second = request(actors, station, UNISSUED, avoided)
    minted = actors.verifier.approve(first)
    assert minted.units == UNISSUED // 1000 and minted.consumed_grams == UNISSUED // 1000 * 1000
    with pytest.raises(revert_class("StorageLedgerInsufficientAvoided")) as caught:
        actors.verifier.approve(second)
    assert caught.value.arguments == {
        "stationId": station,
        "participant": actors.gen.ledger.tx.address,
        "unissuedGrams": UNISSUED % 1000,
        "requestedGrams": UNISSUED // 1000 * 1000,
    }


def test_non_live_ids_cannot_move(actors: Actors, station: int, avoided: int) -> None:
    pending = request(actors, station, 2000, avoided)
    gen = actors.gen.ledger.tx.address
    with pytest.raises(revert_class("CarbonCreditsNotLive")) as transfer:
        actors.gen.transfer(actors.consumer.ledger.tx.address, pending, 1)
    assert transfer.value.arguments == {"id": pending, "state": CreditState.REQUESTED}
    with pytest.raises(revert_class("CarbonCreditsNotLive")) as retire:
        actors.gen.retire(7, 1, CLAIM)
    assert retire.value.arguments == {"id": 7, "state": CreditState.NONE}
    with pytest.raises(revert_class("CarbonCreditsNotLive")) as revoke:
        actors.regulator.revoke(pending)
    assert revoke.value.arguments == {"id": pending, "state": CreditState.REQUESTED}
    assert actors.admin.balance_of(gen, pending) == 0


def test_a_revoked_id_can_neither_move_nor_be_retired_nor_revoked_again(
    actors: Actors, issued: int
) -> None:
    gen, con = actors.gen.ledger.tx.address, actors.consumer.ledger.tx.address
    actors.gen.transfer(con, issued, 100)
    actors.regulator.revoke(issued, b"\x02" * 32)
    for attempt in (
        lambda: actors.gen.transfer(con, issued, 1),
        lambda: actors.consumer.transfer(gen, issued, 1),
        lambda: actors.gen.retire(issued, 1, CLAIM),
        lambda: actors.regulator.revoke(issued),
    ):
        with pytest.raises(revert_class("CarbonCreditsRevoked")) as caught:
            attempt()
        assert caught.value.arguments == {"id": issued}
    amounts = actors.admin.amounts(issued)
    assert (amounts.state, amounts.issued, amounts.live, amounts.revoked) == (
        CreditState.REVOKED,
        1000,
        0,
        1000,
    )
    assert actors.admin.balance_of(gen, issued) == 900
    assert actors.admin.balance_of(con, issued) == 100


def test_retire_errors(actors: Actors, issued: int) -> None:
    gen = actors.gen.ledger.tx.address
    with pytest.raises(revert_class("CarbonCreditsZeroAmount")) as zero:
        actors.gen.retire(issued, 0, CLAIM)
    assert zero.value.arguments == {}
    with pytest.raises(revert_class("ERC1155InsufficientBalance")) as short:
        actors.gen.retire(issued, 1001, CLAIM)
    assert short.value.arguments == {
        "sender": gen,
        "balance": 1000,
        "needed": 1001,
        "tokenId": issued,
    }


def test_erc1155_transfer_errors(actors: Actors, issued: int) -> None:
    gen, con = actors.gen.ledger.tx.address, actors.consumer.ledger.tx.address
    contract = actors.gen.contract
    with pytest.raises(revert_class("ERC1155InvalidReceiver")) as receiver:
        actors.gen.transfer(ZERO, issued, 1)
    assert receiver.value.arguments == {"receiver": ZERO}
    with pytest.raises(revert_class("ERC1155MissingApprovalForAll")) as approval:
        actors.consumer.transfer(con, issued, 1, sender=gen)
    assert approval.value.arguments == {"operator": con, "owner": gen}
    with pytest.raises(revert_class("ERC1155InsufficientBalance")) as balance:
        actors.consumer.transfer(gen, issued, 1)
    assert balance.value.arguments == {"sender": con, "balance": 0, "needed": 1, "tokenId": issued}
    with pytest.raises(revert_class("ERC1155InvalidArrayLength")) as lengths:
        actors.gen.ledger.tx.transact(
            contract.functions.safeBatchTransferFrom(gen, con, [issued], [1, 2], b"")
        )
    assert lengths.value.arguments == {"idsLength": 1, "valuesLength": 2}
    with pytest.raises(revert_class("ERC1155InvalidOperator")) as operator:
        actors.gen.ledger.tx.transact(contract.functions.setApprovalForAll(ZERO, True))
    assert operator.value.arguments == {"operator": ZERO}


def test_an_approved_operator_moves_credits(actors: Actors, issued: int) -> None:
    gen, con = actors.gen.ledger.tx.address, actors.consumer.ledger.tx.address
    actors.gen.ledger.tx.transact(actors.gen.contract.functions.setApprovalForAll(con, True))
    actors.consumer.transfer(con, issued, 10, sender=gen)
    assert actors.admin.balance_of(con, issued) == 10


def test_green_certificate_errors_and_exclusion(actors: Actors, station: int, avoided: int) -> None:
    gen, con = actors.gen.ledger.tx.address, actors.consumer.ledger.tx.address
    cert = b"\x0c" * 32
    with pytest.raises(revert_class("CarbonCreditsNotParticipantOrGridOperator")) as who:
        actors.consumer.exclude_green_certificate(station, gen, 1, cert)
    assert who.value.arguments == {"caller": con, "participant": gen}
    for bad_cert, mwh in ((bytes(32), 1), (cert, 0)):
        with pytest.raises(revert_class("CarbonCreditsInvalidCertificate")) as invalid:
            actors.gen.exclude_green_certificate(station, gen, mwh, bad_cert)
        assert invalid.value.arguments == {"certificateId": bad_cert, "mwh": mwh}
    # 5 MWh of the 8 MWh discharged were sold as green certificates: only 3 MWh may back credits.
    assert actors.grid.exclude_green_certificate(station, gen, 5, cert) == 5 * QH_GRAMS_PER_MWH
    with pytest.raises(revert_class("CarbonCreditsCertificateUsed")) as used:
        actors.gen.exclude_green_certificate(station, gen, 1, cert)
    assert used.value.arguments == {"certificateId": cert}
    with pytest.raises(revert_class("CarbonCreditsInsufficientUnissued")) as short:
        request(actors, station, UNISSUED, avoided)
    assert short.value.arguments["unissued"] == 3 * QH_GRAMS_PER_MWH
    with pytest.raises(revert_class("StorageLedgerInsufficientAvoided")) as beyond:
        actors.gen.exclude_green_certificate(station, gen, 4, b"\x0d" * 32)
    assert beyond.value.arguments == {
        "stationId": station,
        "participant": gen,
        "unissuedGrams": 3 * QH_GRAMS_PER_MWH,
        "requestedGrams": 4 * QH_GRAMS_PER_MWH,
    }
