"""One credit with real lineage for the verifier tests, built once per module on the session
anvil (rolled back at the end): the oracle relays 14:00-20:00 of the demo day (midday charging,
evening discharge), the grid operator attests the generators' charging of 14:00-16:00 (the end of
its 10:00-16:00 dispatch) as curtailed, the first generator requests its whole un-issued balance,
the verifier approves, the generator transfers some units and retires some."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from devnet.world import DAY_START, INTERVAL_S, World
from ledger.client import Ledger, tx_manager
from ledger.compile import Build
from ledger.credits import CreditsClient, RetireInfo
from ledger.curtailment import AttestedInterval, attest_dispatch
from ledger.deploy import Deployment
from ledger.settings import LedgerSettings
from ledger.storage import StorageLedgerClient
from oracle.service import Clock, build_oracle, drain, run_due
from tests.oracle.chain import world_and_config

FIRST, LAST = 56, 80  # intervals of the demo day: 14:00 .. 20:00 local time
CURTAILED_UNTIL = 64  # the dispatch ends at 16:00 local time


@dataclass
class CreditWorld:
    ledger: Ledger
    world: World
    station: int
    token_id: int
    units: int
    archive: Path
    attested: list[AttestedInterval]


def issue_credit(ledger: Ledger, state_dir: Path) -> CreditWorld:
    world, station, config = world_and_config(ledger, state_dir, intervals=LAST)
    config = config.model_copy(
        update={"start": DAY_START + FIRST * INTERVAL_S, "end": DAY_START + LAST * INTERVAL_S}
    )
    oracle = build_oracle(config, ledger.settings)
    run_due(oracle, Clock(config.start, 0))
    drain(oracle)
    generators = [p.address for p in world.participants if p.role == "generator"]
    attested = attest_dispatch(
        StorageLedgerClient(ledger.as_account(world.grid_operator)),
        station,
        [DAY_START + i * INTERVAL_S for i in range(FIRST, CURTAILED_UNTIL)],
        generators,
    )
    gen, consumer = world.participants[0], world.participants[3]
    avoided = StorageLedgerClient(ledger).avoided_of(station, gen.address)
    assert avoided.unissued_grams > 1_000_000, avoided
    as_gen = CreditsClient(ledger.as_account(gen.account))
    request = as_gen.request_issuance(
        station,
        gen.address,
        avoided.unissued_grams,
        period_start=config.start,
        period_end=config.end or 0,
        factor_version=avoided.factor_version,
    )
    issued = CreditsClient(ledger.as_account(world.verifier)).approve(request.request_id)
    as_gen.transfer(consumer.address, request.request_id, 10)
    as_gen.retire(
        request.request_id,
        5,
        RetireInfo(
            "Qinghai Wind 1 annual report",
            gen.address,
            config.start,
            config.end or 0,
            "CN",
            "voluntary offset",
        ),
    )
    return CreditWorld(
        ledger, world, station, request.request_id, issued.units, config.archive_dir, attested
    )


@pytest.fixture(scope="module")
def credit_world(
    w3: Web3,
    build: Build,
    deployment: Deployment,
    session_settings: LedgerSettings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CreditWorld]:
    snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    ledger = Ledger(
        w3, build, deployment, tx_manager(w3, build, session_settings), session_settings
    )
    try:
        yield issue_credit(ledger, tmp_path_factory.mktemp("verify"))
    finally:
        w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]
