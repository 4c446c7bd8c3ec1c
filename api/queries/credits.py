"""Carbon credits by token id: state, amounts, request, approval and factor version."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from api.auth import Actor
from api.errors import Forbidden, NotFound
from api.models import (
    CreditAmountsPublic,
    CreditDecisionPublic,
    CreditHolderPublic,
    CreditPublic,
    CreditRequestPublic,
    CreditRetirementPublic,
    CreditRevocationPublic,
    ReasonPublic,
)
from api.queries import credit_rows
from ledger.index.tables import (
    CreditDecisionRow,
    CreditRetirementRow,
    CreditRevocationRow,
    CreditRow,
)
from ledger.reasons import record_reason

REASON_ROLES = ("verifier", "regulator")  # who rejects (verifier) and who revokes (regulator)


@dataclass(frozen=True)
class CreditRecord:
    """One token id's indexed rows, shared by the credit and its provenance trace."""

    row: CreditRow
    decision: CreditDecisionRow | None
    revocation: CreditRevocationRow | None
    claims: list[CreditRetirementRow]
    reasons: dict[str, str] = field(default_factory=dict)  # reason hash -> its known text

    @property
    def request(self) -> CreditRequestPublic:
        return CreditRequestPublic(**self.row.model_dump(exclude={"token_id"}))

    @property
    def approval(self) -> CreditDecisionPublic | None:
        d = self.decision
        if d is None:
            return None
        reason = self.reasons.get(d.reason_hash) if not d.approved else None
        return CreditDecisionPublic(**d.model_dump(exclude={"token_id"}), reason=reason)

    @property
    def revoked(self) -> CreditRevocationPublic | None:
        r = self.revocation
        if r is None:
            return None
        reason = self.reasons.get(r.reason_hash)
        return CreditRevocationPublic(**r.model_dump(exclude={"token_id"}), reason=reason)

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
    decision = session.get(CreditDecisionRow, token_id)
    revocation = session.get(CreditRevocationRow, token_id)
    return CreditRecord(
        row=row,
        decision=decision,
        revocation=revocation,
        claims=list(claims),
        reasons=credit_rows.credit_reasons(session, decision, revocation),
    )


def reasons_key(session: Session, token_id: int) -> tuple[str, ...]:
    """The reason hashes of the credit whose texts are known now. The texts are off-chain (not
    the read cache's version), so the cached answers showing them (the credit, its trace)
    carry this in their keys: a text kept after an answer was cached changes the key."""
    decision = session.get(CreditDecisionRow, token_id)
    revocation = session.get(CreditRevocationRow, token_id)
    return tuple(sorted(credit_rows.credit_reasons(session, decision, revocation)))


def keep_reason(*, session: Session, actor: Actor, reason: str) -> ReasonPublic:
    """Keep a rejection's or revocation's reason text (a verifier or regulator only) and
    return the hash its transaction must carry. Idempotent."""
    if not actor.has(*REASON_ROLES):
        raise Forbidden(
            f"{actor.address} holds none of the roles {', '.join(REASON_ROLES)}: "
            "only verifiers (rejections) and regulators (revocations) keep reasons"
        )
    return ReasonPublic(reason_hash="0x" + record_reason(session, reason).hex())


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
