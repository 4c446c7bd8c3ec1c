"""Sign-in: an EIP-4361 challenge signed with the account's key buys a bearer token (JWT)
carrying the account's on-chain roles."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth_models import ChallengePublic, ChallengeRequest, TokenPublic, TokenRequest
from api.deps import LedgerDep, SessionDep, SettingsDep
from api.errors import documented
from api.queries import auth

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/challenge", response_model=ChallengePublic, responses=documented(400, 413, 503))
def post_challenge(
    body: ChallengeRequest, session: SessionDep, settings: SettingsDep, ledger: LedgerDep
) -> ChallengePublic:
    """A single-use sign-in message for `address` (valid challenge_ttl_s seconds)."""
    message = auth.request_challenge(
        session=session, settings=settings, ledger=ledger, address=body.address
    )
    return ChallengePublic(message=message)


@router.post("/token", response_model=TokenPublic, responses=documented(400, 401, 413, 503))
def post_token(
    body: TokenRequest, session: SessionDep, settings: SettingsDep, ledger: LedgerDep
) -> TokenPublic:
    """Exchange the signed challenge for a bearer token with the signer's on-chain roles."""
    return auth.sign_in(
        session=session,
        settings=settings,
        ledger=ledger,
        message=body.message,
        signature=body.signature,
    )
