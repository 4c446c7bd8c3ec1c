"""The console in a real browser: one demo world per session (its own anvil, the demo day
relayed, settled and credited, indexed into SQLite), the API with the console served by uvicorn
on a free port, and Debian's Chromium driven by Playwright. Every page a test opens is checked
for browser console errors when the test ends."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from devnet.anvil import free_port, start_anvil
from devnet.demo import run_demo
from devnet.world import demo_world
from ledger.client import Ledger, open_ledger
from ledger.settings import LedgerSettings

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("ESSL_CONSOLE_SCREENSHOTS")  # a directory, e.g. docs/console
BUNDLES = Path(__file__).parents[3] / "api" / "console" / "static" / "dist"
BUNDLE_FILES = (
    "verify.js",
    "verify-worker.js",
    "charts.js",
    "signin.js",
    "wallet.js",
    "passport-charts.js",
    "operator.js",
    "review.js",
)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("ESSL_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Demo:
    base: str  # the API, e.g. http://127.0.0.1:PORT
    ledger: Ledger  # an independent chain connection for the assertions
    result: dict[str, Any]  # what run_demo returned
    archive: Path


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "console browser tests need Chromium: apt-get install chromium (or set ESSL_CHROMIUM); "
            "no browser is ever downloaded"
        )
    if not all((BUNDLES / f).is_file() for f in BUNDLE_FILES):
        pytest.fail("the console bundles are missing: run `make setup` (esbuild over node_modules)")
    return path


@pytest.fixture(scope="session")
def demo(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("console")
    port = free_port()
    anvil = start_anvil(port, hardfork="london", log=root / "anvil.log")
    settings = LedgerSettings(
        rpc_url=f"http://127.0.0.1:{port}",
        state_dir=root / "state",
        deployments_dir=root / "deployments",
        database_url=f"sqlite:///{root / 'ledger.sqlite'}",
    )
    result = run_demo(settings, port=port, progress=None)
    ledger = open_ledger(settings)
    api_settings = ApiSettings(
        database_url=settings.database_url, archive_dir=result["archive"], run_indexer=False
    )
    # The API's own key is the grid operator's (it anchors settlement runs, as in production).
    app = create_app(api_settings, ledger=ledger.as_account(demo_world().grid_operator))
    api_port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the console's uvicorn server did not start in 30 s")
        time.sleep(0.05)
    yield Demo(f"http://127.0.0.1:{api_port}", ledger, result, Path(result["archive"]))
    server.should_exit = True
    thread.join(timeout=10)
    anvil.terminate()
    anvil.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class ConsoleErrors(list[str]):
    """Errors the page logged (console.error, uncaught exceptions, failed requests)."""


@pytest.fixture
def page(browser: Any, demo: Demo) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, base_url=demo.base)
    if SCREENSHOTS:  # the pictures go into English docs (and need no CJK fonts)
        context.add_cookies([{"name": "essl_lang", "value": "en", "url": demo.base}])
    page = context.new_page()
    errors = ConsoleErrors()
    page.on("console", lambda m: errors.append(f"console {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror {e}"))
    page.on("requestfailed", lambda r: errors.append(f"requestfailed {r.url}"))
    page.errors = errors
    yield page
    context.close()
    allowed = getattr(page, "allowed_errors", ())  # e.g. the status of a request refused on purpose
    assert not [e for e in errors if not any(a in e for a in allowed)], errors


def screenshot(page: Any, name: str) -> None:
    """Small PNGs for docs/console.md, when ESSL_CONSOLE_SCREENSHOTS names a directory."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=False)
