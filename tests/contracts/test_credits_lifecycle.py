"""Request, approval, transfer, retirement and revocation of credits on the real suite."""

from __future__ import annotations

from ledger.client import Ledger
from ledger.credits import CreditState, RetireInfo
from ledger.logs import receipt_events
from ledger.storage import StorageLedgerClient
from tests.credit_helpers import PERIOD, QH_GRAMS_PER_MWH, Actors, request


def test_issue_transfer_retire_keeps_every_count(
    ledger: Ledger, actors: Actors, station: int, avoided: int
) -> None:
    gen, con = actors.gen.ledger.tx.address, actors.consumer.ledger.tx.address
    token = request(actors, station, 1_234_567, avoided)
    credit = actors.admin.credit(token)
    assert (credit.state, credit.requested_grams, credit.factor_version) == (
        CreditState.REQUESTED,
        1_234_567,
        avoided,
    )
    assert (credit.period_start, credit.period_end, credit.participant) == (*PERIOD, gen)
    assert actors.admin.amounts(token).issued == 0

    minted = actors.verifier.approve(token)
    assert (minted.units, minted.consumed_grams) == (1234, 1_234_000)
    account = StorageLedgerClient(ledger).avoided_of(station, gen)
    assert account.consumed_grams == 1_234_000
    assert account.unissued_grams == 8 * QH_GRAMS_PER_MWH - 1_234_000  # the 567 g stay un-issued

    actors.gen.transfer(con, token, 234)
    claim = RetireInfo(
        beneficiary="Xining Steel",
        beneficiary_address=con,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        country="CN",
        purpose="2026 scope 2",
    )
    receipt_hash = actors.consumer.retire(token, 200, claim)
    receipt = ledger.w3.eth.get_transaction_receipt(receipt_hash)
    (retired,) = receipt_events(actors.admin.contract.events.Retired(), receipt)
    assert retired["args"]["amount"] == 200 and retired["args"]["beneficiary"] == "Xining Steel"
    assert retired["args"]["country"] == b"CN" and retired["args"]["account"] == con

    assert actors.admin.claimed_balance_of(con, token) == 200
    assert actors.admin.balance_of(con, token) == 34
    amounts = actors.admin.amounts(token)
    assert (amounts.issued, amounts.live, amounts.retired, amounts.revoked) == (1234, 1034, 200, 0)

    actors.regulator.revoke(token)
    amounts = actors.admin.amounts(token)
    assert (amounts.state, amounts.live, amounts.retired, amounts.revoked) == (
        CreditState.REVOKED,
        0,
        200,
        1034,
    )
    # Retired and revoked stay distinct: the consumer's claim survives the revocation.
    assert actors.admin.claimed_balance_of(con, token) == 200


def test_each_issuance_gets_its_own_token_id(actors: Actors, station: int, avoided: int) -> None:
    first = request(actors, station, 100_000, avoided)
    second = actors.gen2.request_issuance(
        station,
        actors.gen2.ledger.tx.address,
        200_000,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        factor_version=avoided,
    ).request_id
    assert second == first + 1 == actors.admin.request_count()
    actors.verifier.approve(second)
    actors.verifier.approve(first)
    assert actors.admin.balance_of(actors.gen.ledger.tx.address, first) == 100
    assert actors.admin.balance_of(actors.gen2.ledger.tx.address, second) == 200


def test_rejection_mints_nothing_and_consumes_nothing(
    ledger: Ledger, actors: Actors, station: int, avoided: int
) -> None:
    token = request(actors, station, 5000, avoided)
    actors.verifier.reject(token, b"\x03" * 32)
    assert actors.admin.amounts(token).state == CreditState.REJECTED
    gen = actors.gen.ledger.tx.address
    assert StorageLedgerClient(ledger).avoided_of(station, gen).consumed_grams == 0
    assert actors.admin.balance_of(gen, token) == 0
