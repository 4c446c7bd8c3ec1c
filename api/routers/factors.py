"""Emission-factor datasets registered on-chain, every version."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import ReadCacheDep, SessionDep
from api.errors import documented
from api.models import EmissionFactorDatasetPublic
from api.queries import factors

router = APIRouter(prefix="/v1/emission-factors", tags=["emission factors"])


@router.get("", response_model=list[EmissionFactorDatasetPublic], responses=documented())
def list_datasets(session: SessionDep, cache: ReadCacheDep) -> Response:
    return cache.json(session, ("factors",), lambda: factors.list_factor_datasets(session=session))
