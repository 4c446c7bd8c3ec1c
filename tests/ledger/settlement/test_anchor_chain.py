"""SettlementAnchor on a real anvil through the typed client: a line proven against the
on-chain root, acknowledge / dispute / finalize, superseding a disputed statement, signed
responses relayed by a third party, and every revert by its exact custom error."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak

from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.errors import revert_class
from ledger.keys import devnet_keys
from ledger.settlement import Statement, settle, verify_line
from ledger.settlement.anchor import (
    LineResponse,
    Response,
    SettlementAnchorClient,
    StatementState,
    line_response,
    reason_hash,
)
from tests.ledger.settlement.example import FACTORY, INTERVALS, LEASES, PERIOD, SOLAR, TERMS

PERIOD_KEY = 20250601
WINDOW = 3_600
MAX_WINDOW = 90 * 86_400
ZERO = bytes(32)
REASON = reason_hash("peak-shaving energy at 04:45 is 33,333 Wh short")
TERMS_1H = replace(TERMS, dispute_window_s=WINDOW)


def account(i: int) -> LocalAccount:
    return Account.from_key(devnet_keys()[i])


# The worked example's four participants are anvil keys 0..3.
WIND_ACCT, SOLAR_ACCT, FACTORY_ACCT, TRADER_ACCT = (account(i) for i in range(4))
STRANGER = account(15)


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def station(ledger: Ledger, world: World) -> int:
    return register_world(ledger, world)


@pytest.fixture
def statement(station: int) -> Statement:
    """The worked example, settled for the registered station."""
    records = [replace(r, station_id=station) for r in INTERVALS]
    return settle(station, *PERIOD, records, LEASES, TERMS_1H)


@pytest.fixture
def operator(ledger: Ledger, world: World) -> SettlementAnchorClient:
    """Signs as the station's operator (may register terms and anchor)."""
    return SettlementAnchorClient(ledger.as_account(world.station_operator))


def client(ledger: Ledger, who: LocalAccount) -> SettlementAnchorClient:
    return SettlementAnchorClient(ledger.as_account(who))


@pytest.fixture
def anchored(operator: SettlementAnchorClient, statement: Statement, station: int) -> Statement:
    operator.register_terms(station, TERMS_1H)
    operator.anchor(statement, PERIOD_KEY, 1, WINDOW)
    return statement


def advance(ledger: Ledger, seconds: int) -> None:
    ledger.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    ledger.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def now(ledger: Ledger) -> int:
    return int(ledger.w3.eth.get_block("latest")["timestamp"])


# -- lines against the root --------------------------------------------------------------------


def test_every_line_is_proven_against_the_on_chain_root(
    ledger: Ledger, anchored: Statement, station: int
) -> None:
    anchor = SettlementAnchorClient(ledger)
    onchain = anchor.statement_of(station, PERIOD_KEY, 1)
    assert onchain.lines_root == anchored.root
    assert onchain.net_total == anchored.totals.net == -163_382
    assert (onchain.participant_count, onchain.state) == (4, StatementState.PENDING)
    for line in anchored.lines:
        proof = anchored.proof_for(line.participant)
        assert verify_line(onchain.lines_root, line, proof)
        assert anchor.verify_line(anchored, PERIOD_KEY, 1, line.participant)
    forged = replace(anchored.line_for(SOLAR), net=anchored.line_for(SOLAR).net + 1)
    assert not verify_line(onchain.lines_root, forged, anchored.proof_for(SOLAR))


# -- acknowledge, dispute, finalize --------------------------------------------------------------


def test_unchallenged_statement_becomes_final_and_immutable(
    ledger: Ledger, anchored: Statement, station: int
) -> None:
    for who in (WIND_ACCT, SOLAR_ACCT, FACTORY_ACCT):
        client(ledger, who).acknowledge(anchored, PERIOD_KEY, 1)
    anchor = SettlementAnchorClient(ledger)
    assert anchor.response_of(station, PERIOD_KEY, 1, SOLAR) is Response.ACKNOWLEDGED
    advance(ledger, WINDOW + 1)
    assert anchor.finalize(station, PERIOD_KEY, 1) is StatementState.FINAL
    onchain = anchor.statement_of(station, PERIOD_KEY, 1)
    assert (onchain.acknowledged_count, onchain.disputed_count) == (3, 0)
    with pytest.raises(revert_class("SettlementAnchorNotPending")) as caught:
        client(ledger, TRADER_ACCT).acknowledge(anchored, PERIOD_KEY, 1)
    assert caught.value.arguments == {
        "stationId": station,
        "period": PERIOD_KEY,
        "version": 1,
        "state": int(StatementState.FINAL),
    }


