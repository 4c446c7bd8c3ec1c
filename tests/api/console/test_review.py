"""The verifiers' and regulators' page: the verifier (the demo world's VERIFIER_ROLE key, its
wallet the injected EIP-1193 provider whose eth_sendTransaction signs with that key and sends the
raw transaction to anvil) approves one pending request and rejects another with a reason, a
request decided behind the page's back is refused with the contract's error named, and the
regulator revokes a live credit. Each reason's text is kept through the API before the wallet
sends its hash (a server answering with another hash is refused by the page, nothing sent), and
the credit's page shows it once indexed. Every outcome is read from the chain with the ledger
client, not from the page; participants and anonymous visitors get a 403 (a 401 / 403 for
keeping a reason)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session
from web3 import Web3

from devnet.credits_demo import reports_root
from devnet.world import demo_world
from ledger.credits import CreditsClient, CreditState
from ledger.db import make_engine
from ledger.deploy import GRAMS_PER_CREDIT
from ledger.index.indexer import Indexer
from ledger.reasons import reason_texts
from ledger.storage import StorageLedgerClient
from tests.api.console.conftest import SCREENSHOTS, Demo, screenshot
from tests.api.console.test_participant import sign_in
from tests.api.console.test_wallet import wallet_sender

REJECT_REASON = "reports root misses 12:00-12:15 (station 1 meter 3 offline)"
REVOKE_REASON = "double counted with green certificate GEC-2026-0042"


@dataclass
class Requests:
    participant: str
    approve: int  # left pending for the page
    reject: int  # left pending for the page
    stale: int  # rejected behind the page's back after it was rendered
    live: int  # approved with the client, for the regulator to revoke
    untouched: int  # stays pending (the picture shows its actions)


def index(demo: Demo) -> None:
    Indexer(demo.ledger, make_engine(demo.result["database_url"])).run_once()


@pytest.fixture(scope="module")
def requests(demo: Demo) -> Iterator[Requests]:
    """Five one-credit requests by the station operator for the participant with the most
    un-issued avoided grams (real transactions), indexed so the page lists them."""
    world = demo_world()
    station = demo.result["stations"][0]
    storage = StorageLedgerClient(demo.ledger)
    accounts = {p.address: storage.avoided_of(station, p.address) for p in world.participants}
    participant = max(accounts, key=lambda a: accounts[a].unissued_grams)
    assert accounts[participant].unissued_grams >= 2 * GRAMS_PER_CREDIT  # two get approved
    root, start, end = reports_root(make_engine(demo.result["database_url"]), station)
    as_operator = CreditsClient(demo.ledger.as_account(world.station_operator))
    ids = [
        as_operator.request_issuance(
            station,
            participant,
            GRAMS_PER_CREDIT,
            period_start=start,
            period_end=end,
            factor_version=accounts[participant].factor_version,
            reports_root=root,
        ).request_id
        for _ in range(5)
    ]
    CreditsClient(demo.ledger.as_account(world.verifier)).approve(ids[3])
    index(demo)
    yield Requests(participant, *ids)
    index(demo)  # leave the tables in step with the chain for the other tests


def open_review(browser: Any, demo: Demo, account: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 1000, "height": 820}, base_url=demo.base)
    if SCREENSHOTS:
        context.add_cookies([{"name": "essl_lang", "value": "en", "url": demo.base}])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    key = bytes(account.key)
    sign_in(page, key, account.address, wallet_sender(demo.ledger.w3, key))
    page.goto("/console/review")
    page.wait_for_function("document.body.dataset.reviewReady", timeout=15_000)
    return context, page, errors


def kept(demo: Demo, reason: str) -> bool:
    """Whether the demo's database holds `reason` under its keccak256."""
    digest = bytes(Web3.keccak(text=reason))
    with Session(make_engine(demo.result["database_url"])) as session:
        return reason_texts(session, [digest]) == {"0x" + digest.hex(): reason}


def shown_reason(page: Any, token_id: int, field: str) -> Any:
    """The credit page's reason for its rejection or revocation (`field`), once indexed."""
    page.goto(f"/console/credits/{token_id}")
    return page.locator(f"#{field}-reason")


def listed_reason(page: Any, token_id: int) -> Any:
    """The reason beside the credit's state in the list of every credit."""
    page.goto("/console/credits")
    return page.locator(f"#credits tr[data-credit='{token_id}'] q.reason")


def outcome(page: Any, row: str) -> Any:
    """Wait for the row's action to end (a tx hash, or an error shown) and return its status."""
    status = f"{row} .status"
    page.wait_for_function(
        f"""() => {{ const s = document.querySelector("{status}");
        return s && (s.dataset.tx || s.textContent.startsWith("✗")); }}""",
        timeout=45_000,
    )
    return page.locator(status)


