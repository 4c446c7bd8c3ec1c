"""Sign-in with an Ethereum key (EIP-4361 style) and bearer tokens.

1. `challenge(address)` stores a single-use nonce and returns the message to sign: domain,
   address, statement, URI, version, chain id, nonce, issued-at and expiration time.
2. `issue_token(message, signature)` finds the nonce, checks the message is exactly the one
   issued and unexpired, recovers the signer (`encode_defunct` + `Account.recover_message`),
   deletes the nonce (single use, race-safe: the delete must hit exactly one row), reads the
   signer's roles from the on-chain Registry and returns a token.
3. A token is `base64url(payload JSON) "." base64url(HMAC-SHA256(ESSL_API_SECRET, payload))`;
   the payload holds the address, its roles, the chain id and the expiry. Roles are a snapshot
   taken at sign-in: a revoked role stays in a token until it expires (token_ttl_s)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account import Account
from eth_account.messages import encode_defunct
from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel
from web3 import Web3

from api.errors import Unauthorized
from api.settings import DEVNET_API_SECRET, ApiSettings
from ledger.client import Ledger
from ledger.errors import SettingsError
from ledger.keys import DEVNET_CHAIN_ID
from ledger.registry import RegistryClient

# Registry role -> the name in tokens. Participants get PARTICIPANT_ROLE with their first lease.
ROLE_NAMES = {
    "DEFAULT_ADMIN_ROLE": "admin",
    "GRID_OPERATOR_ROLE": "grid_operator",
    "STATION_OPERATOR_ROLE": "station_operator",
    "REGULATOR_ROLE": "regulator",
    "VERIFIER_ROLE": "verifier",
    "PARTICIPANT_ROLE": "participant",
}
STATEMENT = "Sign in to ESS Ledger. This request will not trigger a transaction or cost gas."


class AuthChallenge(SQLModel, table=True):
    """An issued, not yet used sign-in nonce and the exact message it belongs to."""

    __tablename__ = "auth_challenges"
    nonce: str = Field(primary_key=True)
    address: str = Field(index=True)
    message: str
    expires_at: int


@dataclass(frozen=True)
class Actor:
    """Who a valid token speaks for."""

    address: str
    roles: frozenset[str]
    expires_at: int

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def check_secret(settings: ApiSettings, chain_id: int) -> None:
    """Refuse the shipped placeholder secret anywhere but the local devnet."""
    if chain_id != DEVNET_CHAIN_ID and (
        settings.api_secret.get_secret_value() == DEVNET_API_SECRET
    ):
        raise SettingsError(
            "ESSL_API_SECRET",
            f"the devnet placeholder is refused on chain {chain_id}: set a random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)",
        )


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def siwe_message(
    domain: str, address: str, chain_id: int, nonce: str, issued_at: int, expires_at: int
) -> str:
    """An EIP-4361 message (the fields this API uses, in the standard's order)."""
    return (
        f"{domain} wants you to sign in with your Ethereum account:\n"
        f"{address}\n\n"
        f"{STATEMENT}\n\n"
        f"URI: http://{domain}/v1/auth/token\n"
        "Version: 1\n"
        f"Chain ID: {chain_id}\n"
        f"Nonce: {nonce}\n"
        f"Issued At: {_iso(issued_at)}\n"
        f"Expiration Time: {_iso(expires_at)}"
    )


def challenge(session: Session, settings: ApiSettings, address: str, chain_id: int) -> str:
    address = Web3.to_checksum_address(address)
    now = int(time.time())
    nonce = secrets.token_hex(16)
    expires = now + settings.challenge_ttl_s
    message = siwe_message(settings.auth_domain, address, chain_id, nonce, now, expires)
    session.add(AuthChallenge(nonce=nonce, address=address, message=message, expires_at=expires))
    session.commit()
    return message


def _nonce_of(message: str) -> str:
    for line in message.splitlines():
        if line.startswith("Nonce: "):
            return line.removeprefix("Nonce: ").strip()
    raise Unauthorized("the message carries no nonce: request one from /v1/auth/challenge")


def verify_sign_in(session: Session, message: str, signature: str) -> str:
    """The signer's address, once the nonce is consumed; Unauthorized otherwise."""
    nonce = _nonce_of(message)
    stored = session.get(AuthChallenge, nonce)
    if stored is None or stored.message != message:
        raise Unauthorized("unknown or already used challenge: request a new one")
    if stored.expires_at < int(time.time()):
        raise Unauthorized("the challenge expired: request a new one")
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        signer = Account.recover_message(encode_defunct(text=message), signature=raw)
    except (ValueError, TypeError) as exc:
        raise Unauthorized(f"not a valid signature ({exc})") from exc
    if signer != stored.address:
        raise Unauthorized(f"the message was signed by {signer}, not {stored.address}")
    consumed = session.exec(  # type: ignore[call-overload]
        delete(AuthChallenge).where(AuthChallenge.nonce == nonce)  # type: ignore[arg-type]
    )
    session.commit()
    if consumed.rowcount != 1:  # another request used it first
        raise Unauthorized("the challenge was already used: request a new one")
    return str(signer)


def roles_of(ledger: Ledger, address: str) -> frozenset[str]:
    registry = RegistryClient(ledger)
    return frozenset(name for role, name in ROLE_NAMES.items() if registry.has_role(role, address))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(settings: ApiSettings, payload: str) -> str:
    key = settings.api_secret.get_secret_value().encode()
    return _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())


def make_token(settings: ApiSettings, actor: Actor, chain_id: int) -> str:
    body = {
        "sub": actor.address,
        "roles": sorted(actor.roles),
        "chain_id": chain_id,
        "exp": actor.expires_at,
    }
    payload = _b64(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_mac(settings, payload)}"


def read_token(settings: ApiSettings, token: str) -> Actor:
    payload, _, mac = token.partition(".")
    if not payload or not hmac.compare_digest(mac, _mac(settings, payload)):
        raise Unauthorized("invalid token: sign in again at /v1/auth/challenge")
    try:
        body = json.loads(_unb64(payload))
        actor = Actor(Web3.to_checksum_address(body["sub"]), frozenset(body["roles"]), body["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("malformed token: sign in again") from exc
    if actor.expires_at < int(time.time()):
        raise Unauthorized("the token expired: sign in again at /v1/auth/challenge")
    return actor
