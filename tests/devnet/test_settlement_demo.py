"""The demo hook: the simulated day settled and anchored, four participants acknowledge, one
disputes, each with its own key; calling it again changes nothing."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from devnet.settlement_demo import DISPUTE_REASON, settle_demo_day
from devnet.world import DAY_START, demo_world
from ledger.client import Ledger
from ledger.db import make_engine
from ledger.reasons import reason_texts
from ledger.settlement.anchor import SettlementAnchorClient, StatementState
from tests.settlement_helpers import PERIOD, book_day


def test_settle_demo_day_gets_four_acknowledgements_and_one_dispute(ledger: Ledger) -> None:
    world = demo_world()
    engine: Engine = make_engine("sqlite://")
    station = book_day(ledger, world, engine)
    result = settle_demo_day(ledger, world, station, engine, DAY_START)
    assert (result["period"], result["lines"], result["acknowledged"], result["disputed"]) == (
        PERIOD,
        5,
        4,
        1,
    )
    anchor = SettlementAnchorClient(ledger)
    onchain = anchor.statement_of(station, PERIOD, 1)
    assert result["root"] == "0x" + onchain.lines_root.hex()
    assert result["net_total"] == onchain.net_total
    assert onchain.state is StatementState.PENDING
    (event,) = (
        ledger.contract("SettlementAnchor")
        .events.StatementDisputed()
        .get_logs(argument_filters={"stationId": station}, from_block=0)
    )
    disputed_hash = bytes(event["args"]["reasonHash"])
    with Session(engine) as session:
        assert reason_texts(session, [disputed_hash]) == {
            "0x" + disputed_hash.hex(): DISPUTE_REASON
        }
    assert settle_demo_day(ledger, world, station, engine, DAY_START) == result
