"""The verifier and the grid operator's curtailment attestations: the credit's grams are the
reports' plus the attested curtailment's; an attestation above the interval's charged energy
(which the ledger accepts, bounding only the cumulative total) is named; an operator whose role
was revoked after attesting still counts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from web3 import Web3

from devnet.world import DAY_START, INTERVAL_S
from ledger.curtailment import booked_records
from ledger.factors import load_dataset
from ledger.registry import RegistryClient
from ledger.storage import CurtailedCharge, StorageLedgerClient
from ledger.verify import ChainFacts, Verdict, verify_credit_on_chain
from tests.ledger.verify.conftest import CURTAILED_UNTIL, LAST, CreditWorld


@contextmanager
def rolled_back(w3: Web3) -> Iterator[None]:
    snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield
    finally:
        w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]


def chain_facts(cw: CreditWorld) -> ChainFacts:
    ledger = cw.ledger
    return ChainFacts(ledger.w3, ledger.build, ledger.deployment.address("CarbonCredits"))


def verify(cw: CreditWorld) -> Verdict:
    return verify_credit_on_chain(chain_facts(cw), cw.token_id, str(cw.archive), workers=1)


def test_the_recomputed_grams_include_the_attested_curtailment(credit_world: CreditWorld) -> None:
    cw = credit_world
    gen = cw.world.participants[0].address
    mine = [c.curtailed_wh for a in cw.attested for c in a.charges if c.participant == gen]
    factor = load_dataset().factors[cw.world.station.region]
    verdict = verify(cw)
    assert verdict.ok, verdict.failures
    assert verdict.checks["curtailment_attestations"] == len(mine) >= 5
    curtailment = verdict.facts["curtailment"]
    assert curtailment["attestations"] == len(mine)
    assert curtailment["curtailed_wh"] == sum(mine)
    assert curtailment["grid_operators"] == [cw.world.grid_operator.address]
    avoided = verdict.facts["avoided"]
    assert avoided["curtailment_grams"] == sum(wh * factor // 10**6 for wh in mine) > 0
    assert avoided["recomputed_grams"] == avoided["report_grams"] + avoided["curtailment_grams"]
    assert avoided["recomputed_grams"] == avoided["on_chain_grams"]
    # Without the attestations the reports alone could not back what was issued.
    assert avoided["report_grams"] < avoided["consumed_grams"] <= avoided["recomputed_grams"]


def test_an_attestation_above_the_interval_charge_is_named(credit_world: CreditWorld) -> None:
    cw = credit_world
    gen = cw.world.participants[0].address
    storage = StorageLedgerClient(cw.ledger)
    start = DAY_START + (LAST - 1) * INTERVAL_S  # evening: the generator discharges
    charged = booked_records(storage, cw.station, start)[gen.lower()].charged_wh
    room = storage.account_of(cw.station, gen).charged_wh - storage.curtailed_of(cw.station, gen)
    assert charged < room  # the ledger's cumulative bound lets this through
    operator = StorageLedgerClient(cw.ledger.as_account(cw.world.grid_operator))
    with rolled_back(cw.ledger.w3):
        operator.attest_curtailment(cw.station, start, [CurtailedCharge(gen, room)])
        verdict = verify(cw)
    assert verdict.failed_checks() == ["curtailment"]
    (failure,) = verdict.failures
    assert failure.item.startswith(f"curtailment attestation station {cw.station} interval {start}")
    assert failure.reason == (
        f"{room} Wh attested as curtailed, the participant charged only {charged} Wh "
        "in the interval"
    )


def test_a_grid_operator_revoked_after_attesting_still_counts(credit_world: CreditWorld) -> None:
    cw = credit_world
    gen = cw.world.participants[0].address
    other = cw.world.station_operator
    start = DAY_START + CURTAILED_UNTIL * INTERVAL_S
    registry = RegistryClient(cw.ledger)
    storage = StorageLedgerClient(cw.ledger)
    charged = booked_records(storage, cw.station, start)[gen.lower()].charged_wh
    assert charged > 0
    with rolled_back(cw.ledger.w3):
        registry.grant("GRID_OPERATOR_ROLE", other.address)
        StorageLedgerClient(cw.ledger.as_account(other)).attest_curtailment(
            cw.station, start, [CurtailedCharge(gen, charged)]
        )
        revoke = registry.contract.functions.revokeRole(
            registry.role("GRID_OPERATOR_ROLE"), other.address
        )
        cw.ledger.tx.transact(revoke)
        facts = chain_facts(cw)
        verdict = verify_credit_on_chain(facts, cw.token_id, str(cw.archive), workers=1)
    assert verdict.ok, verdict.failures
    assert other.address in verdict.facts["curtailment"]["grid_operators"]
    assert not facts.had_role("GRID_OPERATOR_ROLE", other.address, facts.head + 1, 0)
