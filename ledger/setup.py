"""Wiring after deployment (roles between the suite's own contracts and the default data), and
opening a ledger that deploys the suite where it is missing. This module builds on
`ledger.client`; the client never imports it."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from ledger.client import Ledger, connect_suite, recorded_deployment
from ledger.compile import Build
from ledger.deploy import Deployment, deploy_suite
from ledger.factors import load_dataset, register_dataset
from ledger.registry import RegistryClient
from ledger.settings import LedgerSettings, get_settings
from ledger.tx import TxManager


def configure_suite(tx: TxManager, build: Build, deployment: Deployment) -> None:
    """Give CarbonCredits the ledger-writer role and register the shipped factor dataset."""
    ledger = Ledger(tx.w3, build, deployment, tx, LedgerSettings())
    if ledger.has("Registry") and ledger.has("CarbonCredits"):
        RegistryClient(ledger).grant("LEDGER_WRITER_ROLE", deployment.address("CarbonCredits"))
    if ledger.has("EmissionFactors"):
        register_dataset(ledger, load_dataset())


def open_or_deploy(
    settings: LedgerSettings | None = None, *, account: LocalAccount | None = None
) -> Ledger:
    """`open_ledger`, but a missing, stale or foreign deployment record is replaced by a fresh
    deployment of the suite (configured by `configure_suite`)."""
    settings = settings or get_settings()
    w3, build, tx = connect_suite(settings, account)
    deployment = recorded_deployment(w3, build, tx, settings, required=False)
    if deployment is None:
        deployment = deploy_suite(tx, build, settings.deployments_dir, after_deploy=configure_suite)
    return Ledger(w3, build, deployment, tx, settings)
