"""A participant signs in with its wallet (an EIP-1193 provider injected into the page, whose
personal_sign is answered by the participant's own key: the API's real challenge and token) and
sees its own accounts and settlement lines; it cannot read another participant's line."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from devnet.world import demo_world
from ledger.credits import CreditsClient
from ledger.storage import StorageLedgerClient
from tests.api.console.conftest import Demo, screenshot

PROVIDER = """
window.ethereum = {
  isTestWallet: true,
  request: async ({ method, params }) => {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ADDRESS];
    if (method === "personal_sign") return await window.esslWalletSign(params[0]);
    throw new Error(`unsupported ${method}`);
  },
};
"""


def sign_in(page: Any, key: bytes, address: str) -> None:
    def wallet_sign(message_hex: str) -> str:
        signed = Account.sign_message(encode_defunct(hexstr=message_hex), key)
        return "0x" + bytes(signed.signature).hex()

    page.expose_function("esslWalletSign", wallet_sign)
    page.add_init_script(PROVIDER.replace("ADDRESS", repr(address)))
    page.goto("/console/me")
    page.locator("#sign-in").click()
    page.wait_for_selector("#me", timeout=15_000)


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
    screenshot(page, "participant")
