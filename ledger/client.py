"""One handle on a deployed suite: the Web3 connection, the build, the deployment and a
transaction manager for the signing account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ledger.compile import Build, compile_suite
from ledger.deploy import Deployment, deployment_path, load_deployment, mismatch
from ledger.errors import DeploymentGone, DeploymentMissing
from ledger.keys import load_account
from ledger.reverts import RevertDecoder
from ledger.settings import LedgerSettings, get_settings
from ledger.tx import TxManager, connect


@dataclass
class Ledger:
    w3: Web3
    build: Build
    deployment: Deployment
    tx: TxManager
    settings: LedgerSettings

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    def contract(self, name: str) -> Contract:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(self.deployment.address(name)),
            abi=self.build[name].abi,
        )

    def has(self, name: str) -> bool:
        return name in self.deployment.contracts

    def as_account(self, account: LocalAccount) -> Ledger:
        """The same suite, signing as `account` (nonces tracked per account)."""
        tx = TxManager(
            self.w3,
            account,
            self.tx.decoder,
            confirmations=self.tx.confirmations,
            receipt_timeout_s=self.tx.receipt_timeout_s,
        )
        return Ledger(self.w3, self.build, self.deployment, tx, self.settings)

    def transact(self, contract: str, function: str, *args: Any, gas: int | None = None) -> Any:
        fn = getattr(self.contract(contract).functions, function)(*args)
        return self.tx.transact(fn, gas=gas)

    def view(self, contract: str, function: str, *args: Any, block: int | str = "latest") -> Any:
        fn = getattr(self.contract(contract).functions, function)(*args)
        return self.tx.call(fn, block=block)


def tx_manager(
    w3: Web3, build: Build, settings: LedgerSettings, account: LocalAccount | None = None
) -> TxManager:
    chain_id = int(w3.eth.chain_id)
    return TxManager(
        w3,
        account or load_account(settings, chain_id),
        RevertDecoder(build.all_errors()),
        confirmations=settings.confirmations,
        receipt_timeout_s=settings.receipt_timeout_s,
    )


def connect_suite(
    settings: LedgerSettings, account: LocalAccount | None = None
) -> tuple[Web3, Build, TxManager]:
    """The compiled suite, the node and a transaction manager signing as `account`."""
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    w3 = connect(settings.rpc_url)
    return w3, build, tx_manager(w3, build, settings, account)


def recorded_deployment(
    w3: Web3, build: Build, tx: TxManager, settings: LedgerSettings, *, required: bool = True
) -> Deployment | None:
    """The deployment recorded for this chain, checked against the chain and the build. A
    missing, stale or foreign record raises when `required`, else is None (deploy anew)."""
    deployment = load_deployment(settings.deployments_dir, tx.chain_id)
    gone = None if deployment is None else mismatch(w3, deployment)
    if deployment is not None and deployment.source_hash == build.source_hash and gone is None:
        return deployment
    if not required:
        return None
    if gone is not None:
        path = deployment_path(settings.deployments_dir, tx.chain_id)
        raise DeploymentGone(tx.chain_id, path.name, gone)
    raise DeploymentMissing(tx.chain_id, "suite (or it is stale)")


def open_ledger(
    settings: LedgerSettings | None = None, *, account: LocalAccount | None = None
) -> Ledger:
    """Connect to the configured chain and its recorded deployment, checked against the chain
    (a record of another chain with the same id is refused). To deploy what is missing, use
    `ledger.setup.open_or_deploy`."""
    settings = settings or get_settings()
    w3, build, tx = connect_suite(settings, account)
    deployment = recorded_deployment(w3, build, tx, settings)
    assert deployment is not None  # required=True raises instead
    return Ledger(w3, build, deployment, tx, settings)
