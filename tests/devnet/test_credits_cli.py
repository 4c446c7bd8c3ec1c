"""`essl credits ...` through the real executable against the test anvil, each actor signing
with its own key taken from an environment variable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from web3 import Web3

from api.app import create_app
from api.settings import ApiSettings
from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.credits import CreditsClient
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.index.tables import ReasonText
from ledger.settings import LedgerSettings
from tests.credit_helpers import PERIOD, UNISSUED, book_avoided, make_actors, request
from tests.devnet.cli import Essl, essl_group, key_hex


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def run(
    ledger: Ledger, world: World, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> Essl:
    return essl_group(
        "credits",
        anvil_url,
        session_settings,
        tmp_path,
        GEN_KEY=key_hex(world.participants[0].account),
        VERIFIER_KEY=key_hex(world.verifier),
    )


def test_request_approve_retire_through_the_cli(ledger: Ledger, world: World, run: Essl) -> None:
    station = register_world(ledger, world)
    book_avoided(ledger, world, station)
    gen = world.participants[0].address

    asked = run(
        "request",
        str(station),
        "--period-start",
        str(PERIOD[0]),
        "--period-end",
        str(PERIOD[1]),
        "--key-env",
        "GEN_KEY",
    )
    assert asked.returncode == 0, asked.stderr
    token = int(re.search(r"id (\d+)", asked.stdout).group(1))  # type: ignore[union-attr]

    refused = run("approve", str(token), "--key-env", "GEN_KEY")
    assert refused.returncode == 1
    assert "AccessControlUnauthorizedAccount" in refused.stderr

    approved = run("approve", str(token), "--key-env", "VERIFIER_KEY")
    assert approved.returncode == 0, approved.stderr
    assert f"{UNISSUED // 1000} units minted" in approved.stdout

    retired = run(
        "retire",
        str(token),
        "250",
        "--beneficiary",
        "Golmud Solar 2",
        "--purpose",
        "test",
        "--key-env",
        "GEN_KEY",
    )
    assert retired.returncode == 0, retired.stderr

    shown = run("show", str(token), "--holder", gen, "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["state"], data["issued"], data["retired"], data["claimed"]) == (
        "live",
        UNISSUED // 1000,
        250,
        250,
    )
    assert CreditsClient(ledger).claimed_balance_of(gen, token) == 250


def test_an_unset_key_variable_is_named_in_the_error(run: Essl) -> None:
    result = run("revoke", "1", "--key-env", "NO_SUCH_KEY")
    assert result.returncode == 1
    assert "NO_SUCH_KEY" in result.stderr


REVOKE_REASON = "double counted with green certificate GEC-2026-0042"
REJECT_REASON = "reports root misses 12:00-12:15 (meter 3 offline)"


def test_reject_and_revoke_keep_their_reasons_where_the_api_shows_them(
    ledger: Ledger,
    world: World,
    anvil_url: str,
    session_settings: LedgerSettings,
    tmp_path: Path,
) -> None:
    """With ESSL_DATABASE_URL set, the texts are kept before the transactions are sent and
    /v1/credits shows them once indexed; no reason sends the zero hash and keeps nothing."""
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    run = essl_group(
        "credits",
        anvil_url,
        session_settings,
        tmp_path,
        ESSL_DATABASE_URL=url,
        VERIFIER_KEY=key_hex(world.verifier),
        REGULATOR_KEY=key_hex(world.regulator),
    )
    station = register_world(ledger, world)
    version = book_avoided(ledger, world, station)
    actors = make_actors(ledger, world)
    rejected, revoked, silent = (request(actors, station, 5_000, version) for _ in range(3))
    actors.verifier.approve(revoked)
    actors.verifier.approve(silent)

    done = run("reject", str(rejected), "--reason", REJECT_REASON, "--key-env", "VERIFIER_KEY")
    assert done.returncode == 0, done.stderr
    done = run("revoke", str(revoked), "--reason", REVOKE_REASON, "--key-env", "REGULATOR_KEY")
    assert done.returncode == 0, done.stderr
    assert "0x" + bytes(Web3.keccak(text=REVOKE_REASON)).hex() in done.stdout
    done = run("revoke", str(silent), "--key-env", "REGULATOR_KEY")
    assert done.returncode == 0, done.stderr
    assert "0x" + "00" * 32 in done.stdout

    engine = make_engine(url)
    Indexer(ledger, engine).run_once()
    api = TestClient(
        create_app(ApiSettings(archive_dir=tmp_path, run_indexer=False), engine=engine)
    )
    body = api.get(f"/v1/credits/{rejected}").json()
    assert body["approval"]["reason"] == REJECT_REASON
    body = api.get(f"/v1/credits/{revoked}").json()
    assert body["revocation"]["reason_hash"] == "0x" + bytes(Web3.keccak(text=REVOKE_REASON)).hex()
    assert body["revocation"]["reason"] == REVOKE_REASON
    body = api.get(f"/v1/credits/{silent}").json()
    assert body["revocation"]["reason_hash"] == "0x" + "00" * 32
    assert body["revocation"]["reason"] is None
    with Session(engine) as session:
        assert len(session.exec(select(ReasonText)).all()) == 2  # nothing kept for no reason