def test_a_verifier_approves_and_rejects_pending_requests_with_its_wallet(
    browser: Any, demo: Demo, requests: Requests
) -> None:
    world = demo_world()
    credits = CreditsClient(demo.ledger)
    events = demo.ledger.contract("CarbonCredits").events
    context, page, errors = open_review(browser, demo, world.verifier)
    row = lambda i: page.locator(f"#pending tr[data-request='{i}']")  # noqa: E731
    for i in (requests.approve, requests.reject, requests.stale, requests.untouched):
        onchain = credits.credit(i)
        assert onchain.state == CreditState.REQUESTED
        assert row(i).locator("[data-field='grams']").get_attribute("data-grams") == str(
            onchain.requested_grams
        )
    assert row(requests.live).count() == 0  # decided: not pending
    assert page.locator("#live button[name='revoke']").count() == 0  # not a regulator
    lineage = row(requests.approve).locator("[data-field='lineage']").get_attribute("href")
    assert page.request.get(lineage).status == 200

    held = credits.balance_of(requests.participant, requests.approve)
    row(requests.approve).locator("button[name='approve']").click()
    status = outcome(page, f"#pending tr[data-request='{requests.approve}']")
    assert status.get_attribute("data-tx"), status.inner_text()
    amounts = credits.amounts(requests.approve)
    assert amounts.state == CreditState.LIVE and amounts.issued == 1
    assert credits.balance_of(requests.participant, requests.approve) == held + 1
    approved = events.IssuanceApproved().get_logs(
        argument_filters={"requestId": requests.approve}, from_block=0
    )
    assert approved[-1]["args"]["verifier"] == world.verifier.address
    assert status.get_attribute("data-tx") == "0x" + bytes(approved[-1]["transactionHash"]).hex()
    assert status.get_attribute("data-state") == "live"

    reject = row(requests.reject)
    reject.locator("button[name='reject']").click()  # no reason yet: refused in the page
    assert reject.locator(".status").get_attribute("class") == "status error"
    assert credits.amounts(requests.reject).state == CreditState.REQUESTED
    reject.locator("input[name='reason']").fill(REJECT_REASON)
    # A server keeping the text under another hash: the page refuses, the wallet sends nothing.
    block = demo.ledger.w3.eth.block_number
    swapped = {"reason_hash": "0x" + bytes(Web3.keccak(text="another reason")).hex()}
    page.route("**/console/review/reasons", lambda route: route.fulfill(json=swapped))
    reject.locator("button[name='reject']").click()
    status = outcome(page, f"#pending tr[data-request='{requests.reject}']")
    own = "0x" + bytes(Web3.keccak(text=REJECT_REASON)).hex()
    assert f"{swapped['reason_hash']} ≠ {own}" in status.inner_text()
    assert demo.ledger.w3.eth.block_number == block
    page.unroute("**/console/review/reasons")
    assert not kept(demo, REJECT_REASON)
    reject.locator("button[name='reject']").click()
    status = outcome(page, f"#pending tr[data-request='{requests.reject}']")
    assert status.get_attribute("data-tx"), status.inner_text()
    assert credits.amounts(requests.reject).state == CreditState.REJECTED
    rejected = events.IssuanceRejected().get_logs(
        argument_filters={"requestId": requests.reject}, from_block=0
    )
    assert bytes(rejected[-1]["args"]["reasonHash"]) == bytes(Web3.keccak(text=REJECT_REASON))
    assert rejected[-1]["args"]["verifier"] == world.verifier.address
    assert status.get_attribute("data-state") == "rejected"
    assert kept(demo, REJECT_REASON)  # through the API, before the wallet sent the hash

    # Decided elsewhere after the page was drawn: the contract's error, named, nothing sent.
    CreditsClient(demo.ledger.as_account(world.verifier)).reject(requests.stale)
    block = demo.ledger.w3.eth.block_number
    row(requests.stale).locator("button[name='approve']").click()
    status = outcome(page, f"#pending tr[data-request='{requests.stale}']")
    assert status.get_attribute("data-error") == "CarbonCreditsRequestNotPending"
    assert "CarbonCreditsRequestNotPending" in status.inner_text()
    assert demo.ledger.w3.eth.block_number == block
    assert credits.amounts(requests.stale).state == CreditState.REJECTED
    page.wait_for_selector(
        f"#pending tr[data-request='{requests.stale}'] [data-field='state'][data-state='rejected']"
    )  # the row then shows what the chain holds
    page.evaluate("document.querySelectorAll('.scroll').forEach((e) => { e.scrollLeft = 0; })")
    screenshot(page, "review")

    # Once indexed, the approved request is listed among the live credits.
    index(demo)
    page.reload()
    page.wait_for_function("document.body.dataset.reviewReady", timeout=15_000)
    assert row(requests.approve).count() == 0
    assert page.locator(f"#live tr[data-credit='{requests.approve}']").count() == 1
    # The credit's page shows the rejection's reason; the one rejected without: "no reason".
    reason = shown_reason(page, requests.reject, "rejection")
    assert reason.locator("q.reason").inner_text() == REJECT_REASON
    assert reason.locator("[data-reason-hash]").get_attribute("data-reason-hash") == (
        "0x" + bytes(Web3.keccak(text=REJECT_REASON)).hex()
    )
    assert shown_reason(page, requests.stale, "rejection").locator(".reason-none").count() == 1
    assert listed_reason(page, requests.reject).inner_text() == REJECT_REASON
    assert page.locator(f"#credits tr[data-credit='{requests.stale}'] q.reason").count() == 0
    context.close()
    assert not errors, errors


