"""A participant transfers and retires its credits from its page: the wallet (the injected
EIP-1193 provider, whose eth_sendTransaction signs with the participant's own key and sends the
raw transaction to anvil) sends each transaction, and the row shows what the chain then holds."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from web3 import Web3

from devnet.world import demo_world
from ledger.credits import CreditsClient
from tests.api.console.conftest import Demo
from tests.api.console.test_participant import sign_in


def wallet_sender(w3: Web3, key: bytes) -> Any:
    def send(tx: dict[str, str]) -> str:
        sender = Web3.to_checksum_address(tx["from"])
        call = {"from": sender, "to": Web3.to_checksum_address(tx["to"]), "data": tx["data"]}
        full = {
            **call,
            "nonce": w3.eth.get_transaction_count(sender),
            "gas": w3.eth.estimate_gas(call),  # type: ignore[arg-type]
            "gasPrice": w3.eth.gas_price,
            "chainId": w3.eth.chain_id,
        }
        signed = Account.sign_transaction(full, key)
        return "0x" + bytes(w3.eth.send_raw_transaction(signed.raw_transaction)).hex()

    return send


def test_a_participant_transfers_and_retires_its_credits_with_its_wallet(
    page: Any, demo: Demo
) -> None:
    world = demo_world()
    holder = next(p for p in world.participants if p.name == demo.result["credit_holder"])
    other = next(p for p in world.participants if p.address != holder.address)
    w3 = demo.ledger.w3
    w3.provider.make_request("anvil_setBalance", [holder.address, hex(10**19)])  # type: ignore[arg-type]
    credits = CreditsClient(demo.ledger)
    token = demo.result["sample_credit_id"]
    held, other_held = (
        credits.balance_of(holder.address, token),
        credits.balance_of(other.address, token),
    )
    assert held >= 5
    sign_in(
        page,
        bytes(holder.account.key),
        holder.address,
        wallet_sender(w3, bytes(holder.account.key)),
    )
    row = page.locator(f"#holdings tr[data-credit='{token}']")

    row.locator("form.transfer input[name='to']").fill(other.address)
    row.locator("form.transfer input[name='amount']").fill("2")
    row.locator("button[name='transfer']").click()
    page.wait_for_selector(f"#holdings tr[data-credit='{token}'] .status[data-tx]", timeout=30_000)
    assert credits.balance_of(holder.address, token) == held - 2
    assert credits.balance_of(other.address, token) == other_held + 2
    assert row.locator("[data-units='held']").inner_text() == f"{held - 2} kg"

    tx = row.locator(".status").get_attribute("data-tx")
    row.locator("form.retire input[name='amount']").fill("3")
    row.locator("form.retire input[name='beneficiary']").fill("Shenzhen Metro")
    row.locator("form.retire input[name='purpose']").fill("2026 scope 2 offset")
    row.locator("button[name='retire']").click()
    status = f"#holdings tr[data-credit='{token}'] .status"
    page.wait_for_function(
        f"""() => {{ const s = document.querySelector("{status}");
        return s.dataset.tx && s.dataset.tx !== {tx!r}; }}""",
        timeout=30_000,
    )
    assert credits.balance_of(holder.address, token) == held - 5
    retired = (
        demo.ledger.contract("CarbonCredits")
        .events.Retired()
        .get_logs(argument_filters={"id": token, "account": holder.address}, from_block=0)
    )
    last = retired[-1]["args"]
    assert (last["amount"], last["beneficiary"], last["purpose"]) == (
        3,
        "Shenzhen Metro",
        "2026 scope 2 offset",
    )
    total = sum(e["args"]["amount"] for e in retired)
    assert row.locator("[data-units='retired']").inner_text() == f"{total} kg"
