"""The inputs that once answered 500, each a 4xx JSON error now: integers the OpenAPI allows but
SQL cannot hold, impossible settlement periods (refused after the role check), 65-byte
signatures that do not recover, and bearer tokens with non-ASCII characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.settings import ApiSettings
from devnet.world import World
from ledger.client import Ledger

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
UNRECOVERABLE = {
    "all zeros": "00" * 65,
    "r = n": f"{N:064x}" + "11" * 32 + "1b",
    "s = n": "11" * 32 + f"{N:064x}" + "1b",
    "v = 5": "11" * 64 + "05",
}


@pytest.fixture
def api(indexed: tuple[Ledger, int], engine: Engine, tmp_path: Path) -> TestClient:
    ledger, _ = indexed
    settings = ApiSettings(archive_dir=tmp_path / "archive", run_indexer=False)
    return TestClient(create_app(settings, engine=engine, ledger=ledger))


def _token(api: TestClient, world: World) -> dict[str, str]:
    who = world.participants[0].account
    message = api.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
    token = api.post("/v1/auth/token", json={"message": message, "signature": signature})
    return {"Authorization": f"Bearer {token.json()['token']}"}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/reports/1/9223372036854775808", "interval_start"),
        ("/v1/stations/1/intervals?from=9223372036854775808", "from"),
        (
            "/v1/trace/participants/0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
            "?station_id=1&to=18446744073709551615",
            "to",
        ),
        ("/v1/credits/4294967296", "token_id"),
        ("/v1/stations/4294967295", "station_id"),
    ],
)
def test_integers_beyond_sql_get_422_naming_the_field(
    api: TestClient, path: str, field: str
) -> None:
    reply = api.get(path)
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["details"][0]["field"] == field


def test_times_sql_can_hold_but_no_row_has_are_404_on_every_backend(api: TestClient) -> None:
    assert api.get(f"/v1/reports/1/{2**63 - 1}").status_code == 404
    assert api.get(f"/v1/stations/1/intervals?from={2**40}").json() == []


def test_impossible_periods_are_refused_after_the_role_check(
    api: TestClient, world: World, indexed: tuple[Ledger, int]
) -> None:
    _, station = indexed
    headers = _token(api, world)
    for period in (20261399, -1, 10**40):
        reply = api.post(
            "/v1/settlements", json={"station_id": station, "period": period}, headers=headers
        )
        assert reply.status_code in (403, 422), reply.text
    # A participant never learns more than 403 about a station it does not operate ...
    reply = api.post(
        "/v1/settlements", json={"station_id": station, "period": 20261399}, headers=headers
    )
    assert reply.status_code == 403
    # ... and a reader is told which field is wrong.
    reply = api.get(f"/v1/settlements/{station}/20261399", headers=headers)
    assert reply.status_code == 422
    assert reply.json()["error"]["details"] == [
        {"field": "period", "reason": "20261399 is not a yyyymmdd calendar date"}
    ]


@pytest.mark.parametrize("kind", sorted(UNRECOVERABLE))
def test_unrecoverable_signatures_are_refused_at_sign_in(
    api: TestClient, world: World, kind: str
) -> None:
    who = world.participants[0].account
    message = api.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
    reply = api.post("/v1/auth/token", json={"message": message, "signature": UNRECOVERABLE[kind]})
    assert reply.status_code == 401, reply.text
    assert "signature" in reply.json()["error"]["message"]


def test_non_ascii_bearer_tokens_are_401(api: TestClient, indexed: tuple[Ledger, int]) -> None:
    _, station = indexed
    reply = api.get(
        f"/v1/settlements/{station}/20261123",
        headers={"Authorization": "Bearer tökén".encode()},
    )
    assert reply.status_code == 401


def test_challenges_are_capped_per_address_and_pruned_on_expiry(
    api: TestClient, world: World, engine: Engine
) -> None:
    from sqlmodel import Session, select

    from api.auth import AuthChallenge, prune_challenges

    who = world.participants[0].address
    for _ in range(8):
        api.post("/v1/auth/challenge", json={"address": who})
    with Session(engine) as session:
        mine = session.exec(select(AuthChallenge).where(AuthChallenge.address == who)).all()
        assert len(mine) == ApiSettings().max_challenges_per_address
        mine[0].expires_at = 1
        session.add(mine[0])
        session.commit()
        prune_challenges(session)
        session.commit()
        left = session.exec(select(AuthChallenge).where(AuthChallenge.address == who)).all()
        assert len(left) == len(mine) - 1
