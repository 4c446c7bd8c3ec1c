"""Carbon credits by token id: state, amounts, request, approval and factor version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlmodel import col, select

from api import credit_queries
from api.deps import SessionDep
from api.errors import NotFound
from api.models import (
    CreditAmountsPublic,
    CreditDecisionPublic,
    CreditHolderPublic,
    CreditPublic,
    CreditRequestPublic,
    CreditRetirementPublic,
    CreditRevocationPublic,
)
from ledger.index.tables import (
    CreditDecisionRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
)

router = APIRouter(prefix="/v1/credits", tags=["credits"])

TokenId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="Token id (= the issuance request id).")
]


@router.get("/{token_id}", response_model=CreditPublic)
def get_credit(token_id: TokenId, session: SessionDep) -> CreditPublic:
    row = session.get(CreditRow, token_id)
    if row is None:
        raise NotFound(f"credit {token_id} was never requested (or is not indexed yet)")
    decision = session.get(CreditDecisionRow, token_id)
    revocation = session.get(CreditRevocationRow, token_id)
    issued = decision.units if decision is not None and decision.approved else 0
    retired = credit_queries.retired_units(session, token_id)
    revoked = revocation.amount if revocation is not None else 0
    claims = session.exec(
        select(CreditRetirementRow)
        .where(CreditRetirementRow.token_id == token_id)
        .order_by(col(CreditRetirementRow.block_number), col(CreditRetirementRow.log_index))
    ).all()
    return CreditPublic(
        token_id=token_id,
        state=credit_queries.credit_state(decision, revocation),
        amounts=CreditAmountsPublic(
            issued=issued, live=issued - retired - revoked, retired=retired, revoked=revoked
        ),
        factor_version=row.factor_version,
        request=CreditRequestPublic(**row.model_dump(exclude={"token_id"})),
        approval=(
            CreditDecisionPublic(**decision.model_dump(exclude={"token_id"})) if decision else None
        ),
        revocation=(
            CreditRevocationPublic(**revocation.model_dump(exclude={"token_id"}))
            if revocation
            else None
        ),
        retirements=[
            CreditRetirementPublic(**c.model_dump(exclude={"token_id", "log_index"}))
            for c in claims
        ],
        holders=[
            CreditHolderPublic(holder=holder, balance=balance)
            for holder, balance in credit_queries.holder_balances(session, token_id).items()
        ],
    )