def test_disputed_statement_is_superseded_by_a_new_version(
    ledger: Ledger, anchored: Statement, operator: SettlementAnchorClient, station: int
) -> None:
    client(ledger, WIND_ACCT).acknowledge(anchored, PERIOD_KEY, 1)
    client(ledger, FACTORY_ACCT).dispute(anchored, PERIOD_KEY, 1, REASON)
    advance(ledger, WINDOW + 1)
    anchor = SettlementAnchorClient(ledger)
    assert anchor.finalize(station, PERIOD_KEY, 1) is StatementState.DISPUTED

    corrected = settle(
        station,
        *PERIOD,
        [replace(r, station_id=station) for r in INTERVALS if r.participant != FACTORY],
        LEASES,
        TERMS_1H,
    )
    operator.anchor(corrected, PERIOD_KEY, 2, WINDOW, supersedes=1)
    old = anchor.statement_of(station, PERIOD_KEY, 1)
    assert (old.state, old.superseded_by) == (StatementState.SUPERSEDED, 2)
    new = anchor.statement_of(station, PERIOD_KEY, 2)
    assert (new.state, new.supersedes_version, new.lines_root) == (
        StatementState.PENDING,
        1,
        corrected.root,
    )
    assert anchor.latest_version(station, PERIOD_KEY) == 2
    client(ledger, FACTORY_ACCT).acknowledge(corrected, PERIOD_KEY, 2)
    assert anchor.response_of(station, PERIOD_KEY, 2, FACTORY) is Response.ACKNOWLEDGED


def test_a_pending_statement_may_be_superseded_before_its_window_ends(
    ledger: Ledger, anchored: Statement, operator: SettlementAnchorClient, station: int
) -> None:
    operator.anchor(anchored, PERIOD_KEY, 5, WINDOW, supersedes=1)
    anchor = SettlementAnchorClient(ledger)
    assert anchor.state(station, PERIOD_KEY, 1) is StatementState.SUPERSEDED
    assert anchor.state(station, PERIOD_KEY, 5) is StatementState.PENDING


# -- signed responses relayed by someone else ----------------------------------------------------


def signed(
    ledger: Ledger,
    statement: Statement,
    who: LocalAccount,
    kind: Response,
    *,
    reason: bytes = ZERO,
    deadline: int | None = None,
) -> tuple[LineResponse, bytes]:
    anchor = SettlementAnchorClient(ledger)
    response = line_response(
        statement,
        PERIOD_KEY,
        1,
        who.address,
        reason_hash=reason,
        signature_deadline=deadline if deadline is not None else now(ledger) + 600,
    )
    return response, anchor.sign_response(who, response, kind)


def test_relayed_acknowledgement_and_dispute_count_for_the_signer(
    ledger: Ledger, anchored: Statement, station: int
) -> None:
    relayer = client(ledger, STRANGER)
    ack, ack_sig = signed(ledger, anchored, SOLAR_ACCT, Response.ACKNOWLEDGED)
    typed = ack.typed_data(Response.ACKNOWLEDGED, ledger.chain_id, relayer.address)
    signable = encode_typed_data(full_message=typed)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    assert relayer.response_digest(ack, Response.ACKNOWLEDGED) == digest
    assert ack.signer(ack_sig, Response.ACKNOWLEDGED, ledger.chain_id, relayer.address) == SOLAR
    relayer.relay(anchored, ack, Response.ACKNOWLEDGED, ack_sig)
    dispute, dispute_sig = signed(ledger, anchored, FACTORY_ACCT, Response.DISPUTED, reason=REASON)
    relayer.relay(anchored, dispute, Response.DISPUTED, dispute_sig)
    anchor = SettlementAnchorClient(ledger)
    assert anchor.response_of(station, PERIOD_KEY, 1, SOLAR) is Response.ACKNOWLEDGED
    assert anchor.response_of(station, PERIOD_KEY, 1, FACTORY) is Response.DISPUTED
    assert anchor.response_of(station, PERIOD_KEY, 1, STRANGER.address) is Response.NONE
    onchain = anchor.statement_of(station, PERIOD_KEY, 1)
    assert (onchain.acknowledged_count, onchain.disputed_count) == (1, 1)


