"""A participant signs in with its wallet (an EIP-1193 provider injected into the page, whose
personal_sign is answered by the participant's own key: the API's real challenge and token) and
sees its own accounts and settlement lines; it cannot read another participant's line."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from devnet.settlement_demo import demo_terms
from devnet.world import DAY_START, demo_world
from ledger.credits import CreditsClient
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.settlement.anchor import Response, SettlementAnchorClient
from ledger.settlement.runs import ensure_terms, settle_and_anchor
from ledger.storage import StorageLedgerClient
from tests.api.console.conftest import SCREENSHOTS, Demo, screenshot

PROVIDER = """
window.ethereum = {
  isTestWallet: true,
  request: async ({ method, params }) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "personal_sign") return await window.esslWalletSign(params[0]);
    if (method === "eth_signTypedData_v4") return await window.esslWalletSignTyped(params[1]);
    if (method === "eth_sendTransaction") return await window.esslWalletSend(params[0]);
    throw new Error(`unsupported ${method}`);
  },
};
"""


def sign_in(
    page: Any, key: bytes, address: str, send: Callable[[dict[str, str]], str] | None = None
) -> None:
    """Sign in through the injected wallet; `send` answers eth_sendTransaction if given."""

    def wallet_sign(message_hex: str) -> str:
        signed = Account.sign_message(encode_defunct(hexstr=message_hex), key)
        return "0x" + bytes(signed.signature).hex()

    def wallet_sign_typed(document: str) -> str:
        signed = Account.sign_typed_data(key, full_message=json.loads(document))
        return "0x" + bytes(signed.signature).hex()

    page.expose_function("esslWalletSign", wallet_sign)
    page.expose_function("esslWalletSignTyped", wallet_sign_typed)
    if send is not None:
        page.expose_function("esslWalletSend", send)
    page.add_init_script(PROVIDER.replace("ADDRESS", repr(address)))
    page.goto("/console/me")
    page.locator("#sign-in").click()
    page.wait_for_selector("#me", timeout=15_000)
    # the page goes on loading (the wallet module, the statements); a test that navigates away
    # at once would abort those requests, which the page fixture reports as failures
    page.wait_for_load_state("networkidle")


def test_a_participant_signs_in_with_its_wallet_and_sees_its_own_accounts_and_lines(
    page: Any, demo: Demo
) -> None:
    world = demo_world()
    holder = next(p for p in world.participants if p.name == demo.result["credit_holder"])
    other = next(p for p in world.participants if p.address != holder.address)
    sign_in(page, bytes(holder.account.key), holder.address)
    assert page.locator("#me").get_attribute("data-address") == holder.address
    station = demo.result["stations"][0]
    account = StorageLedgerClient(demo.ledger).account_of(station, holder.address)
    row = page.locator(f"#accounts tr[data-station='{station}']")
    cell = lambda name: row.locator(f"[data-field='{name}']")  # noqa: E731
    assert cell("charged").get_attribute("data-wh") == str(account.charged_wh)
    assert cell("discharged").get_attribute("data-wh") == str(account.discharged_wh)
    assert cell("balance").get_attribute("data-wh") == str(account.balance_wh)
    avoided = StorageLedgerClient(demo.ledger).avoided_of(station, holder.address)
    assert cell("unissued").get_attribute("data-grams") == str(avoided.unissued_grams)
    token = demo.result["sample_credit_id"]
    held = CreditsClient(demo.ledger).balance_of(holder.address, token)
    assert (
        page.locator(f"#holdings tr[data-credit='{token}'] [data-units='held']").inner_text()
        == f"{held} kg"
    )
    # Its own settlement line, with the proof under the anchored root.
    page.wait_for_function("document.body.dataset.linesLoaded", timeout=15_000)
    period = demo.result["settlement"]["period"]
    line = page.locator(f"#statements tr[data-statement='{station}/{period}']")
    assert line.locator("[data-field='net']").get_attribute("data-fen") is not None
    assert "bytes32" in line.locator("[data-field='proof']").inner_text()
    assert page.locator("#download-csv").is_visible()
    # Another participant's line is refused, even with a valid token in hand.
    status = page.evaluate(
        """async ([station, period, other]) => (await fetch(
            `/v1/settlements/${station}/${period}?participant=${other}`,
            { headers: { authorization: "Bearer " + sessionStorage.getItem("essl_token") } })
        ).status""",
        [station, period, other.address],
    )
    assert status == 403
    page.allowed_errors = ("status of 403",)  # the browser logs the refused request


def test_acknowledge_and_dispute_from_the_page_reach_the_chain(browser: Any, demo: Demo) -> None:
    """The operator supersedes the day's statement (new throughput price), so every line is
    open again; one participant acknowledges and another disputes, each signing with its
    wallet, and SettlementAnchor records exactly that."""
    world = demo_world()
    station, period = demo.result["stations"][0], demo.result["settlement"]["period"]
    operator = demo.ledger.as_account(world.station_operator)
    engine = make_engine(demo.result["database_url"])
    terms = replace(demo_terms(DAY_START), version=2, throughput_price_per_kwh=3_000)
    ensure_terms(operator, engine, station, terms)
    run = settle_and_anchor(operator, engine, station, period, terms=terms, allow_partial=True)
    assert run.version == 2 and run.supersedes == 1
    Indexer(demo.ledger, engine).run_once()
    anchor = SettlementAnchorClient(demo.ledger)
    acker, disputer = world.participants[0], world.participants[3]
    for who, kind in ((acker, "acknowledge"), (disputer, "dispute")):
        context = browser.new_context(base_url=demo.base)
        if SCREENSHOTS:
            context.add_cookies([{"name": "essl_lang", "value": "en", "url": demo.base}])
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        sign_in(page, bytes(who.account.key), who.address)
        page.wait_for_function("document.body.dataset.linesLoaded", timeout=15_000)
        row = page.locator(f"#statements tr[data-statement='{station}/{period}']")
        if kind == "dispute":
            row.locator("input[name='reason']").fill("throughput metered twice 12:30-13:00")
        row.locator(f"button[name='{kind}']").click()
        page.wait_for_selector(
            f"#statements tr[data-statement='{station}/{period}'] .status[data-tx]"
        )
        if kind == "acknowledge":
            screenshot(page, "participant")
        context.close()
        assert not errors, errors
    assert anchor.response_of(station, period, 2, acker.address) == Response.ACKNOWLEDGED
    assert anchor.response_of(station, period, 2, disputer.address) == Response.DISPUTED
    assert anchor.response_of(station, period, 2, world.participants[1].address) == Response.NONE
