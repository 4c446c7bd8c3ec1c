"""Stateful property test against anvil: random reports, requests, decisions, transfers,
retirements and revocations, with the credit invariants checked after every step."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from devnet.world import World
from ledger.client import Ledger
from ledger.credits import CreditsClient, CreditState, RetireInfo
from ledger.errors import ContractRevert, revert_class
from ledger.methodology import truncated_div
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.credit_helpers import PERIOD, QH_GRAMS_PER_MWH
from tests.helpers import report, submit

EFFICIENCY_BPS = 8800
STEP_WH = 100_000
CLAIM = RetireInfo(beneficiary="invariant test")


@dataclass
class Energy:
    charged: int = 0
    discharged: int = 0
    balance: int = 0
    avoided: int = 0
    peak_avoided: int = 0
    consumed: int = 0


@dataclass
class Token:
    owner: int
    units: int
    holdings: dict[int, int] = field(default_factory=dict)
    retired: int = 0
    revoked: bool = False


def expect(error: str, call: object) -> ContractRevert:
    with pytest.raises(revert_class(error)) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_credit_invariants_hold_under_random_operations(
    ledger: Ledger, world: World, station: int
) -> None:
    w3 = ledger.w3
    reporters = [world.participants[0], world.participants[1]]
    holders = [*reporters, world.participants[3]]

    class CreditMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
            # Fresh transaction managers per run: the chain's nonces rewind with each snapshot.
            self.admin = ledger.as_account(world.admin)
            self.clients = [CreditsClient(ledger.as_account(h.account)) for h in holders]
            self.verifier = CreditsClient(ledger.as_account(world.verifier))
            self.regulator = CreditsClient(ledger.as_account(world.regulator))
            self.storage = StorageLedgerClient(self.admin)
            self.grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
            self.energy = [Energy() for _ in reporters]
            self.interval = 0
            self.pending: list[tuple[int, int, int]] = []  # (request id, reporter, units)
            self.tokens: dict[int, Token] = {}

        def teardown(self) -> None:
            w3.provider.make_request("evm_revert", [self.snap])  # type: ignore[arg-type]

        def addr(self, holder: int) -> str:
            return holders[holder].address

        # -- rules ----------------------------------------------------------------------------

        @initialize()
        def book_some_avoided_emissions(self) -> None:
            """Both reporters store curtailed wind and discharge it, so credits can be issued
            from the first step on."""
            for who in (0, 1):
                self.submit_report(who, 100, 100, 0)
                self.submit_report(who, 0, 0, 90)

        @rule(
            who=st.integers(0, 1),
            charge_steps=st.integers(0, 60),
            curtailed_pct=st.sampled_from([0, 50, 100, 100]),
            discharge_pct=st.integers(0, 100),
        )
        def submit_report(
            self, who: int, charge_steps: int, curtailed_pct: int, discharge_pct: int
        ) -> None:
            e = self.energy[who]
            charged = charge_steps * STEP_WH
            if e.balance + charged * EFFICIENCY_BPS // 10_000 > reporters[who].leased_wh:
                charged = 0  # would overfill the lease
            curtailed = charged * curtailed_pct // 100
            available = e.balance + charged * EFFICIENCY_BPS // 10_000
            discharged = available * discharge_pct // 100
            e.charged += charged
            e.discharged += discharged
            e.balance = available - discharged
            # The report books the charge at the grid factor; the grid operator's attestation
            # gives the curtailed part back (each truncated toward zero on its own).
            e.avoided += truncated_div((discharged - charged) * QH_GRAMS_PER_MWH, 1_000_000)
            e.avoided += curtailed * QH_GRAMS_PER_MWH // 1_000_000
            e.peak_avoided = max(e.peak_avoided, e.avoided)
            counters = {reporters[who].address: (e.charged, e.discharged)}
            r = report(self.admin, station, self.interval, counters)
            submit(self.admin, world, r)
            if curtailed:
                charge = CurtailedCharge(reporters[who].address, curtailed)
                self.grid.attest_curtailment(station, r.interval_start, [charge])
            self.interval += 1

        @rule(who=st.integers(0, 1), pct=st.integers(1, 120))
        def request(self, who: int, pct: int) -> None:
            e = self.energy[who]
            unissued = max(e.avoided - e.consumed, 0)
            grams = unissued * pct // 100
            account = self.storage.avoided_of(station, reporters[who].address)

            def ask() -> int:
                return (
                    self.clients[who]
                    .request_issuance(
                        station,
                        reporters[who].address,
                        grams,
                        period_start=PERIOD[0],
                        period_end=PERIOD[1],
                        factor_version=account.factor_version,
                    )
                    .request_id
                )

            if grams < 1000:
                expect("CarbonCreditsBelowOneUnit", ask)
            elif grams > unissued:
                error = expect("CarbonCreditsInsufficientUnissued", ask)
                assert error.arguments["unissued"] == unissued
            else:
                self.pending.append((ask(), who, grams // 1000))

        @precondition(lambda self: self.pending)
        @rule(index=st.integers(0, 50), approve=st.booleans())
        def decide(self, index: int, approve: bool) -> None:
            token, who, units = self.pending.pop(index % len(self.pending))
            if not approve:
                self.verifier.reject(token)
                return
            e = self.energy[who]
            if max(e.avoided - e.consumed, 0) < units * 1000:
                expect("StorageLedgerInsufficientAvoided", lambda: self.verifier.approve(token))
                self.pending.append((token, who, units))  # still pending: reject it later
                return
            assert self.verifier.approve(token).units == units
            e.consumed += units * 1000
            self.tokens[token] = Token(owner=who, units=units, holdings={who: units})

        @precondition(lambda self: self.tokens)
        @rule(
            index=st.integers(0, 50),
            src=st.integers(0, 2),
            dst=st.integers(0, 2),
            pct=st.integers(0, 100),
        )
        def transfer(self, index: int, src: int, dst: int, pct: int) -> None:
            token_id = sorted(self.tokens)[index % len(self.tokens)]
            token = self.tokens[token_id]
            amount = token.holdings.get(src, 0) * pct // 100
            send = lambda: self.clients[src].transfer(self.addr(dst), token_id, amount)  # noqa: E731
            if token.revoked:
                expect("CarbonCreditsRevoked", send)
                return
            send()
            token.holdings[src] = token.holdings.get(src, 0) - amount
            token.holdings[dst] = token.holdings.get(dst, 0) + amount

        @precondition(lambda self: self.tokens)
        @rule(index=st.integers(0, 50), holder=st.integers(0, 2), pct=st.integers(0, 100))
        def retire(self, index: int, holder: int, pct: int) -> None:
            token_id = sorted(self.tokens)[index % len(self.tokens)]
            token = self.tokens[token_id]
            amount = token.holdings.get(holder, 0) * pct // 100
            burn = lambda: self.clients[holder].retire(token_id, amount, CLAIM)  # noqa: E731
            if amount == 0:
                expect("CarbonCreditsZeroAmount", burn)
            elif token.revoked:
                expect("CarbonCreditsRevoked", burn)
            else:
                burn()
                token.holdings[holder] -= amount
                token.retired += amount

        @precondition(lambda self: self.tokens)
        @rule(index=st.integers(0, 50))
        def revoke(self, index: int) -> None:
            token_id = sorted(self.tokens)[index % len(self.tokens)]
            token = self.tokens[token_id]
            if token.revoked:
                expect("CarbonCreditsRevoked", lambda: self.regulator.revoke(token_id))
                return
            self.regulator.revoke(token_id)
            token.revoked = True

        # -- invariants -----------------------------------------------------------------------

        @invariant()
        def issued_is_live_plus_retired_plus_revoked(self) -> None:
            reader = self.verifier
            for token_id, token in self.tokens.items():
                a = reader.amounts(token_id)
                assert a.issued == a.live + a.retired + a.revoked == token.units
                assert a.retired == token.retired
                held = sum(token.holdings.values())
                assert (a.state, a.live, a.revoked) == (
                    (CreditState.REVOKED, 0, held) if token.revoked else (CreditState.LIVE, held, 0)
                )
                # A revoked id never moves: its balances are exactly those frozen at revocation.
                for holder in range(len(holders)):
                    chain = reader.balance_of(self.addr(holder), token_id)
                    assert chain == token.holdings.get(holder, 0)

        @invariant()
        def issuance_never_exceeds_accumulated_avoided_emissions(self) -> None:
            issued_grams = 1000 * sum(t.units for t in self.tokens.values())
            assert issued_grams == sum(e.consumed for e in self.energy)
            assert issued_grams <= sum(max(e.peak_avoided, 0) for e in self.energy)
            for who, e in enumerate(self.energy):
                account = self.storage.avoided_of(station, reporters[who].address)
                assert (account.avoided_grams, account.consumed_grams) == (e.avoided, e.consumed)
                assert e.consumed <= max(e.peak_avoided, 0)

    run_state_machine_as_test(
        CreditMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
