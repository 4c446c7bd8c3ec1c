"""Wiring after deployment: roles between the suite's own contracts and the default data."""

from __future__ import annotations

from ledger.compile import Build
from ledger.deploy import Deployment
from ledger.tx import TxManager


def configure_suite(tx: TxManager, build: Build, deployment: Deployment) -> None:
    """Give CarbonCredits the ledger-writer role and register the shipped factor dataset."""
    from ledger.client import Ledger
    from ledger.factors import load_dataset, register_dataset
    from ledger.registry import RegistryClient
    from ledger.settings import LedgerSettings

    ledger = Ledger(tx.w3, build, deployment, tx, LedgerSettings())
    if ledger.has("Registry") and ledger.has("CarbonCredits"):
        RegistryClient(ledger).grant("LEDGER_WRITER_ROLE", deployment.address("CarbonCredits"))
    if ledger.has("EmissionFactors"):
        register_dataset(ledger, load_dataset())
