"""Dispute reasons in words: a participant disputes its line from its page (the API relays the
signed dispute and keeps the reason's text), and the regulator sees that exact text on the
operators' page and in the statement JSON; a text altered in the database is not shown."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from devnet.world import DAY_START, demo_world
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.index.tables import ReasonText
from ledger.reasons import reason_hash, record_reason
from ledger.settlement.anchor import Response, SettlementAnchorClient
from ledger.settlement.period import essl_period
from ledger.settlement.runs import settle_and_anchor
from tests.api.console.conftest import SCREENSHOTS, Demo, screenshot
from tests.api.console.test_participant import sign_in

# Markup, quotes and multi-byte UTF-8 (CJK text is in the CLI's and ledger.reasons' tests; the
# docs' screenshots have no CJK font).
REASON = 'meter 2 counted <b>13:45</b> & "14:00" twice – Δ 1,250 Wh'

STATEMENT_JSON = """async ([station, period, version]) => {
  const reply = await fetch(`/v1/settlements/${station}/${period}?version=${version}`,
    { headers: { authorization: "Bearer " + sessionStorage.getItem("essl_token") } });
  return await reply.json();
}"""


def _context(browser: Any, demo: Demo) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(base_url=demo.base)
    if SCREENSHOTS:  # the pictures go into English docs
        context.add_cookies([{"name": "essl_lang", "value": "en", "url": demo.base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def test_a_relayed_dispute_shows_its_reason_text_to_the_regulator(browser: Any, demo: Demo) -> None:
    world = demo_world()
    station = demo.result["stations"][0]
    # A day of its own (no other test settles it): only the leases settle, every line open.
    period = essl_period(DAY_START + 3 * 86_400)
    engine = make_engine(demo.result["database_url"])
    operator = demo.ledger.as_account(world.station_operator)
    run = settle_and_anchor(operator, engine, station, period, allow_partial=True)
    assert run.version == 1
    Indexer(demo.ledger, engine).run_once()
    disputer = world.participants[2]

    # The participant disputes from its page: its wallet signs, the API relays.
    context, page, errors = _context(browser, demo)
    sign_in(page, bytes(disputer.account.key), disputer.address)
    page.wait_for_function("document.body.dataset.linesLoaded", timeout=15_000)
    row = page.locator(f"#statements tr[data-statement='{station}/{period}']")
    row.locator("input[name='reason']").fill(REASON)
    row.locator("button[name='dispute']").click()
    page.wait_for_selector(f"#statements tr[data-statement='{station}/{period}'] .status[data-tx]")
    context.close()
    assert not errors, errors
    anchor = SettlementAnchorClient(demo.ledger)
    assert anchor.response_of(station, period, run.version, disputer.address) == Response.DISPUTED
    (event,) = (
        demo.ledger.contract("SettlementAnchor")
        .events.StatementDisputed()
        .get_logs(
            argument_filters={
                "stationId": station,
                "period": period,
                "participant": disputer.address,
            },
            from_block=0,
        )[-1:]
    )
    assert event["args"]["version"] == run.version
    onchain_hash = bytes(event["args"]["reasonHash"])
    assert onchain_hash == reason_hash(REASON)
    Indexer(demo.ledger, engine).run_once()

    # The regulator: the operators' page and the statement JSON carry the exact text.
    context, page, errors = _context(browser, demo)
    sign_in(page, bytes(world.regulator.key), world.regulator.address)
    statement = f"#operator-statements tr[data-statement='{station}/{period}/{run.version}']"

    def shown() -> Any:
        page.goto("/console/operator")
        return page.locator(f"{statement} .dispute[data-participant='{disputer.address}']")

    def line_reason() -> Any:
        doc = page.evaluate(STATEMENT_JSON, [station, period, run.version])
        (line,) = [ln for ln in doc["lines"] if ln["participant"] == disputer.address]
        assert line["response"] == "disputed"
        assert all(ln["reason"] is None for ln in doc["lines"] if ln["response"] != "disputed")
        return line["reason"]

    cell = shown()
    assert cell.locator(".reason").text_content() == REASON
    assert cell.locator(".reason b").count() == 0  # escaped, not markup
    assert "0x" + onchain_hash.hex() in (cell.get_attribute("title") or "")
    assert line_reason() == REASON
    page.locator(statement).scroll_into_view_if_needed()
    screenshot(page, "operator-reasons")

    # Altered in the database: the hash no longer matches, so no text is shown.
    with Session(engine) as session:
        row_ = session.get(ReasonText, "0x" + onchain_hash.hex())
        assert row_ is not None and row_.text == REASON
        row_.text = REASON.replace("twice", "once")
        session.add(row_)
        session.commit()
    cell = shown()
    assert cell.locator(".reason").count() == 0
    assert cell.locator(".reason-unknown").count() == 1
    assert line_reason() is None

    # Recording the true text again repairs the row.
    assert record_reason(engine, REASON) == onchain_hash
    assert shown().locator(".reason").text_content() == REASON
    assert line_reason() == REASON
    context.close()
    engine.dispose()
    assert not errors, errors