def test_relayed_response_reverts(ledger: Ledger, anchored: Statement, station: int) -> None:
    relayer = client(ledger, STRANGER)
    ack, ack_sig = signed(ledger, anchored, SOLAR_ACCT, Response.ACKNOWLEDGED)

    # an acknowledgement signature replayed as a dispute recovers some other address
    as_dispute = replace(ack, reason_hash=REASON)
    with pytest.raises(revert_class("SettlementAnchorInvalidSignature")) as wrong_kind:
        relayer.relay(anchored, as_dispute, Response.DISPUTED, ack_sig)
    assert wrong_kind.value.arguments["participant"] == SOLAR
    assert wrong_kind.value.arguments["recovered"] != SOLAR

    # signed by someone else than the participant it names
    forged = relayer.sign_response(FACTORY_ACCT, ack, Response.ACKNOWLEDGED)
    with pytest.raises(revert_class("SettlementAnchorInvalidSignature")) as other:
        relayer.relay(anchored, ack, Response.ACKNOWLEDGED, forged)
    assert other.value.arguments == {"participant": SOLAR, "recovered": FACTORY}

    # a malformed signature recovers nothing
    with pytest.raises(revert_class("SettlementAnchorInvalidSignature")) as junk:
        relayer.relay(anchored, ack, Response.ACKNOWLEDGED, b"\x01" * 65)
    assert junk.value.arguments == {
        "participant": SOLAR,
        "recovered": "0x0000000000000000000000000000000000000000",
    }

    with_reason, with_reason_sig = signed(
        ledger, anchored, SOLAR_ACCT, Response.ACKNOWLEDGED, reason=REASON
    )
    with pytest.raises(revert_class("SettlementAnchorUnexpectedReason")) as reason:
        relayer.relay(anchored, with_reason, Response.ACKNOWLEDGED, with_reason_sig)
    assert reason.value.arguments == {"reasonHash": REASON}

    stale, stale_sig = signed(
        ledger, anchored, SOLAR_ACCT, Response.ACKNOWLEDGED, deadline=now(ledger) - 1
    )
    with pytest.raises(revert_class("SettlementAnchorSignatureExpired")) as expired:
        relayer.relay(anchored, stale, Response.ACKNOWLEDGED, stale_sig)
    assert expired.value.arguments == {"signatureDeadline": stale.signature_deadline}

    relayer.relay(anchored, ack, Response.ACKNOWLEDGED, ack_sig)
    with pytest.raises(revert_class("SettlementAnchorAlreadyResponded")) as twice:
        relayer.relay(anchored, ack, Response.ACKNOWLEDGED, ack_sig)
    assert twice.value.arguments == {"account": SOLAR, "response": int(Response.ACKNOWLEDGED)}


# -- every other revert --------------------------------------------------------------------------


def test_terms_reverts(ledger: Ledger, operator: SettlementAnchorClient, station: int) -> None:
    stranger = client(ledger, STRANGER)
    with pytest.raises(revert_class("SettlementAnchorNotStationOperator")) as who:
        stranger.register_terms(station, TERMS_1H)
    assert who.value.arguments == {"account": STRANGER.address, "stationId": station}

    zero = operator.contract.functions.registerTerms(station, ZERO, 1)
    with pytest.raises(revert_class("SettlementAnchorZeroHash")) as caught:
        operator.ledger.tx.transact(zero)
    assert caught.value.arguments == {}


def test_terms_exists_and_version_order(operator: SettlementAnchorClient, station: int) -> None:
    operator.register_terms(station, TERMS_1H)
    with pytest.raises(revert_class("SettlementAnchorTermsExists")) as exists:
        operator.register_terms(station, TERMS_1H)
    assert exists.value.arguments == {
        "stationId": station,
        "termsHash": TERMS_1H.hash,
        "version": 1,
    }
    older = replace(TERMS_1H, dispute_window_s=7_200)  # another document, same version 1
    with pytest.raises(revert_class("SettlementAnchorTermsVersionNotIncreasing")) as order:
        operator.register_terms(station, older)
    assert order.value.arguments == {"stationId": station, "version": 1, "latestVersion": 1}
    assert operator.latest_terms_version(station) == 1
    assert operator.terms_version_of(station, TERMS_1H.hash) == 1