def test_a_regulator_revokes_a_live_credit_with_its_wallet(
    browser: Any, demo: Demo, requests: Requests
) -> None:
    world = demo_world()
    credits = CreditsClient(demo.ledger)
    contract = demo.ledger.contract("CarbonCredits")
    live = credits.amounts(requests.live).live
    assert live >= 1
    context, page, errors = open_review(browser, demo, world.regulator)
    assert page.locator("#pending button[name='approve']").count() == 0  # not a verifier
    row = page.locator(f"#live tr[data-credit='{requests.live}']")
    assert row.locator("[data-field='live']").get_attribute("data-units") == str(live)
    row.locator("input[name='reason']").fill(REVOKE_REASON)
    row.locator("button[name='revoke']").click()
    status = outcome(page, f"#live tr[data-credit='{requests.live}']")
    assert status.get_attribute("data-tx"), status.inner_text()
    assert contract.functions.stateOf(requests.live).call() == CreditState.REVOKED
    amounts = credits.amounts(requests.live)
    assert (amounts.live, amounts.revoked) == (0, live)
    revoked = contract.events.Revoked().get_logs(
        argument_filters={"id": requests.live}, from_block=0
    )
    assert bytes(revoked[-1]["args"]["reasonHash"]) == bytes(Web3.keccak(text=REVOKE_REASON))
    assert revoked[-1]["args"]["regulator"] == world.regulator.address
    assert status.get_attribute("data-state") == "revoked"
    assert row.locator("[data-field='live']").get_attribute("data-units") == "0"
    assert kept(demo, REVOKE_REASON)
    index(demo)
    reason = shown_reason(page, requests.live, "revocation")
    assert reason.locator("q.reason").inner_text() == REVOKE_REASON
    assert page.locator("#revocation-table [data-units='frozen']").inner_text() == f"{live} kg"
    assert listed_reason(page, requests.live).inner_text() == REVOKE_REASON
    context.close()
    assert not errors, errors


def test_a_participant_and_an_anonymous_visitor_get_a_403(page: Any, demo: Demo) -> None:
    page.allowed_errors = ("status of 403",)  # the browser logs the refused page
    reply = page.goto("/console/review")
    assert reply.status == 403
    assert page.locator("#sign-in").count() == 1
    participant = demo_world().participants[2]
    sign_in(page, bytes(participant.account.key), participant.address)
    page.wait_for_function(  # its page's own requests done before leaving it
        "document.body.dataset.linesLoaded || !document.querySelector('#statements tr')"
    )
    reply = page.goto("/console/review")
    assert reply.status == 403
    assert participant.address in page.locator(".error").inner_text()
    assert page.locator("#pending, #live").count() == 0
    # Keeping a reason: 403 for the participant's session, 401 without one.
    refused = page.request.post("/console/review/reasons", data={"reason": REVOKE_REASON})
    assert refused.status == 403
    assert "verifier, regulator" in refused.json()["error"]["message"]
    page.context.clear_cookies()
    anonymous = page.request.post("/console/review/reasons", data={"reason": REVOKE_REASON})
    assert anonymous.status == 401


def test_keeping_a_reason_through_the_console_names_a_bad_field(browser: Any, demo: Demo) -> None:
    context, page, errors = open_review(browser, demo, demo_world().regulator)
    for bad in ("", "  ", "x" * 2001):
        reply = page.request.post("/console/review/reasons", data={"reason": bad})
        assert reply.status == 422, bad
        assert reply.json()["error"]["details"][0]["field"] == "reason"
    reply = page.request.post("/console/review/reasons", data={"text": "misnamed"})
    assert reply.status == 422 and "reason" in reply.json()["error"]["message"]
    reply = page.request.post("/console/review/reasons", data={"reason": "kept twice"})
    again = page.request.post("/console/review/reasons", data={"reason": "kept twice"})
    assert (
        reply.json()
        == again.json()
        == {"reason_hash": "0x" + bytes(Web3.keccak(text="kept twice")).hex()}
    )
    assert kept(demo, "kept twice")
    context.close()
    assert not errors, errors
