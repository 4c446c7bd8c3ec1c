"""The token secret: the shipped placeholder only on the devnet, short secrets never, and a
token signed with another secret or expired is refused."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from api.auth import Actor, check_secret, make_token, read_token
from api.errors import Unauthorized
from api.settings import ApiSettings
from ledger.errors import SettingsError

ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_placeholder_secret_is_refused_off_the_devnet() -> None:
    settings = ApiSettings()
    check_secret(settings, 31337)
    with pytest.raises(SettingsError, match="ESSL_API_SECRET"):
        check_secret(settings, 11155111)
    check_secret(ApiSettings(api_secret=SecretStr("x" * 48)), 11155111)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(api_secret=SecretStr("short"))


def test_tokens_check_their_mac_and_expiry() -> None:
    settings = ApiSettings(api_secret=SecretStr("a" * 40))
    token = make_token(settings, Actor(ADDRESS, frozenset({"regulator"}), 2**40), 31337)
    assert read_token(settings, token).roles == {"regulator"}
    with pytest.raises(Unauthorized, match="invalid token"):
        read_token(ApiSettings(api_secret=SecretStr("b" * 40)), token)
    expired = make_token(settings, Actor(ADDRESS, frozenset(), 1), 31337)
    with pytest.raises(Unauthorized, match="expired"):
        read_token(settings, expired)
