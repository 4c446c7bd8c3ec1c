"""`essl settle ...` through the real executable against the test anvil: the station operator
runs (settle + anchor + store), participants acknowledge and dispute with their own keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session

from devnet.world import World, demo_world
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.reasons import reason_texts
from ledger.settings import LedgerSettings
from ledger.settlement.anchor import Response, SettlementAnchorClient
from tests.devnet.cli import Essl, essl_group, key_hex
from tests.settlement_helpers import PERIOD, book_day

REASON = "call energy short: 调峰 13:45–14:00 <missing>"


@pytest.fixture
def world() -> World:
    return demo_world()


@pytest.fixture
def station(ledger: Ledger, world: World, tmp_path: Path) -> int:
    return book_day(ledger, world, make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}"))


@pytest.fixture
def run(world: World, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path) -> Essl:
    return essl_group(
        "settle",
        anvil_url,
        session_settings,
        tmp_path,
        timeout=180,
        COLUMNS="200",
        ESSL_DATABASE_URL=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
        OPERATOR_KEY=key_hex(world.station_operator),
        GEN_KEY=key_hex(world.participants[0].account),
        CON_KEY=key_hex(world.participants[3].account),
    )


def test_run_ack_dispute_show_through_the_cli(
    ledger: Ledger, world: World, station: int, run: Essl, tmp_path: Path
) -> None:
    ran = run("run", str(station), "2026-11-23", "--key-env", "OPERATOR_KEY")
    assert ran.returncode == 0, ran.stderr
    assert f"statement {station}/{PERIOD} v1: 5 lines" in ran.stdout

    acked = run("ack", str(station), str(PERIOD), "--key-env", "GEN_KEY")
    assert acked.returncode == 0, acked.stderr
    disputed = run(
        "dispute",
        str(station),
        str(PERIOD),
        "--reason",
        REASON,
        "--key-env",
        "CON_KEY",
    )
    assert disputed.returncode == 0, disputed.stderr

    anchor = SettlementAnchorClient(ledger)
    gen, con = world.participants[0].address, world.participants[3].address
    assert anchor.response_of(station, PERIOD, 1, gen) is Response.ACKNOWLEDGED
    assert anchor.response_of(station, PERIOD, 1, con) is Response.DISPUTED
    # The text is kept in the database under the hash that went on-chain.
    (event,) = (
        ledger.contract("SettlementAnchor")
        .events.StatementDisputed()
        .get_logs(argument_filters={"stationId": station, "participant": con}, from_block=0)
    )
    onchain_hash = "0x" + bytes(event["args"]["reasonHash"]).hex()
    with Session(make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite'}")) as session:
        assert reason_texts(session, [onchain_hash]) == {onchain_hash: REASON}

    shown = run("show", str(station), str(PERIOD), "--json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert (doc["state"], doc["acknowledged"], doc["disputed"]) == ("pending", 1, 1)
    assert len(doc["statement"]["lines"]) == 5

    table = run("show", str(station), str(PERIOD))
    assert table.returncode == 0 and "TOTAL" in table.stdout and "acknowledged" in table.stdout

    early = run("finalize", str(station), str(PERIOD), "--key-env", "GEN_KEY")
    assert early.returncode == 1 and "SettlementAnchorWindowOpen" in early.stderr

    again = run("ack", str(station), str(PERIOD), "--key-env", "GEN_KEY")
    assert again.returncode == 1 and "SettlementAnchorAlreadyResponded" in again.stderr


def test_a_participant_cannot_anchor_and_bad_days_are_refused(station: int, run: Essl) -> None:
    refused = run("run", str(station), str(PERIOD), "--key-env", "GEN_KEY")
    assert refused.returncode == 1 and "SettlementAnchorNotAnchorer" in refused.stderr
    bad = run("show", str(station), "20261341")
    assert bad.returncode == 2 and "not a day" in bad.stderr
