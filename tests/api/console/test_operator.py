"""The operators' page: signed in as the grid operator, the oracle's health, the curtailment
attestations and the settlement responses match the chain; a participant is refused."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.queries.rows import checkpoint
from devnet.world import demo_world
from ledger.db import make_engine
from ledger.settlement.anchor import SettlementAnchorClient
from tests.api.console.conftest import SCREENSHOTS, Demo, screenshot
from tests.api.console.test_participant import sign_in


def test_the_grid_operator_sees_oracle_health_curtailment_and_responses_as_on_chain(
    browser: Any, demo: Demo
) -> None:
    world = demo_world()
    station = demo.result["stations"][0]
    context = browser.new_context(base_url=demo.base)
    if SCREENSHOTS:
        context.add_cookies([{"name": "essl_lang", "value": "en", "url": demo.base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, bytes(world.grid_operator.key), world.grid_operator.address)
    page.goto("/console/operator")
    # The page shows the index; the chain is read as far as the index has read it, so what
    # other tests sent since (an attestation from the page) is not counted here.
    with Session(make_engine(demo.ledger.settings.database_url)) as session:
        indexed = checkpoint(session)
    assert indexed is not None
    ledger = demo.ledger.contract("StorageLedger").events
    reports = ledger.ReportAccepted().get_logs(
        argument_filters={"stationId": station}, from_block=0, to_block=indexed.block_number
    )
    row = page.locator(f"#health tr[data-station='{station}']")
    assert row.locator("[data-field='intervals']").inner_text() == str(len(reports))
    last = max(e["args"]["intervalStart"] for e in reports)
    assert row.locator("[data-field='last']").get_attribute("data-start") == str(last)
    attested = ledger.CurtailmentAttested().get_logs(
        argument_filters={"stationId": station}, from_block=0, to_block=indexed.block_number
    )
    wh = sum(e["args"]["curtailedWh"] for e in attested)
    assert row.locator("[data-field='curtailed']").get_attribute("data-wh") == str(wh)
    anchor = SettlementAnchorClient(demo.ledger)
    period = demo.result["settlement"]["period"]
    for version in range(1, anchor.latest_version(station, period) + 1):
        onchain = anchor.statement_of(station, period, version)
        shown = page.locator(
            f"#operator-statements tr[data-statement='{station}/{period}/{version}']"
        )
        assert shown.locator("[data-field='acknowledged']").inner_text() == str(
            onchain.acknowledged_count
        )
        disputed = shown.locator("[data-field='disputed']").get_attribute("data-count")
        assert disputed == str(onchain.disputed_count)
    screenshot(page, "operator")
    context.close()
    assert not errors, errors


def test_a_participant_cannot_open_the_operators_page(page: Any, demo: Demo) -> None:
    participant = demo_world().participants[2]
    sign_in(page, bytes(participant.account.key), participant.address)
    page.allowed_errors = ("status of 403",)
    reply = page.goto("/console/operator")
    assert reply.status == 403
    assert participant.address in page.locator(".error").inner_text()
