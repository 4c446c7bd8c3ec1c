"""Curtailment attestations through the API: intervals, balances and traces count the grams the
grid operator's attestation added on top of what the report booked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from devnet.world import DAY_START, INTERVAL_S, World, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.storage import CurtailedCharge, StorageLedgerClient
from tests.credit_helpers import make_actors, request
from tests.helpers import report, submit

MWH = 1_000_000


def attest(ledger: Ledger, world: World, station: int, start: int, charges: dict[str, int]) -> str:
    grid = StorageLedgerClient(ledger.as_account(world.grid_operator))
    rows = [CurtailedCharge(addr, wh) for addr, wh in charges.items()]
    return "0x" + bytes(grid.attest_curtailment(station, start, rows)["transactionHash"]).hex()


def grams_per_mwh(client: TestClient, station: int) -> int:
    return int(client.get(f"/v1/reports/{station}/{DAY_START}").json()["grams_per_mwh"])


def test_intervals_show_the_attested_curtailment_and_its_grams(
    client: TestClient, indexed: tuple[Ledger, int], world: World, engine: Engine
) -> None:
    ledger, station = indexed
    gen, con = world.participants[0].address, world.participants[3].address
    attest(ledger, world, station, DAY_START, {gen: 10 * MWH, con: 5 * MWH})
    Indexer(ledger, engine).run_once()
    g = grams_per_mwh(client, station)

    first, second = client.get(f"/v1/stations/{station}/intervals").json()
    lines = {p["participant"]: p for p in first["participants"]}
    # Interval 0 charged gen 10 MWh and con 20 MWh at the grid factor; the attestation gives
    # back the curtailed part.
    assert (lines[gen]["curtailed_wh"], lines[gen]["avoided_grams"]) == (10 * MWH, 0)
    assert (lines[con]["curtailed_wh"], lines[con]["avoided_grams"]) == (5 * MWH, -20 * g + 5 * g)
    assert lines[gen]["charged_wh"] == 10 * MWH  # as the report booked it
    assert {p["curtailed_wh"] for p in second["participants"]} == {0}
    chain = StorageLedgerClient(ledger)
    for who in (gen, con):
        listed = sum(
            p["avoided_grams"]
            for interval in (first, second)
            for p in interval["participants"]
            if p["participant"] == who
        )
        assert listed == chain.avoided_of(station, who).avoided_grams


def test_balances_count_the_attested_grams_as_the_ledger_does(
    client: TestClient, indexed: tuple[Ledger, int], world: World, engine: Engine
) -> None:
    ledger, station = indexed
    gen = world.participants[0].address
    body = client.get(f"/v1/participants/{gen}/balances").json()
    assert body["avoided"][0]["unissued_grams"] == 0  # charged 10 MWh, discharged 1 MWh

    attest(ledger, world, station, DAY_START, {gen: 10 * MWH})
    Indexer(ledger, engine).run_once()
    body = client.get(f"/v1/participants/{gen}/balances").json()
    chain = StorageLedgerClient(ledger).avoided_of(station, gen)
    (avoided,) = body["avoided"]
    assert chain.unissued_grams == grams_per_mwh(client, station)  # the 1 MWh discharged
    assert (avoided["avoided_grams"], avoided["unissued_grams"]) == (
        chain.avoided_grams,
        chain.unissued_grams,
    )
    (line,) = body["stations"]
    assert line["avoided_grams"] == chain.avoided_grams


def test_an_account_trace_shows_the_attestation_of_each_interval(
    client: TestClient, indexed: tuple[Ledger, int], world: World, engine: Engine
) -> None:
    ledger, station = indexed
    con = world.participants[3].address
    tx_hash = attest(ledger, world, station, DAY_START, {con: 5 * MWH})
    Indexer(ledger, engine).run_once()

    body = client.get(
        f"/v1/trace/participants/{con}", params={"station_id": station, "depth": 3}
    ).json()
    assert body["avoided"]["avoided_grams"] == (
        StorageLedgerClient(ledger).avoided_of(station, con).avoided_grams
    )
    first, second = body["intervals"]
    assert first["curtailed_wh"] == 5 * MWH
    assert first["curtailment"]["tx_hash"] == tx_hash
    assert first["curtailment"]["grid_operator"] == world.grid_operator.address
    assert first["curtailment"]["avoided_grams"] == 5 * grams_per_mwh(client, station)
    assert (second["curtailed_wh"], second["curtailment"]) == (0, None)


def test_a_credit_trace_leaves_out_attestations_after_the_approval(
    client: TestClient, ledger: Ledger, world: World, engine: Engine
) -> None:
    station = register_world(ledger, world)
    gen = world.participants[0].address
    submit(ledger, world, report(ledger, station, 0, {gen: (10 * MWH, 0)}))
    submit(ledger, world, report(ledger, station, 1, {gen: (20 * MWH, 15 * MWH)}))
    attest(ledger, world, station, DAY_START, {gen: 10 * MWH})
    chain = StorageLedgerClient(ledger)
    before = chain.avoided_of(station, gen)
    actors = make_actors(ledger, world)
    token = request(actors, station, 500_000, before.factor_version)
    actors.verifier.approve(token)
    attest(ledger, world, station, DAY_START + INTERVAL_S, {gen: 10 * MWH})
    Indexer(ledger, engine).run_once()

    body = client.get(f"/v1/trace/credits/{token}", params={"depth": 3}).json()
    assert body["avoided"]["avoided_grams"] == before.avoided_grams
    assert [i["curtailed_wh"] for i in body["intervals"]] == [10 * MWH, 0]
    assert chain.avoided_of(station, gen).avoided_grams > before.avoided_grams
