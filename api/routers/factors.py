"""Emission-factor datasets registered on-chain, every version."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlmodel import col, select

from api.deps import SessionDep
from api.models import EmissionFactorDatasetPublic, FactorPublic
from ledger.index.tables import EmissionFactorDatasetRow

router = APIRouter(prefix="/v1/emission-factors", tags=["emission factors"])


@router.get("", response_model=list[EmissionFactorDatasetPublic])
def list_datasets(session: SessionDep) -> list[EmissionFactorDatasetPublic]:
    rows = session.exec(
        select(EmissionFactorDatasetRow).order_by(col(EmissionFactorDatasetRow.version))
    ).all()
    return [
        EmissionFactorDatasetPublic(
            **row.model_dump(exclude={"factors_json"}),
            factors=[
                FactorPublic(region=region, grams_per_mwh=grams)
                for region, grams in json.loads(row.factors_json)
            ],
        )
        for row in rows
    ]
