"""Emission-factor datasets registered on-chain, every version."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from api.models import EmissionFactorDatasetPublic, FactorPublic
from ledger.index.tables import EmissionFactorDatasetRow


def list_factor_datasets(*, session: Session) -> list[EmissionFactorDatasetPublic]:
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