def test_anchor_reverts(
    ledger: Ledger, operator: SettlementAnchorClient, statement: Statement, station: int
) -> None:
    def anchor_raw(**over: object) -> None:
        args: dict[str, object] = {
            "stationId": station,
            "period": PERIOD_KEY,
            "version": 1,
            "linesRoot": statement.root,
            "termsHash": statement.terms_hash,
            "netTotal": statement.totals.net,
            "participantCount": 4,
            "window": WINDOW,
            "supersedes": 0,
        }
        args.update(over)
        operator.ledger.tx.transact(operator.contract.functions.anchorStatement(*args.values()))

    with pytest.raises(revert_class("SettlementAnchorNotAnchorer")) as who:
        client(ledger, STRANGER).anchor(statement, PERIOD_KEY, 1, WINDOW)
    assert who.value.arguments == {"account": STRANGER.address, "stationId": station}

    with pytest.raises(revert_class("SettlementAnchorUnknownTerms")) as terms:
        anchor_raw()
    assert terms.value.arguments == {"stationId": station, "termsHash": statement.terms_hash}
    operator.register_terms(station, TERMS_1H)

    for key in ({"period": 0}, {"version": 0}):
        with pytest.raises(revert_class("SettlementAnchorInvalidKey")) as bad_key:
            anchor_raw(**key)
        assert bad_key.value.arguments == {
            "stationId": station,
            "period": key.get("period", PERIOD_KEY),
            "version": key.get("version", 1),
        }
    with pytest.raises(revert_class("SettlementAnchorZeroHash")):
        anchor_raw(linesRoot=ZERO)
    with pytest.raises(revert_class("SettlementAnchorNoParticipants")) as empty:
        anchor_raw(participantCount=0)
    assert empty.value.arguments == {}
    for window in (0, MAX_WINDOW + 1):
        with pytest.raises(revert_class("SettlementAnchorInvalidWindow")) as bad_window:
            anchor_raw(window=window)
        assert bad_window.value.arguments == {
            "disputeWindowSeconds": window,
            "maxSeconds": MAX_WINDOW,
        }
    with pytest.raises(revert_class("SettlementAnchorSupersededMismatch")) as mismatch:
        anchor_raw(version=2, supersedes=1)
    assert mismatch.value.arguments == {
        "stationId": station,
        "period": PERIOD_KEY,
        "supersedesVersion": 1,
        "latestVersion": 0,
    }

    anchor_raw()
    with pytest.raises(revert_class("SettlementAnchorSupersededMismatch")):
        anchor_raw(version=2)  # must name version 1
    with pytest.raises(revert_class("SettlementAnchorVersionNotIncreasing")) as order:
        anchor_raw(version=1, supersedes=1)
    assert order.value.arguments == {"version": 1, "supersedesVersion": 1}

    advance(ledger, WINDOW + 1)
    SettlementAnchorClient(ledger).finalize(station, PERIOD_KEY, 1)
    with pytest.raises(revert_class("SettlementAnchorNotSupersedable")) as final:
        anchor_raw(version=2, supersedes=1)
    assert final.value.arguments == {
        "stationId": station,
        "period": PERIOD_KEY,
        "version": 1,
        "state": int(StatementState.FINAL),
    }


def test_response_and_finalize_reverts(ledger: Ledger, anchored: Statement, station: int) -> None:
    key = {"stationId": station, "period": PERIOD_KEY}
    solar = client(ledger, SOLAR_ACCT)

    with pytest.raises(revert_class("SettlementAnchorUnknownStatement")) as unknown:
        solar.acknowledge(anchored, PERIOD_KEY, 9)
    assert unknown.value.arguments == {**key, "version": 9}
    with pytest.raises(revert_class("SettlementAnchorUnknownStatement")):
        solar.finalize(station, PERIOD_KEY, 9)
    with pytest.raises(revert_class("SettlementAnchorUnknownStatement")):
        solar.verify_line(anchored, PERIOD_KEY, 9, SOLAR)

    with pytest.raises(revert_class("SettlementAnchorZeroHash")):
        solar.dispute(anchored, PERIOD_KEY, 1, ZERO)

    # a stranger has no line; borrowing SOLAR's line and proof does not help
    line = anchored.line_for(SOLAR)
    fn = solar.contract.functions.acknowledge(
        station, PERIOD_KEY, 1, line.net, line.line_hash, anchored.proof_for(SOLAR)
    )
    with pytest.raises(revert_class("SettlementAnchorNotParticipant")) as stranger:
        client(ledger, STRANGER).ledger.tx.transact(fn)
    assert stranger.value.arguments == {"account": STRANGER.address, **key, "version": 1}

    solar.acknowledge(anchored, PERIOD_KEY, 1)
    with pytest.raises(revert_class("SettlementAnchorAlreadyResponded")) as twice:
        solar.dispute(anchored, PERIOD_KEY, 1, REASON)
    assert twice.value.arguments == {"account": SOLAR, "response": int(Response.ACKNOWLEDGED)}

    deadline = SettlementAnchorClient(ledger).statement_of(station, PERIOD_KEY, 1).deadline
    with pytest.raises(revert_class("SettlementAnchorWindowOpen")) as still_open:
        solar.finalize(station, PERIOD_KEY, 1)
    assert still_open.value.arguments == {**key, "version": 1, "deadline": deadline}

    advance(ledger, WINDOW + 1)
    with pytest.raises(revert_class("SettlementAnchorWindowClosed")) as closed:
        client(ledger, FACTORY_ACCT).acknowledge(anchored, PERIOD_KEY, 1)
    assert closed.value.arguments == {**key, "version": 1, "deadline": deadline}

    assert solar.finalize(station, PERIOD_KEY, 1) is StatementState.FINAL
    with pytest.raises(revert_class("SettlementAnchorNotPending")) as again:
        solar.finalize(station, PERIOD_KEY, 1)
    assert again.value.arguments == {**key, "version": 1, "state": int(StatementState.FINAL)}
