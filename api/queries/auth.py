"""Sign-in: an EIP-4361 challenge signed with the account's key buys a bearer token carrying
the account's on-chain roles (the rules are in api.auth)."""

from __future__ import annotations

import time

from sqlmodel import Session

from api import auth
from api.auth_models import TokenPublic
from api.settings import ApiSettings
from ledger.client import Ledger


def request_challenge(
    *, session: Session, settings: ApiSettings, ledger: Ledger, address: str
) -> str:
    return auth.challenge(
        session=session, settings=settings, address=address, chain_id=ledger.chain_id
    )


def sign_in(
    *, session: Session, settings: ApiSettings, ledger: Ledger, message: str, signature: str
) -> TokenPublic:
    address = auth.verify_sign_in(
        session=session,
        settings=settings,
        message=message,
        signature=signature,
        chain_id=ledger.chain_id,
    )
    actor = auth.Actor(
        address, auth.roles_of(ledger, address), int(time.time()) + settings.token_ttl_s
    )
    return TokenPublic(
        token=auth.make_token(settings, actor, ledger.chain_id),
        address=address,
        roles=sorted(actor.roles),
        expires_at=actor.expires_at,
    )
