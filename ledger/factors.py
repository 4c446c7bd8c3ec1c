"""Emission-factor datasets: the shipped China 2022 factors, their canonical hash, and their
registration in the on-chain EmissionFactors registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_hash.auto import keccak

from ledger.client import Ledger
from ledger.registry import region_bytes

DEFAULT_DATASET = Path(__file__).parent / "data" / "emission_factors_cn_2022.json"
SOURCE_URI = "essl://emission-factors/cn-2022 (MEE & NBS, 2022 electricity CO2 emission factors)"


@dataclass(frozen=True)
class Dataset:
    name: str
    data: dict[str, Any]

    @property
    def factors(self) -> dict[str, int]:
        return {f["region"]: int(f["grams_per_mwh"]) for f in self.data["factors"]}

    @property
    def content_hash(self) -> bytes:
        """keccak256 of the canonical JSON (sorted keys, no spaces, UTF-8)."""
        canonical = json.dumps(self.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return bytes(keccak(canonical.encode()))


def load_dataset(path: Path = DEFAULT_DATASET) -> Dataset:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Dataset(name=str(data["name"]), data=data)


def register_dataset(ledger: Ledger, dataset: Dataset, source_uri: str = SOURCE_URI) -> int:
    """Register `dataset` unless the same content is already on-chain; returns its version."""
    contract = ledger.contract("EmissionFactors")
    known = int(ledger.tx.call(contract.functions.versionOfHash(dataset.content_hash)))
    if known:
        return known
    regions = list(dataset.factors)
    ledger.tx.transact(
        contract.functions.registerDataset(
            dataset.content_hash,
            source_uri,
            int(dataset.data["valid_from"]),
            int(dataset.data["valid_to"]),
            [region_bytes(r) for r in regions],
            [dataset.factors[r] for r in regions],
        )
    )
    return int(ledger.tx.call(contract.functions.versionOfHash(dataset.content_hash)))
