"""Shared fixtures: one real anvil (London hardfork) per test session, the compiled and
deployed suite, and an `evm_snapshot`/`evm_revert` around every test that touches the chain."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlmodel import SQLModel
from web3 import Web3

from devnet.anvil import free_port, start_anvil
from ledger.client import Ledger, tx_manager
from ledger.compile import Build, compile_suite
from ledger.db import make_engine
from ledger.deploy import Deployment, deploy_suite
from ledger.keys import devnet_keys
from ledger.settings import LedgerSettings
from ledger.setup import configure_suite

FIXTURE_CONTRACTS = Path(__file__).parent / "fixtures" / "contracts"


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    port = free_port()
    proc = start_anvil(port, hardfork="london", log=log)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def w3(anvil_url: str) -> Web3:
    return Web3(Web3.HTTPProvider(anvil_url, request_kwargs={"timeout": 60}))


@pytest.fixture(scope="session")
def session_settings(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> LedgerSettings:
    root = tmp_path_factory.mktemp("essl")
    return LedgerSettings(
        rpc_url=anvil_url,
        state_dir=root / "state",
        deployments_dir=root / "deployments",
        database_url=f"sqlite:///{root / 'ledger.sqlite'}",
    )


@pytest.fixture(scope="session")
def build() -> Build:
    return compile_suite(evm_version="london")


@pytest.fixture(scope="session")
def deployment(w3: Web3, build: Build, session_settings: LedgerSettings) -> Deployment:
    tx = tx_manager(w3, build, session_settings)
    return deploy_suite(tx, build, session_settings.deployments_dir, after_deploy=configure_suite)


@pytest.fixture
def snapshot(w3: Web3) -> Iterator[Web3]:
    snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield w3
    w3.provider.make_request("evm_revert", [snap])  # type: ignore[arg-type]


@pytest.fixture
def accounts() -> list[LocalAccount]:
    return [Account.from_key(k) for k in devnet_keys()]


@pytest.fixture
def ledger(
    snapshot: Web3, build: Build, deployment: Deployment, session_settings: LedgerSettings
) -> Ledger:
    """The deployed suite, signing as the admin (anvil key 0), rolled back after the test."""
    tx = tx_manager(snapshot, build, session_settings)
    return Ledger(snapshot, build, deployment, tx, session_settings)


def postgres_url() -> str | None:
    return os.environ.get("ESSL_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database: SQLite in memory, and PostgreSQL when ESSL_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        yield make_engine("sqlite://")
        return
    url = postgres_url()
    if not url:
        pytest.skip("ESSL_TEST_POSTGRES_URL is not set")
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
