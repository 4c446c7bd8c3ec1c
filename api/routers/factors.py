"""Emission-factor datasets registered on-chain, every version."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.errors import documented
from api.models import EmissionFactorDatasetPublic
from api.queries import factors

router = APIRouter(prefix="/v1/emission-factors", tags=["emission factors"])


@router.get("", response_model=list[EmissionFactorDatasetPublic], responses=documented())
def list_datasets(session: SessionDep) -> list[EmissionFactorDatasetPublic]:
    return factors.list_factor_datasets(session=session)
