"""The suite on the second node: deploy with a keystore key at two confirmations, check the
record against the chain, and onboard the demo station from its file (a second apply sends
nothing)."""

from __future__ import annotations

from web3 import Web3

from devnet.demo import INTERVALS, run_demo
from devnet.world import demo_world, world_station_file
from ledger.deploy import mismatch
from ledger.onboarding import apply, find_station, plan
from ledger.settings import LedgerSettings
from ledger.setup import open_or_deploy
from ledger.station_file import SignersSpec
from tests.second_node.conftest import party_keys


def test_the_suite_deploys_and_onboards_a_station_on_hardhat(
    node_settings: LedgerSettings,
) -> None:
    ledger = open_or_deploy(node_settings)
    w3 = ledger.w3
    assert str(w3.client_version).startswith("HardhatNetwork")
    assert ledger.chain_id == 1337
    assert mismatch(w3, ledger.deployment) is None
    assert ledger.tx.address == Web3.to_checksum_address(
        w3.eth.account.from_key(party_keys()[0]).address
    )
    # A receipt comes back only two blocks after the one that mined it.
    head = int(w3.eth.block_number)
    assert head >= ledger.deployment.deploy_block + 2

    world = demo_world(party_keys())
    # The file's inline keys are for the devnet only: here each party signs from its keystore.
    spec = world_station_file(world).model_copy(update={"signers": SignersSpec()})
    parties = {
        "admin": ledger,
        "station_operator": ledger.as_account(world.station_operator),
        "grid_operator": ledger.as_account(world.grid_operator),
    }
    station_id = apply(plan(ledger, spec), parties)  # type: ignore[arg-type]
    assert station_id == find_station(ledger, world.station.external_code) > 0
    assert plan(ledger, spec).changes == []


def test_the_whole_demo_day_runs_on_hardhat(node_settings: LedgerSettings) -> None:
    result = run_demo(node_settings, port=0, progress=None, world=demo_world(party_keys()))
    assert result["chain_id"] == 1337
    assert result["trace_ok"] is True
    assert (result["intervals_on_chain"], result["rejected_readings"]) == (INTERVALS, 0)
    assert result["credits_issued_kg"] > 0 and result["credits_retired_kg"] > 0
    assert result["settlement"]["acknowledged"] == 4
    print(f"demo on hardhat: {result['seconds']} s")
