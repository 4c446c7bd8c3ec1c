"""Verify in the browser: the page's own script reads the chain over JSON-RPC and the batch
files, and passes on the demo credit; a tampered batch file is named in the verdict, whichever
of the Web Workers checked it, and also when the page checks batches itself (no workers)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.api.console.conftest import Demo, screenshot


def report_events(demo: Demo) -> list[Any]:
    """The demo day's reports, in block order (other tests may book later intervals)."""
    sid = demo.result["stations"][0]
    events = (
        demo.ledger.contract("StorageLedger")
        .events.ReportAccepted()
        .get_logs(argument_filters={"stationId": sid}, from_block=0)
    )
    return list(events)[: demo.result["intervals_on_chain"]]


def root_of(event: Any) -> str:
    return "0x" + bytes(event["args"]["readingsRoot"]).hex()


@contextmanager
def tampered(demo: Demo, roots: list[str]) -> Iterator[None]:
    """Reading 3 of each of these batch files changed by 1 kWh, restored afterwards."""
    originals = {root: (demo.archive / f"{root}.json").read_bytes() for root in roots}
    try:
        for root, original in originals.items():
            document = json.loads(original)
            document["readings"][3]["chargedWh"] += 1000
            (demo.archive / f"{root}.json").write_text(json.dumps(document))
        yield
    finally:
        for root, original in originals.items():
            (demo.archive / f"{root}.json").write_bytes(original)


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


def test_every_tampered_batch_is_named_whichever_worker_checked_it(page: Any, demo: Demo) -> None:
    events = report_events(demo)
    roots = [root_of(e) for e in events[5::12]]  # 8 batches spread over the day
    page.goto(f"/console/credits/{demo.result['sample_credit_id']}")
    with tampered(demo, roots):
        passed, failures, _ = run_verify(page, timeout_ms=240_000)
        found_by = page.locator("#verify-failures li").evaluate_all(
            "items => items.map((li) => [li.textContent, li.dataset.worker])"
        )
    assert not passed
    for root in roots:
        assert any(root in f and "Merkle root" in f for f in failures), (root, failures)
        assert any(root in f and "reading 3 " in f for f in failures), (root, failures)
    assert len(failures) == 2 * len(roots), failures  # nothing else failed
    shares = [
        int(n) for n in page.locator("#verify-verdict").get_attribute("data-shares").split(",")
    ]
    assert len(shares) >= 2 and all(shares) and sum(shares) == len(events), shares
    workers = {worker for text, worker in found_by if any(r in text for r in roots)}
    assert len(workers) >= 2, found_by  # the tampered batches were in more than one worker's share


def test_without_workers_the_page_checks_the_batches_itself(page: Any, demo: Demo) -> None:
    page.add_init_script("delete globalThis.Worker")
    sid = demo.result["stations"][0]
    good, bad = report_events(demo)[20:22]  # two files (the browser may cache one it fetched)
    page.goto(f"/console/reports/{sid}/{good['args']['intervalStart']}")
    passed, failures, _ = run_verify(page, timeout_ms=120_000)
    assert passed, failures
    assert page.locator("#verify-verdict").get_attribute("data-shares") == ""  # no worker ran
    with tampered(demo, [root_of(bad)]):
        page.goto(f"/console/reports/{sid}/{bad['args']['intervalStart']}")
        passed, failures, _ = run_verify(page, timeout_ms=120_000)
    assert not passed
    assert any(root_of(bad) in f and "Merkle root" in f for f in failures), failures
    assert any("reading 3 " in f for f in failures), failures
