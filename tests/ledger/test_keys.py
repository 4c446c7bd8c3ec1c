import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_keyfile import create_keyfile_json
from pydantic import SecretStr

from ledger.errors import SettingsError
from ledger.keys import devnet_keys, load_account
from ledger.settings import LedgerSettings


def test_anvil_default_key_zero_is_the_well_known_one() -> None:
    assert Account.from_key(devnet_keys()[0]).address == (
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    )


def test_anvil_key_is_refused_on_another_chain() -> None:
    settings = LedgerSettings(private_key=SecretStr(devnet_keys()[1]))
    with pytest.raises(SettingsError, match="public anvil development key"):
        load_account(settings, chain_id=73799)
    assert (
        load_account(settings, chain_id=31337).address == Account.from_key(devnet_keys()[1]).address
    )


def test_own_key_is_accepted_on_any_chain() -> None:
    own = Account.create()
    settings = LedgerSettings(private_key=SecretStr(own.key.hex()))
    assert load_account(settings, chain_id=11155111).address == own.address


def test_no_key_configured_off_devnet_says_what_to_set() -> None:
    with pytest.raises(SettingsError, match="ESSL_PRIVATE_KEY"):
        load_account(LedgerSettings(), chain_id=11155111)


def test_keystore_is_decrypted_with_its_password(tmp_path: Path) -> None:
    own = Account.create()
    path = tmp_path / "key.json"
    path.write_text(json.dumps(create_keyfile_json(own.key, b"s3cret", iterations=2)))
    settings = LedgerSettings(keystore=path, keystore_password=SecretStr("s3cret"))
    assert load_account(settings, chain_id=73799).address == own.address
    wrong = LedgerSettings(keystore=path, keystore_password=SecretStr("nope"))
    with pytest.raises(SettingsError, match="wrong password"):
        load_account(wrong, chain_id=73799)


def test_malformed_private_key_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="ESSL_PRIVATE_KEY"):
        load_account(LedgerSettings(private_key=SecretStr("0x1234")), chain_id=31337)
