"""The reasons of rejections and revocations: a verifier or regulator keeps the text through
`POST /v1/credits/reasons` before sending its hash (real anvil, real SQL, the real API), and
the credit's JSON and its trace then show it, once indexed, even when the answer without the
text was cached first. Only a text that hashes to the on-chain hash is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from web3 import Web3

from api.app import create_app
from api.settings import ApiSettings
from devnet.world import World, register_world
from ledger.client import Ledger
from ledger.index.indexer import Indexer
from ledger.index.tables import ReasonText
from ledger.reasons import MAX_REASON_CHARS, record_reason
from tests.credit_helpers import Actors, book_avoided, make_actors, request

REJECT = "reports root misses 12:00-12:15 (meter 3 offline)"
REVOKE = "double counted with green certificate GEC-2026-0042"


@pytest.fixture
def api(ledger: Ledger, engine: Engine, tmp_path: Path) -> TestClient:
    settings = ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False)
    return TestClient(create_app(settings, engine=engine, ledger=ledger))


@pytest.fixture
def actors(ledger: Ledger, world: World) -> tuple[Actors, int, int]:
    station = register_world(ledger, world)
    return make_actors(ledger, world), station, book_avoided(ledger, world, station)


def _token(api: TestClient, who: LocalAccount) -> dict[str, str]:
    message = api.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
    reply = api.post("/v1/auth/token", json={"message": message, "signature": signature})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def _keep(api: TestClient, who: LocalAccount, reason: str) -> bytes:
    reply = api.post("/v1/credits/reasons", json={"reason": reason}, headers=_token(api, who))
    assert reply.status_code == 200, reply.text
    digest = reply.json()["reason_hash"]
    assert digest == "0x" + bytes(Web3.keccak(text=reason)).hex()
    return bytes.fromhex(digest[2:])


def test_kept_reasons_are_shown_with_the_rejection_and_the_revocation(
    api: TestClient,
    ledger: Ledger,
    world: World,
    engine: Engine,
    actors: tuple[Actors, int, int],
) -> None:
    who, station, version = actors
    rejected = request(who, station, 5_000, version)
    who.verifier.reject(rejected, _keep(api, world.verifier, REJECT))
    revoked = request(who, station, 200_000, version)
    who.verifier.approve(revoked)
    who.regulator.revoke(revoked, _keep(api, world.regulator, REVOKE))
    Indexer(ledger, engine).run_once()

    body = api.get(f"/v1/credits/{rejected}").json()
    assert body["approval"]["approved"] is False
    assert body["approval"]["reason_hash"] == "0x" + bytes(Web3.keccak(text=REJECT)).hex()
    assert body["approval"]["reason"] == REJECT
    body = api.get(f"/v1/credits/{revoked}").json()
    assert body["revocation"]["reason"] == REVOKE
    assert body["approval"]["reason"] is None  # an approval carries no reason
    trace = api.get(f"/v1/trace/credits/{revoked}?depth=1").json()
    assert trace["revocation"]["reason"] == REVOKE
    assert api.get(f"/v1/trace/credits/{rejected}?depth=1").json()["approval"]["reason"] == REJECT

    # A row altered in the database no longer hashes to the key: not shown as the reason.
    key = "0x" + bytes(Web3.keccak(text=REVOKE)).hex()
    with Session(engine) as session:
        row = session.get(ReasonText, key)
        assert row is not None
        row.text = "nothing wrong with this credit"
        session.add(row)
        session.commit()
    assert api.get(f"/v1/credits/{revoked}").json()["revocation"]["reason"] is None
    assert api.get(f"/v1/trace/credits/{revoked}?depth=1").json()["revocation"]["reason"] is None


def test_a_text_kept_after_the_answer_was_cached_is_shown(
    api: TestClient,
    ledger: Ledger,
    engine: Engine,
    actors: tuple[Actors, int, int],
) -> None:
    """The texts are off-chain, not in the read cache's version: the key carries them."""
    who, station, version = actors
    revoked = request(who, station, 200_000, version)
    who.verifier.approve(revoked)
    who.regulator.revoke(revoked, bytes(Web3.keccak(text=REVOKE)))  # sent without keeping it
    Indexer(ledger, engine).run_once()
    assert api.get(f"/v1/credits/{revoked}").json()["revocation"]["reason"] is None
    assert api.get(f"/v1/trace/credits/{revoked}?depth=1").json()["revocation"]["reason"] is None
    record_reason(engine, REVOKE)
    assert api.get(f"/v1/credits/{revoked}").json()["revocation"]["reason"] == REVOKE
    assert api.get(f"/v1/trace/credits/{revoked}?depth=1").json()["revocation"]["reason"] == REVOKE


def test_keeping_a_reason_is_for_verifiers_and_regulators_with_a_valid_text(
    api: TestClient, world: World, actors: tuple[Actors, int, int]
) -> None:
    anonymous = api.post("/v1/credits/reasons", json={"reason": REVOKE})
    assert anonymous.status_code == 401
    participant = api.post(
        "/v1/credits/reasons",
        json={"reason": REVOKE},
        headers=_token(api, world.participants[0].account),
    )
    assert participant.status_code == 403
    assert "verifier, regulator" in participant.json()["error"]["message"]
    headers = _token(api, world.regulator)
    for bad in ("", "   \n", "x" * (MAX_REASON_CHARS + 1)):
        reply = api.post("/v1/credits/reasons", json={"reason": bad}, headers=headers)
        assert reply.status_code == 422, bad
        assert reply.json()["error"]["details"][0]["field"] == "reason"
    missing = api.post("/v1/credits/reasons", json={}, headers=headers)
    assert missing.status_code == 422 and "reason" in missing.json()["error"]["message"]
    longest = api.post(
        "/v1/credits/reasons", json={"reason": "y" * MAX_REASON_CHARS}, headers=headers
    )
    assert longest.status_code == 200
