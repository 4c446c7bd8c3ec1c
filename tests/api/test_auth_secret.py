"""The token secret: the shipped placeholder only on the devnet, short secrets never (and never
echoed), and a token signed with another secret, for another chain, or expired is refused."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from api.auth import Actor, check_secret, make_token, read_token
from api.errors import Unauthorized
from api.settings import ApiSettings
from ledger.errors import SettingsError

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_placeholder_secret_is_refused_off_the_devnet() -> None:
    settings = ApiSettings()
    check_secret(settings, 31337)
    with pytest.raises(SettingsError, match="ESSL_API_SECRET"):
        check_secret(settings, 11155111)
    check_secret(ApiSettings(api_secret=SecretStr("x" * 48)), 11155111)


def test_short_secret_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="at least 32") as caught:
        ApiSettings(api_secret="short-secret-value")  # type: ignore[arg-type]
    assert "short-secret-value" not in str(caught.value)


def test_tokens_check_their_signature_audience_and_expiry() -> None:
    settings = ApiSettings(api_secret=SecretStr("a" * 40))
    token = make_token(settings, Actor(ADDRESS, frozenset({"regulator"}), 2**40), 31337)
    assert read_token(settings, token, 31337).roles == {"regulator"}
    with pytest.raises(Unauthorized, match="invalid token"):
        read_token(ApiSettings(api_secret=SecretStr("b" * 40)), token, 31337)
    with pytest.raises(Unauthorized, match="another chain"):
        read_token(settings, token, 1)
    with pytest.raises(Unauthorized, match="another chain"):
        read_token(
            ApiSettings(api_secret=SecretStr("a" * 40), auth_domain="x.example"), token, 31337
        )
    expired = make_token(settings, Actor(ADDRESS, frozenset(), 1), 31337)
    with pytest.raises(Unauthorized, match="expired"):
        read_token(settings, expired, 31337)
    with pytest.raises(Unauthorized, match="not ASCII"):
        read_token(settings, token + "é", 31337)


def test_without_a_node_the_indexed_chain_id_decides_about_the_placeholder() -> None:
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from api.app import create_app
    from ledger.db import make_engine
    from ledger.index.tables import Checkpoint

    engine = make_engine("sqlite://")
    app = create_app(ApiSettings(run_indexer=False), engine=engine)  # nothing indexed yet
    forged = make_token(ApiSettings(), Actor(ADDRESS, frozenset({"regulator"}), 2**40), 11155111)
    with Session(engine) as session:
        session.add(Checkpoint(name="main", chain_id=11155111, block_number=1, block_hash="0x"))
        session.commit()
    reply = TestClient(app).get(
        "/v1/settlements/1/20261123", headers={"Authorization": f"Bearer {forged}"}
    )
    assert reply.status_code == 503 and "ESSL_API_SECRET" in reply.json()["error"]["message"]
    with pytest.raises(SettingsError, match="ESSL_API_SECRET"):
        create_app(ApiSettings(run_indexer=False), engine=engine)
