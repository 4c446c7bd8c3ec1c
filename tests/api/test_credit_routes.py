"""Credits, avoided balances and emission factors through the API, after indexing the chain."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from devnet.world import World, register_world
from ledger.client import Ledger
from ledger.credits import RetireInfo
from ledger.factors import load_dataset
from ledger.index.indexer import Indexer
from ledger.storage import StorageLedgerClient
from tests.credit_helpers import (
    PERIOD,
    UNISSUED,
    Actors,
    book_avoided,
    make_actors,
    request,
)


@dataclass
class Story:
    ledger: Ledger
    actors: Actors
    station: int
    live: int  # 1,000 units issued; 300 to the consumer, 100 retired by it
    revoked: int  # 200 units issued, then revoked
    rejected: int
    pending: int


@pytest.fixture
def story(ledger: Ledger, world: World, engine: Engine) -> Story:
    station = register_world(ledger, world)
    version = book_avoided(ledger, world, station)
    actors = make_actors(ledger, world)
    live = request(actors, station, 1_000_500, version)
    actors.verifier.approve(live)
    actors.gen.transfer(actors.consumer.ledger.tx.address, live, 300)
    actors.consumer.retire(live, 100, RetireInfo(beneficiary="Xining Steel", purpose="scope 2"))
    revoked = request(actors, station, 200_000, version)
    actors.verifier.approve(revoked)
    actors.regulator.revoke(revoked, b"\x05" * 32)
    rejected = request(actors, station, 5_000, version)
    actors.verifier.reject(rejected, b"\x06" * 32)
    pending = request(actors, station, 7_000, version)
    Indexer(ledger, engine).run_once()
    return Story(ledger, actors, station, live, revoked, rejected, pending)


def test_credit_shows_state_amounts_request_approval_and_factor_version(
    client: TestClient, story: Story
) -> None:
    body = client.get(f"/v1/credits/{story.live}").json()
    assert body["state"] == "live"
    assert body["amounts"] == {"issued": 1000, "live": 900, "retired": 100, "revoked": 0}
    on_chain = story.actors.admin.amounts(story.live)
    assert (on_chain.issued, on_chain.live, on_chain.retired) == (1000, 900, 100)
    assert body["factor_version"] == story.actors.admin.credit(story.live).factor_version
    request_ = body["request"]
    assert request_["requested_grams"] == 1_000_500
    assert (request_["period_start"], request_["period_end"]) == PERIOD
    assert request_["participant"] == story.actors.gen.ledger.tx.address
    approval = body["approval"]
    assert approval["approved"] and approval["units"] == 1000
    assert approval["consumed_grams"] == 1_000_000
    assert approval["verifier"] == story.actors.verifier.ledger.tx.address
    (claim,) = body["retirements"]
    assert claim["beneficiary"] == "Xining Steel" and claim["country"] == "CN"
    assert {h["holder"]: h["balance"] for h in body["holders"]} == {
        story.actors.gen.ledger.tx.address: 700,
        story.actors.consumer.ledger.tx.address: 200,
    }


def test_revoked_rejected_and_pending_credits(client: TestClient, story: Story) -> None:
    revoked = client.get(f"/v1/credits/{story.revoked}").json()
    assert revoked["state"] == "revoked"
    assert revoked["amounts"] == {"issued": 200, "live": 0, "retired": 0, "revoked": 200}
    assert revoked["revocation"]["reason_hash"] == "0x" + "05" * 32
    rejected = client.get(f"/v1/credits/{story.rejected}").json()
    assert rejected["state"] == "rejected" and rejected["amounts"]["issued"] == 0
    assert rejected["approval"]["approved"] is False
    pending = client.get(f"/v1/credits/{story.pending}").json()
    assert pending["state"] == "requested" and pending["approval"] is None


def test_unknown_credit_is_404_and_a_bad_id_422(client: TestClient, story: Story) -> None:
    missing = client.get("/v1/credits/999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for bad in ("0", "abc", "-1"):
        reply = client.get(f"/v1/credits/{bad}")
        assert reply.status_code == 422
        assert reply.json()["error"]["code"] == "invalid_parameter"


def test_balances_gain_credits_and_the_unissued_avoided_balance(
    client: TestClient, story: Story
) -> None:
    gen = story.actors.gen.ledger.tx.address
    body = client.get(f"/v1/participants/{gen}/balances").json()
    (avoided,) = body["avoided"]
    consumed = 1_000_000 + 200_000
    assert avoided == {
        "station_id": story.station,
        "avoided_grams": UNISSUED,
        "consumed_grams": consumed,
        "unissued_grams": UNISSUED - consumed,
    }
    assert avoided["unissued_grams"] == (
        StorageLedgerClient(story.ledger).avoided_of(story.station, gen).unissued_grams
    )
    credits = {c["token_id"]: c for c in body["credits"]}
    assert credits[story.live] == {
        "token_id": story.live,
        "station_id": story.station,
        "state": "live",
        "live": 700,
        "frozen": 0,
        "retired": 0,
    }
    assert credits[story.revoked]["frozen"] == 200 and credits[story.revoked]["live"] == 0

    consumer = story.actors.consumer.ledger.tx.address
    body = client.get(f"/v1/participants/{consumer.lower()}/balances").json()
    assert [(c["token_id"], c["live"], c["retired"]) for c in body["credits"]] == [
        (story.live, 200, 100)
    ]
    assert body["avoided"] == []


def test_emission_factors_list_every_registered_version(client: TestClient, story: Story) -> None:
    story.ledger.transact(
        "EmissionFactors",
        "registerDataset",
        b"\xee" * 32,
        "essl://factors/test",
        1,
        2,
        [b"CN-QH".ljust(32, b"\0")],
        [150_000],
    )
    Indexer(story.ledger, client.app.state.engine).run_once()  # type: ignore[attr-defined]
    body = client.get("/v1/emission-factors").json()
    assert [d["version"] for d in body] == [1, 2]
    shipped = load_dataset()
    assert body[0]["dataset_hash"] == "0x" + shipped.content_hash.hex()
    assert {f["region"]: f["grams_per_mwh"] for f in body[0]["factors"]} == shipped.factors
    assert body[1]["factors"] == [{"region": "CN-QH", "grams_per_mwh": 150_000}]
    assert body[1]["source_uri"] == "essl://factors/test"


def test_a_reorg_rewinds_approval_moves_and_consumption(
    client: TestClient, ledger: Ledger, world: World, engine: Engine
) -> None:
    station = register_world(ledger, world)
    version = book_avoided(ledger, world, station)
    actors = make_actors(ledger, world)
    token = request(actors, station, 100_000, version)
    indexer = Indexer(ledger, engine)
    indexer.run_once()
    snap = ledger.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    actors.verifier.approve(token)
    actors.gen.transfer(actors.consumer.ledger.tx.address, token, 10)
    indexer.run_once()
    assert client.get(f"/v1/credits/{token}").json()["state"] == "live"

    ledger.w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]
    for who in (actors.verifier, actors.gen):
        who.ledger.tx._next_nonce = None  # the node forgot those transactions
    actors.verifier.reject(token, b"\x07" * 32)
    ledger.w3.provider.make_request("anvil_mine", ["0x3"])  # type: ignore[arg-type]
    assert indexer.run_once().rewound_to is not None

    body = client.get(f"/v1/credits/{token}").json()
    assert body["state"] == "rejected" and body["holders"] == []
    gen = actors.gen.ledger.tx.address
    (avoided,) = client.get(f"/v1/participants/{gen}/balances").json()["avoided"]
    assert avoided["consumed_grams"] == 0 and avoided["unissued_grams"] == UNISSUED
