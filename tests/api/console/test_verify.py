"""Verify in the browser: the page's own script reads the chain over JSON-RPC and the batch
files, and passes on the demo credit; a tampered batch file is named in the verdict."""

from __future__ import annotations

import json
from typing import Any

from tests.api.console.conftest import Demo, screenshot


def run_verify(page: Any, timeout_ms: int) -> tuple[bool, list[str], float]:
    page.locator("#verify-button").click()
    page.wait_for_selector("#verify-verdict:not([hidden])", timeout=timeout_ms)
    verdict = page.locator("#verify-verdict")
    failures = page.locator("#verify-failures li").all_inner_texts()
    return (
        verdict.get_attribute("data-passed") == "true",
        failures,
        float(verdict.get_attribute("data-seconds")),
    )


def test_verify_in_browser_passes_on_the_demo_credit(page: Any, demo: Demo) -> None:
    page.goto(f"/console/credits/{demo.result['sample_credit_id']}")
    assert page.locator("#verify-rpc").input_value() == demo.result["rpc_url"]
    passed, failures, seconds = run_verify(page, timeout_ms=240_000)
    assert passed, failures
    assert seconds > 0
    screenshot(page, "verify")


def test_verify_in_browser_names_the_tampered_batch(page: Any, demo: Demo) -> None:
    sid = demo.result["stations"][0]
    event = (
        demo.ledger.contract("StorageLedger")
        .events.ReportAccepted()
        .get_logs(argument_filters={"stationId": sid}, from_block=0)[10]
    )
    root = "0x" + bytes(event["args"]["readingsRoot"]).hex()
    path = demo.archive / f"{root}.json"
    original = path.read_bytes()
    document = json.loads(original)
    document["readings"][3]["chargedWh"] += 1000  # one reading changed by 1 kWh
    path.write_text(json.dumps(document))
    try:
        page.goto(f"/console/reports/{sid}/{event['args']['intervalStart']}")
        passed, failures, _ = run_verify(page, timeout_ms=60_000)
    finally:
        path.write_bytes(original)
    assert not passed
    assert any(root in f and "Merkle root" in f for f in failures), failures
    assert any("reading 3" in f for f in failures), failures  # its signature no longer matches
