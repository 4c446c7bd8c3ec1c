"""One handle on a deployed suite: the Web3 connection, the build, the deployment and a
transaction manager for the signing account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ledger.compile import Build, compile_suite
from ledger.deploy import Deployment, deploy_suite, deployment_path, load_deployment, mismatch
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


def open_ledger(
    settings: LedgerSettings | None = None,
    *,
    account: LocalAccount | None = None,
    deploy_if_missing: bool = False,
) -> Ledger:
    """Connect to the configured chain and its recorded deployment, checked against the chain
    (a record of another chain with the same id is refused, or replaced when
    `deploy_if_missing`)."""
    settings = settings or get_settings()
    build = compile_suite(evm_version=settings.evm_version, runs=settings.optimizer_runs)
    w3 = connect(settings.rpc_url)
    tx = tx_manager(w3, build, settings, account)
    deployment = load_deployment(settings.deployments_dir, tx.chain_id)
    gone = None if deployment is None else mismatch(w3, deployment)
    if deployment is None or deployment.source_hash != build.source_hash or gone is not None:
        if not deploy_if_missing:
            if gone is not None:
                path = deployment_path(settings.deployments_dir, tx.chain_id)
                raise DeploymentGone(tx.chain_id, path.name, gone)
            raise DeploymentMissing(tx.chain_id, "suite (or it is stale)")
        from ledger.setup import configure_suite

        deployment = deploy_suite(tx, build, settings.deployments_dir, after_deploy=configure_suite)
    return Ledger(w3, build, deployment, tx, settings)
