"""Sign-in: an EIP-4361 style challenge signed with the account's key buys a bearer token
carrying the account's on-chain roles."""

from __future__ import annotations

import time

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api import auth
from api.deps import LedgerDep, SessionDep, SettingsDep
from api.errors import documented

router = APIRouter(prefix="/v1/auth", tags=["auth"])

ADDRESS = r"^0x[0-9a-fA-F]{40}$"


class ChallengeRequest(BaseModel):
    address: str = Field(pattern=ADDRESS, description="The account that will sign in.")


class ChallengePublic(BaseModel):
    message: str = Field(description="Sign this exact text with personal_sign (EIP-191).")


class TokenRequest(BaseModel):
    message: str
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$", description="65-byte hex.")


class TokenPublic(BaseModel):
    token: str
    token_type: str = "bearer"
    address: str
    roles: list[str]
    expires_at: int


@router.post("/challenge", response_model=ChallengePublic, responses=documented(503))
def post_challenge(
    body: ChallengeRequest, session: SessionDep, settings: SettingsDep, ledger: LedgerDep
) -> ChallengePublic:
    """A single-use sign-in message for `address` (valid challenge_ttl_s seconds)."""
    return ChallengePublic(message=auth.challenge(session, settings, body.address, ledger.chain_id))


@router.post("/token", response_model=TokenPublic, responses=documented(401, 503))
def post_token(
    body: TokenRequest, session: SessionDep, settings: SettingsDep, ledger: LedgerDep
) -> TokenPublic:
    """Exchange the signed challenge for a bearer token with the signer's on-chain roles."""
    address = auth.verify_sign_in(session, body.message, body.signature)
    actor = auth.Actor(
        address, auth.roles_of(ledger, address), int(time.time()) + settings.token_ttl_s
    )
    return TokenPublic(
        token=auth.make_token(settings, actor, ledger.chain_id),
        address=address,
        roles=sorted(actor.roles),
        expires_at=actor.expires_at,
    )
