"""Signing keys: from ESSL_PRIVATE_KEY or an encrypted keystore file. The well-known anvil
development keys are refused on any chain other than the local devnet (31337)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keyfile import decode_keyfile_json

from ledger.errors import SettingsError
from ledger.settings import LedgerSettings

DEVNET_CHAIN_ID = 31337
DEVNET_MNEMONIC = "test test test test test test test test test test test junk"


@lru_cache
def devnet_keys(count: int = 20) -> tuple[str, ...]:
    """anvil's default funded keys (derived from its public mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Account.from_mnemonic(DEVNET_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}").key.hex()
        for i in range(count)
    )


@lru_cache
def _devnet_addresses() -> frozenset[str]:
    return frozenset(Account.from_key(k).address for k in devnet_keys())


def is_devnet_key(account: LocalAccount) -> bool:
    return account.address in _devnet_addresses()


def guard_chain(account: LocalAccount, chain_id: int) -> LocalAccount:
    if chain_id != DEVNET_CHAIN_ID and is_devnet_key(account):
        raise SettingsError(
            "ESSL_PRIVATE_KEY",
            f"{account.address} is a public anvil development key and chain {chain_id} is not "
            "the local devnet: use your own key or keystore",
        )
    return account


def load_keystore(path: Path, password: str) -> LocalAccount:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SettingsError("ESSL_KEYSTORE", f"cannot read keystore {path}: {exc}") from exc
    try:
        key = decode_keyfile_json(data, password.encode())
    except ValueError as exc:
        raise SettingsError("ESSL_KEYSTORE_PASSWORD", "wrong password for the keystore") from exc
    return Account.from_key(key)


def load_account(settings: LedgerSettings, chain_id: int) -> LocalAccount:
    """The signing account from the settings, checked against the chain it will sign for.
    On the devnet with nothing configured, anvil's first key is used."""
    if settings.private_key is not None:
        try:
            account: LocalAccount = Account.from_key(settings.private_key.get_secret_value())
        except (ValueError, TypeError) as exc:
            raise SettingsError("ESSL_PRIVATE_KEY", "not a 32-byte hex private key") from exc
    elif settings.keystore is not None:
        if settings.keystore_password is None:
            raise SettingsError("ESSL_KEYSTORE_PASSWORD", "set it to unlock ESSL_KEYSTORE")
        account = load_keystore(settings.keystore, settings.keystore_password.get_secret_value())
    elif chain_id == DEVNET_CHAIN_ID:
        account = Account.from_key(devnet_keys()[0])
    else:
        raise SettingsError(
            "ESSL_PRIVATE_KEY", f"no signing key for chain {chain_id}: set it or ESSL_KEYSTORE"
        )
    return guard_chain(account, chain_id)
