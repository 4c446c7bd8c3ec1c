"""Carbon credits by token id: state, amounts, request, approval and factor version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

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
from api.queries import credit_rows
from ledger.index.tables import (
    CreditDecisionRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
)


@dataclass(frozen=True)
class CreditRecord:
    """One token id's indexed rows, shared by the credit and its provenance trace."""

    row: CreditRow
    decision: CreditDecisionRow | None
    revocation: CreditRevocationRow | None
    claims: list[CreditRetirementRow]

    @property
    def request(self) -> CreditRequestPublic:
        return CreditRequestPublic(**self.row.model_dump(exclude={"token_id"}))

    @property
    def approval(self) -> CreditDecisionPublic | None:
        d = self.decision
        return CreditDecisionPublic(**d.model_dump(exclude={"token_id"})) if d else None

    @property
    def revoked(self) -> CreditRevocationPublic | None:
        r = self.revocation
        return CreditRevocationPublic(**r.model_dump(exclude={"token_id"})) if r else None

    @property
    def retirements(self) -> list[CreditRetirementPublic]:
        return [
            CreditRetirementPublic(**c.model_dump(exclude={"token_id", "log_index"}))
            for c in self.claims
        ]


def credit_record(session: Session, token_id: int) -> CreditRecord:
    row = session.get(CreditRow, token_id)
    if row is None:
        raise NotFound(f"credit {token_id} was never requested (or is not indexed yet)")
    claims = session.exec(
        select(CreditRetirementRow)
        .where(CreditRetirementRow.token_id == token_id)
        .order_by(col(CreditRetirementRow.block_number), col(CreditRetirementRow.log_index))
    ).all()
    return CreditRecord(
        row=row,
        decision=session.get(CreditDecisionRow, token_id),
        revocation=session.get(CreditRevocationRow, token_id),
        claims=list(claims),
    )


def get_credit(*, session: Session, token_id: int) -> CreditPublic:
    record = credit_record(session, token_id)
    decision, revocation = record.decision, record.revocation
    issued = decision.units if decision is not None and decision.approved else 0
    retired = credit_rows.retired_units(session, token_id)
    revoked = revocation.amount if revocation is not None else 0
    return CreditPublic(
        token_id=token_id,
        state=credit_rows.credit_state(decision, revocation),
        amounts=CreditAmountsPublic(
            issued=issued, live=issued - retired - revoked, retired=retired, revoked=revoked
        ),
        factor_version=record.row.factor_version,
        request=record.request,
        approval=record.approval,
        revocation=record.revoked,
        retirements=record.retirements,
        holders=[
            CreditHolderPublic(holder=holder, balance=balance)
            for holder, balance in credit_rows.holder_balances(session, token_id).items()
        ],
    )
