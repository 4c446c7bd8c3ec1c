"""Property test against anvil: random report sequences for two participants. Accounts always
equal the sum of the accepted deltas (balance = floor(charged total x eff / 10000) - discharged
total), never go negative,
a rejected report leaves every account unchanged, and the grid operator's curtailment attestation
of an accepted interval gives the curtailed charge's grams back. Each example runs inside its own
evm_snapshot/evm_revert, so examples are independent."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from devnet.world import World
from ledger.client import Ledger
from ledger.errors import ContractRevert
from ledger.methodology import avoided_grams, balance_wh, curtailment_grams
from ledger.registry import region_bytes
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.helpers import report, submit

MWH = 1_000_000
EFF = 8800

# One interval's activity of one participant: (charged Wh, discharged Wh, share of the charge in %
# the grid operator attests as curtailed once the report is booked).
energy = st.one_of(st.just(0), st.integers(0, 6 * MWH), st.integers(0, 12 * MWH))
activity = st.tuples(energy, energy, st.integers(0, 100))
steps = st.lists(st.tuples(activity, activity), min_size=1, max_size=5)


@dataclass
class Model:
    charged: int = 0
    discharged: int = 0
    balance: int = 0
    avoided: int = 0
    curtailed: int = 0


def _apply(m: Model, c: int, d: int, curtailed: int, lease: int, grams: int) -> Model | None:
    """The account after one interval, or None if the ledger must reject it."""
    charged, discharged = m.charged + c, m.discharged + d
    balance = balance_wh(charged, discharged, EFF)
    if balance < 0 or balance > lease:
        return None
    delta = avoided_grams(c, d, grams) + curtailment_grams(curtailed, grams)
    return Model(charged, discharged, balance, m.avoided + delta, m.curtailed + curtailed)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps)
def test_accounts_are_the_sum_of_accepted_deltas(
    ledger: Ledger, world: World, station: int, sequence: list[tuple[tuple[int, int, int], ...]]
) -> None:
    w3 = ledger.w3
    snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        _run(ledger, world, station, sequence)
    finally:
        w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]
        ledger.tx._next_nonce = None  # the reverted chain forgot the example's transactions


def _run(
    ledger: Ledger, world: World, station: int, sequence: list[tuple[tuple[int, int, int], ...]]
) -> None:
    client = StorageLedgerClient(ledger)
    grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
    parts = (world.participants[0], world.participants[3])
    _, grams = ledger.view("EmissionFactors", "currentFactor", region_bytes("CN-QH"))
    models = [Model(), Model()]
    for index, acts in enumerate(sequence):
        nxt: list[Model | None] = []
        counters: dict[str, tuple[int, int]] = {}
        curtailed: list[CurtailedCharge] = []
        for p, m, (c, d, share) in zip(parts, models, acts, strict=True):
            nxt.append(_apply(m, c, d, c * share // 100, p.leased_wh, grams))
            counters[p.address] = (m.charged + c, m.discharged + d)
            if c * share // 100:
                curtailed.append(CurtailedCharge(p.address, c * share // 100))
        r = report(ledger, station, index, counters)
        before = [
            (client.account_of(station, p.address), client.avoided_of(station, p.address))
            for p in parts
        ]
        if all(n is not None for n in nxt):
            submit(ledger, world, r)
            if curtailed:
                grid.attest_curtailment(station, r.interval_start, curtailed)
            models = [n for n in nxt if n is not None]
            event("report accepted")
        else:
            event("report rejected")
            try:
                submit(ledger, world, r)
            except ContractRevert as exc:
                assert exc.error_name in {
                    "StorageLedgerBalanceNegative",
                    "StorageLedgerLeaseExceeded",
                }
            else:
                raise AssertionError(f"report {index} should have been rejected")
            after = [
                (client.account_of(station, p.address), client.avoided_of(station, p.address))
                for p in parts
            ]
            assert after == before
        for p, m in zip(parts, models, strict=True):
            account = client.account_of(station, p.address)
            assert (account.charged_wh, account.discharged_wh, account.balance_wh) == (
                m.charged,
                m.discharged,
                m.balance,
            )
            assert account.losses_wh == m.charged - m.discharged - m.balance >= 0
            assert client.avoided_of(station, p.address).avoided_grams == m.avoided
            assert client.curtailed_of(station, p.address) == m.curtailed
