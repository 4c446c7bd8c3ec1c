"""`essl devnet fund`: the devnet faucet through the real executable."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account
from web3 import Web3

from ledger.settings import LedgerSettings
from tests.devnet.cli import essl_group


def test_fund_sends_eth_to_a_new_account(
    snapshot: Web3, anvil_url: str, session_settings: LedgerSettings, tmp_path: Path
) -> None:
    run = essl_group("devnet", anvil_url, session_settings, tmp_path)
    newcomer = Account.create().address
    done = run("fund", newcomer, "--eth", "3")
    assert done.returncode == 0, done.stderr
    assert snapshot.eth.get_balance(newcomer) == Web3.to_wei(3, "ether")
    assert "balance now 3 ETH" in done.stdout

    bad = run("fund", "0x1234")
    assert bad.returncode == 2
    assert "is not a 0x address" in bad.stderr
