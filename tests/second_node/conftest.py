"""The node matrix's second leg: Hardhat Network (EDR), an independent node implementation,
on chain 1337 (not the devnet's 31337), mining a block every second on a timer, funding only
keys of its own (no anvil keys, so every key is loaded from an encrypted keystore), with
ESSL_CONFIRMATIONS=2. Runs when ESSL_TEST_NODE=hardhat (`make test-second-node`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_hash.auto import keccak

from devnet.anvil import free_port
from devnet.hardhat import DEFAULT_CHAIN_ID, start_hardhat
from ledger.settings import LedgerSettings

if os.environ.get("ESSL_TEST_NODE") != "hardhat":
    pytest.skip(
        "second-node leg: set ESSL_TEST_NODE=hardhat (`make test-second-node`)",
        allow_module_level=True,
    )

PASSWORD = "second-node-keystore"


def party_keys(count: int = 13) -> list[str]:
    """Deterministic keys of this leg's parties (not anvil's)."""
    return ["0x" + bytes(keccak(f"essl-second-node:{i}".encode())).hex() for i in range(count)]


@pytest.fixture(scope="session")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("hardhat") / "hardhat.log"
    port = free_port()
    proc = start_hardhat(port, keys=party_keys(), log=log, chain_id=DEFAULT_CHAIN_ID)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def keystores(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Each party's key as an encrypted keystore file (what a real operator would hold)."""
    folder = tmp_path_factory.mktemp("keystores")
    paths = []
    for i, key in enumerate(party_keys()):
        path = folder / f"party-{i}.json"
        path.write_text(json.dumps(Account.encrypt(key, PASSWORD, iterations=2**10)))
        paths.append(path)
    return paths


@pytest.fixture
def node_settings(node_url: str, keystores: list[Path], tmp_path: Path) -> LedgerSettings:
    """Signing as the admin (party 0) from its keystore, two confirmations per receipt."""
    from pydantic import SecretStr

    return LedgerSettings(
        rpc_url=node_url,
        keystore=keystores[0],
        keystore_password=SecretStr(PASSWORD),
        confirmations=2,
        state_dir=tmp_path / "state",
        deployments_dir=tmp_path / "deployments",
        database_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}",
    )
