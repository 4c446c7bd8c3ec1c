"""Sign-in with Ethereum (EIP-4361, built and verified by the `siwe` package) and bearer tokens
(standard JWTs, HS256, by PyJWT).

1. `challenge` prunes expired challenges, keeps at most `max_challenges_per_address` per
   address, stores a single-use nonce and returns the EIP-4361 message to sign: domain,
   address, statement, URI, version, chain id, nonce, issued-at and expiration time.
2. `verify_sign_in` parses the message, finds its nonce, checks the message is exactly the one
   issued, then lets `siwe` check domain, nonce, expiration / not-before and the signer, checks
   the chain id, and deletes the nonce (single use, race-safe: the delete must hit one row).
3. `make_token` / `read_token`: a JWT with `sub` (the address), `roles` (a snapshot of the
   on-chain roles at sign-in: a revoked role stays in a token until it expires), `iat`, `exp`,
   `iss` (the API's domain) and `aud` bound to the chain id and that domain, all checked on
   every request."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import SiweMessage, VerificationError
from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, col, select
from web3 import Web3

from api.errors import Unauthorized
from api.settings import DEVNET_API_SECRET, ApiSettings
from api.signatures import recover_with
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
    "RECYCLER_ROLE": "recycler",
}
STATEMENT = "Sign in to ESS Ledger. This request will not trigger a transaction or cost gas."
ALGORITHM = "HS256"
SIGN_IN = "sign in again: POST /v1/auth/challenge, then /v1/auth/token"


class AuthChallenge(SQLModel, table=True):
    """An issued, not yet used sign-in nonce and the exact message it belongs to."""

    __tablename__ = "auth_challenges"
    nonce: str = Field(primary_key=True)
    address: str = Field(index=True)
    message: str
    expires_at: int = Field(index=True)


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


def audience(settings: ApiSettings, chain_id: int) -> str:
    """Tokens are good for one API domain on one chain."""
    return f"essl:{chain_id}:{settings.auth_domain}"


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def siwe_message(
    domain: str, address: str, chain_id: int, nonce: str, issued_at: int, expires_at: int
) -> str:
    """The EIP-4361 text this API issues."""
    text = SiweMessage(
        domain=domain,
        address=address,
        statement=STATEMENT,
        uri=f"http://{domain}/v1/auth/token",
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=_iso(issued_at),
        expiration_time=_iso(expires_at),
    ).prepare_message()
    return str(text)


def prune_challenges(session: Session, *, address: str | None = None, keep: int = 0) -> None:
    """Drop expired challenges, and (with `address`) all but its `keep` newest."""
    session.exec(  # type: ignore[call-overload]
        delete(AuthChallenge).where(col(AuthChallenge.expires_at) < int(time.time()))
    )
    if address is not None:
        newest = session.exec(
            select(AuthChallenge.nonce)
            .where(AuthChallenge.address == address)
            .order_by(col(AuthChallenge.expires_at).desc())
            .limit(keep)
        ).all()
        session.exec(  # type: ignore[call-overload]
            delete(AuthChallenge).where(
                col(AuthChallenge.address) == address, col(AuthChallenge.nonce).not_in(newest)
            )
        )


def challenge(*, session: Session, settings: ApiSettings, address: str, chain_id: int) -> str:
    address = Web3.to_checksum_address(address)
    prune_challenges(session, address=address, keep=settings.max_challenges_per_address - 1)
    now = int(time.time())
    nonce = secrets.token_hex(16)
    expires = now + settings.challenge_ttl_s
    message = siwe_message(settings.auth_domain, address, chain_id, nonce, now, expires)
    session.add(AuthChallenge(nonce=nonce, address=address, message=message, expires_at=expires))
    session.commit()
    return message


def verify_sign_in(
    *, session: Session, settings: ApiSettings, message: str, signature: str, chain_id: int
) -> str:
    """The signer's address, once the nonce is consumed; Unauthorized otherwise."""
    try:
        parsed = SiweMessage.from_message(message)
    except Exception as exc:  # the parser raises plain ValueErrors and grammar errors
        raise Unauthorized(f"not an EIP-4361 message ({type(exc).__name__}): {SIGN_IN}") from None
    stored = session.get(AuthChallenge, parsed.nonce)
    if stored is None or stored.message != message:
        raise Unauthorized("unknown or already used challenge: request a new one")
    if parsed.chain_id != chain_id:
        raise Unauthorized(f"the message is for chain {parsed.chain_id}, this API is on {chain_id}")
    raw = bytes.fromhex(signature.removeprefix("0x"))

    try:
        signer = recover_with(
            raw,
            lambda sig: str(Account.recover_message(encode_defunct(text=message), signature=sig)),
        )
    except ValueError as exc:
        raise Unauthorized(f"not a valid signature ({exc})") from exc
    if signer != stored.address:
        raise Unauthorized(f"the message was signed by {signer}, not {stored.address}")
    try:  # the standard's own checks: domain, nonce, expiration / not-before, signer
        parsed.verify("0x" + raw.hex(), domain=settings.auth_domain, nonce=stored.nonce)
    except VerificationError as exc:
        raise Unauthorized(f"sign-in refused ({type(exc).__name__}): {SIGN_IN}") from exc
    consumed = session.exec(  # type: ignore[call-overload]
        delete(AuthChallenge).where(col(AuthChallenge.nonce) == stored.nonce)
    )
    session.commit()
    if consumed.rowcount != 1:  # another request used it first
        raise Unauthorized("the challenge was already used: request a new one")
    return signer


def roles_of(ledger: Ledger, address: str) -> frozenset[str]:
    registry = RegistryClient(ledger)
    return frozenset(name for role, name in ROLE_NAMES.items() if registry.has_role(role, address))


def make_token(settings: ApiSettings, actor: Actor, chain_id: int) -> str:
    claims = {
        "sub": actor.address,
        "roles": sorted(actor.roles),
        "iat": int(time.time()),
        "exp": actor.expires_at,
        "iss": settings.auth_domain,
        "aud": audience(settings, chain_id),
    }
    return jwt.encode(claims, settings.api_secret.get_secret_value(), algorithm=ALGORITHM)


def read_token(settings: ApiSettings, token: str, chain_id: int) -> Actor:
    if not token.isascii():
        raise Unauthorized(f"invalid token (not ASCII): {SIGN_IN}")
    try:
        claims = jwt.decode(
            token,
            settings.api_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=audience(settings, chain_id),
            issuer=settings.auth_domain,
            options={"require": ["sub", "exp", "iat", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized(f"the token expired: {SIGN_IN}") from None
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
        raise Unauthorized(f"the token is for another chain or API: {SIGN_IN}") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token ({type(exc).__name__}): {SIGN_IN}") from None
    try:
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError("roles")
        return Actor(Web3.to_checksum_address(claims["sub"]), frozenset(roles), int(claims["exp"]))
    except (ValueError, TypeError):
        raise Unauthorized(f"malformed token: {SIGN_IN}") from None
