"""`essl credits ...` through the real executable against the test anvil, each actor signing
with its own key taken from an environment variable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devnet.world import World, demo_world, register_world
from ledger.client import Ledger
from ledger.credits import CreditsClient
from ledger.settings import LedgerSettings
from tests.credit_helpers import PERIOD, UNISSUED, book_avoided
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
