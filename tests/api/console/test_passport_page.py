"""The passport page in Chromium over the console tests' shared demo (its world tells the
battery story): the public view for anyone, matching the chain; the health charts only for a
signed-in visitor with a legitimate interest (the station operator), not for another
participant."""

from __future__ import annotations

from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from devnet.passport_demo import EV_ID, SECOND_LIFE_ID
from devnet.world import demo_world
from ledger.passports import PassportsClient
from tests.api.console.conftest import Demo, screenshot


def sign_in_cookie(page: Any, demo: Demo, who: LocalAccount) -> None:
    """The API's real challenge and token, kept in the console's session cookie."""
    with httpx.Client(base_url=demo.base) as api:
        message = api.post("/v1/auth/challenge", json={"address": who.address}).json()["message"]
        signature = Account.sign_message(encode_defunct(text=message), who.key).signature.hex()
        token = api.post("/v1/auth/token", json={"message": message, "signature": signature})
        token.raise_for_status()
    page.context.add_cookies(
        [{"name": "essl_token", "value": token.json()["token"], "url": f"{demo.base}/console"}]
    )


def test_passport_page_shows_the_public_view_and_hides_health_from_anonymous_visitors(
    page: Any, demo: Demo
) -> None:
    assert [p["passport_id"] for p in demo.result["passports"]][-1] == SECOND_LIFE_ID
    chain = PassportsClient(demo.ledger)
    on_chain = chain.passport(SECOND_LIFE_ID)
    page.goto("/console/passports")
    row = page.locator(f"#passports tr[data-passport='0x{on_chain.key.hex()}']")
    assert row.locator("[data-status]").get_attribute("data-status") == "repurposed"
    row.locator("a").first.click()
    page.wait_for_selector("#identity")
    assert page.locator("#gbt-code").inner_text() == chain.created(SECOND_LIFE_ID).params.gbt_code
    assert page.locator("#original-code").inner_text() == chain.created(EV_ID).params.gbt_code
    assert page.locator("#owner").inner_text() == on_chain.owner
    lineage = page.locator("#lineage li")
    assert lineage.nth(1).get_attribute("data-passport") == "0x" + chain.passport(EV_ID).key.hex()
    installs = [h for h in chain.history(SECOND_LIFE_ID) if h.event == "PackInstalled"]
    assert page.locator("#timeline tr[data-event='installed']").count() == len(installs)
    assert page.locator("#health-restricted").is_visible()
    assert page.locator("#chart-soh").count() == 0
    screenshot(page, "passport-public")


def test_health_charts_are_drawn_for_the_station_operator_but_not_for_another_participant(
    page: Any, demo: Demo
) -> None:
    world = demo_world()
    sign_in_cookie(page, demo, world.participants[0].account)
    page.goto(f"/console/passports/{SECOND_LIFE_ID}?lang=en")
    assert page.locator("#health-restricted").is_visible()
    sign_in_cookie(page, demo, world.station_operator)
    page.goto(f"/console/passports/{SECOND_LIFE_ID}?lang=en")
    page.wait_for_function("document.body.dataset.chartsDrawn", timeout=15_000)
    for chart in ("#chart-soh", "#chart-cycles", "#chart-temp"):
        assert page.locator(f"{chart} svg").count() == 1, chart
    series = [a.snapshot for a in PassportsClient(demo.ledger).snapshots(SECOND_LIFE_ID)]
    rows = page.locator("#snapshots tr[data-day]")
    assert rows.count() == len(series)
    assert [
        int(x)
        for x in rows.locator("[data-soh]").evaluate_all("els => els.map(e => e.dataset.soh)")
    ] == [s.soh_bps for s in series]
    assert page.locator("#assessment tr[data-output='safety'] [data-value]").count() == 1
    screenshot(page, "passport-health")
