"""Stateful property test against anvil: random passport life cycles (create, sell, install,
snapshot, remove, re-use, repurpose, waste), each step accepted or refused exactly as a plain
Python model says, and the invariants checked after every step: the chain matches the model,
successor and predecessor links are mutual, a BMS device measures at most one pack, closed and
wasted passports stay frozen."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from devnet.world import World
from ledger.client import Ledger
from ledger.errors import ContractRevert
from ledger.passports import PassportsClient, Status, created_key
from tests.passport_helpers import DAY0, config_digest, make_actors, oracle_sigs, params, snapshot


@dataclass
class Model:
    key: bytes
    status: Status
    owner: str
    holder: str
    device: int = 0
    day: int = 0
    soh: int = 9_800
    cycles: int = 0
    closed: bool = False
    successor: bytes | None = None
    predecessor: bytes | None = None


def test_passport_life_cycles_keep_the_invariants(ledger: Ledger, world: World) -> None:
    pa = make_actors(ledger, world, packs=2)
    digest = config_digest(ledger)
    serial = [0]  # passport ids stay unique across examples (the chain is not rolled back:
    # the transaction manager tracks nonces)
    names = {pa.address(c): c for c in (pa.oem, pa.operator, pa.recycler)}

    class LifeCycles(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.packs: list[Model] = []
            for dev in pa.bms:  # free the devices a previous example left in use
                if pa.admin.passport_of_device(dev) is not None:
                    pa.operator.remove(pa.admin.passport_of_device(dev) or b"")

        def attempt(self, allowed: bool, call: object) -> bool:
            try:
                call()  # type: ignore[operator]
            except ContractRevert:
                assert not allowed, "the contract refused a step the model allows"
                return False
            assert allowed, "the contract accepted a step the model refuses"
            return True

        def live(self, m: Model) -> bool:
            return not m.closed and m.status != Status.WASTE

        @rule()
        def create(self) -> None:
            serial[0] += 1
            owner = pa.address(pa.oem)
            key = created_key(pa.oem, pa.oem.create(params(serial[0], owner)))
            self.packs.append(Model(key, Status.ORIGINAL, owner, owner))

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50), to=st.sampled_from(["oem", "operator", "recycler"]))
        def sell(self, i: int, to: str) -> None:
            m = self.packs[i % len(self.packs)]
            buyer = pa.address(getattr(pa, to))
            seller = names[m.owner]
            if self.attempt(self.live(m), lambda: seller.transfer(m.key, buyer)):
                m.owner = m.holder = buyer

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50), device=st.integers(0, 1))
        def install(self, i: int, device: int) -> None:
            m = self.packs[i % len(self.packs)]
            dev = pa.bms[device]
            busy = any(p.device == dev for p in self.packs)
            ok = self.live(m) and m.holder == pa.address(pa.operator) and m.device == 0 and not busy
            if self.attempt(ok, lambda: pa.operator.install(m.key, pa.station, dev)):
                m.device = dev

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50))
        def remove(self, i: int) -> None:
            m = self.packs[i % len(self.packs)]
            ok = self.live(m) and m.device != 0
            if self.attempt(ok, lambda: pa.operator.remove(m.key)):
                m.device = 0

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50), days=st.integers(0, 2), drop=st.integers(-150, 40))
        def snapshot(self, i: int, days: int, drop: int) -> None:
            m = self.packs[i % len(self.packs)]
            day = max(m.day, DAY0) + days
            soh = max(0, min(10_000, m.soh - drop))
            s = snapshot(
                m.key, day, m.device or pa.bms[0], digest, soh_bps=soh, cycle_count=m.cycles + days
            )
            ok = (
                self.live(m)
                and m.device != 0
                and day > m.day
                and (m.day == 0 or soh <= m.soh + 100)
                and s.charged_wh_total >= 0
            )
            # throughput grows with the day in the builder, so it never decreases here
            if self.attempt(
                ok, lambda: pa.admin.submit_snapshot(s, oracle_sigs(pa.admin, world, s))
            ):
                m.day, m.soh, m.cycles = day, soh, m.cycles + days

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50))
        def reuse(self, i: int) -> None:
            m = self.packs[i % len(self.packs)]
            ok = self.live(m) and m.owner == pa.address(pa.oem) and m.status != Status.REUSED
            if self.attempt(ok, lambda: pa.oem.set_status(m.key, Status.REUSED)):
                m.status = Status.REUSED

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50), remanufacture=st.booleans())
        def repurpose(self, i: int, remanufacture: bool) -> None:
            m = self.packs[i % len(self.packs)]
            serial[0] += 1
            owner = pa.address(pa.oem)
            p = params(serial[0], owner)
            ok = self.live(m) and m.owner == owner and m.device == 0
            fn = pa.oem.remanufacture if remanufacture else pa.oem.repurpose
            receipt: list[object] = []
            if self.attempt(ok, lambda: receipt.append(fn(m.key, p))):
                key = created_key(pa.oem, receipt[0])  # type: ignore[arg-type]
                m.closed, m.successor = True, key
                status = Status.REMANUFACTURED if remanufacture else Status.REPURPOSED
                self.packs.append(Model(key, status, owner, owner, predecessor=m.key))

        @precondition(lambda self: self.packs)
        @rule(i=st.integers(0, 50))
        def waste(self, i: int) -> None:
            m = self.packs[i % len(self.packs)]
            ok = self.live(m) and m.holder == pa.address(pa.recycler) and m.device == 0
            if self.attempt(ok, lambda: pa.recycler.mark_waste(m.key)):
                m.status = Status.WASTE

        @invariant()
        def chain_matches_model(self) -> None:
            client: PassportsClient = pa.admin
            devices: dict[int, bytes] = {}
            for m in self.packs:
                v = client.passport(m.key)
                assert (v.status, v.closed, v.owner, v.holder) == (
                    m.status,
                    m.closed,
                    m.owner,
                    m.holder,
                )
                assert (v.bms_device, v.last_day, v.cycle_count) == (m.device, m.day, m.cycles)
                assert v.successor == m.successor and v.predecessor == m.predecessor
                if v.successor is not None:
                    assert client.passport(v.successor).predecessor == m.key
                if v.bms_device:
                    assert v.bms_device not in devices
                    devices[v.bms_device] = m.key
                    assert client.passport_of_device(v.bms_device) == m.key

    run_state_machine_as_test(
        LifeCycles,
        settings=settings(
            max_examples=6,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


pytestmark = pytest.mark.timeout(300)
