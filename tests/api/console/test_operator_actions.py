"""The operators' page acts: the grid operator, signed in with its wallet (the injected EIP-1193
provider answered by its own key), runs and anchors a day through the JSON route, finalizes the
statement after its window (the wallet sends SettlementAnchor.finalize) and attests an
interval's curtailed charging (the wallet sends StorageLedger.attestCurtailment). Every outcome
is read back from the chain in the test, not from the page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from devnet.world import DAY_START, demo_world
from ledger.curtailment import booked_records
from ledger.db import make_engine
from ledger.index.indexer import Indexer
from ledger.logs import event_logs
from ledger.settlement.anchor import SettlementAnchorClient, StatementState
from ledger.settlement.period import essl_period
from ledger.storage import StorageLedgerClient
from tests.api.console.conftest import Demo, screenshot
from tests.api.console.test_participant import sign_in
from tests.api.console.test_wallet import wallet_sender

NEXT_DAY = DAY_START + 86_400  # no reports: only the leases settle, with allow_partial


def status_of(page: Any, selector: str, before: str | None = None) -> Any:
    """The status element once it shows an outcome (✓ or ✗) other than `before`."""
    page.wait_for_function(
        """([sel, before]) => { const s = document.querySelector(sel);
        return s && /^[✓✗]/.test(s.textContent) && s.textContent !== before; }""",
        arg=[selector, before],
        timeout=60_000,
    )
    return page.locator(selector)


def operator_page(page: Any, demo: Demo) -> None:
    grid = demo_world().grid_operator
    sign_in(page, bytes(grid.key), grid.address, wallet_sender(demo.ledger.w3, bytes(grid.key)))
    page.goto("/console/operator")
    page.wait_for_function("document.body.dataset.statementsLoaded", timeout=30_000)


def test_the_grid_operator_runs_and_finalizes_a_day_from_the_page(page: Any, demo: Demo) -> None:
    station = demo.result["stations"][0]
    period = essl_period(NEXT_DAY)
    day = f"{period // 10000:04d}-{period // 100 % 100:02d}-{period % 100:02d}"
    anchor = SettlementAnchorClient(demo.ledger)
    assert anchor.latest_version(station, period) == 0
    operator_page(page, demo)
    form = page.locator("#run-day")
    form.locator("select[name='station']").select_option(str(station))
    form.locator("input[name='day']").fill(day)
    # Without allow_partial the API refuses a day without its reports: its message is shown.
    page.allowed_errors = ("status of 409",)
    form.locator("button[name='run']").click()
    refused = status_of(page, "#run-status")
    assert refused.get_attribute("data-http-status") == "409", refused.inner_text()
    assert str(period) in refused.inner_text()
    assert anchor.latest_version(station, period) == 0

    form.locator("input[name='allow_partial']").check()
    form.locator("button[name='run']").click()
    done = status_of(page, "#run-status", refused.inner_text())
    assert done.inner_text().startswith("✓"), done.inner_text()
    version = int(done.get_attribute("data-version"))
    onchain = anchor.statement_of(station, period, version)
    assert anchor.latest_version(station, period) == version == 1
    assert "0x" + onchain.lines_root.hex() == done.get_attribute("data-root")
    assert anchor.state(station, period, version) is StatementState.PENDING
    tx = demo.ledger.w3.eth.get_transaction(done.get_attribute("data-tx"))
    assert tx["to"] == anchor.address

    # Finalize: refused by the contract (its error named) while the window is open, then done.
    Indexer(demo.ledger, make_engine(demo.result["database_url"])).run_once()
    page.reload()
    page.wait_for_function("document.body.dataset.statementsLoaded", timeout=30_000)
    row = page.locator(f"#operator-statements tr[data-statement='{station}/{period}/{version}']")
    assert row.locator("[data-field='state']").get_attribute("data-state") == "pending"
    deadline = row.locator("[data-field='deadline']").get_attribute("data-deadline")
    assert deadline == str(onchain.deadline)
    selector = f"#operator-statements tr[data-statement='{station}/{period}/{version}'] .status"
    row.locator("button[name='finalize']").click()
    early = status_of(page, selector)
    assert "SettlementAnchorWindowOpen" in early.inner_text(), early.inner_text()
    assert anchor.state(station, period, version) is StatementState.PENDING

    w3 = demo.ledger.w3
    now = w3.eth.get_block("latest")["timestamp"]
    w3.provider.make_request("evm_increaseTime", [onchain.deadline - now + 1])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    row.locator("button[name='finalize']").click()
    final = status_of(page, selector, early.inner_text())
    assert final.inner_text().startswith("✓"), final.inner_text()
    state = anchor.state(station, period, version)
    assert state is StatementState.FINAL  # nobody disputed the lease-only day
    assert row.locator("[data-field='state']").get_attribute("data-state") == "final"
    receipt = w3.eth.get_transaction_receipt(final.get_attribute("data-tx"))
    assert receipt["status"] == 1 and receipt["from"] == demo_world().grid_operator.address


def test_the_grid_operator_attests_curtailment_from_the_page(page: Any, demo: Demo) -> None:
    station = demo.result["stations"][0]
    storage = StorageLedgerClient(demo.ledger)
    step = 900
    start, who, charged = next(
        (t, r.participant, r.charged_wh)
        for t in range(DAY_START, DAY_START + 86_400, step)
        if not storage.curtailment_attested(station, t)
        for r in booked_records(storage, station, t).values()
        if r.charged_wh > 1
    )
    local = datetime.fromtimestamp(start, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    operator_page(page, demo)
    form = page.locator("#attest")
    form.locator("select[name='station']").select_option(str(station))
    form.locator("input[name='interval']").fill(local)
    form.locator(".charge input[name='participant']").first.fill(who)
    # More than it charged there: refused by the page's check before anything is sent.
    form.locator(".charge input[name='wh']").first.fill(str(charged + 1))
    form.locator("button[name='attest']").click()
    refused = status_of(page, "#attest .status")
    assert refused.inner_text().startswith("✗") and f"{charged} Wh" in refused.inner_text()
    assert not storage.curtailment_attested(station, start)

    wh = charged // 2
    form.locator(".charge input[name='wh']").first.fill(str(wh))
    form.locator("button[name='attest']").click()
    done = status_of(page, "#attest .status", refused.inner_text())
    assert done.inner_text().startswith("✓"), done.inner_text()
    assert storage.curtailment_attested(station, start)
    logs = event_logs(
        storage.contract.events.CurtailmentAttested(),
        argument_filters={"stationId": station, "intervalStart": start},
        from_block=0,
    )
    assert [(e["args"]["participant"], e["args"]["curtailedWh"]) for e in logs] == [(who, wh)]
    assert logs[0]["transactionHash"].hex().removeprefix("0x") in done.get_attribute("data-tx")
    assert done.get_attribute("data-wh") == str(wh)
    form.scroll_into_view_if_needed()
    screenshot(page, "operator-actions")
