"""The devnet faucet: ETH for the accounts of participants and regulators who join a shared
devnet. Only chain 31337: on any other chain nobody should hand out a funded key's ETH."""

from __future__ import annotations

from web3 import Web3

from ledger.errors import SettingsError
from ledger.keys import DEVNET_CHAIN_ID, load_account
from ledger.settings import LedgerSettings


def fund(w3: Web3, settings: LedgerSettings, address: str, eth: float) -> tuple[str, float]:
    """Send `eth` to `address`; returns the transaction hash and the new balance in ETH."""
    chain_id = int(w3.eth.chain_id)
    if chain_id != DEVNET_CHAIN_ID:
        raise SettingsError(
            "--rpc", f"chain {chain_id} is not the devnet ({DEVNET_CHAIN_ID}): no faucet there"
        )
    sender = load_account(settings, chain_id)
    value = Web3.to_wei(eth, "ether")
    tx = {
        "to": address,
        "value": value,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "chainId": chain_id,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price,
    }
    signed = sender.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    balance = float(Web3.from_wei(w3.eth.get_balance(address), "ether"))
    return "0x" + bytes(tx_hash).hex(), balance
