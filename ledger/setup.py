"""Wiring after deployment: roles between the suite's own contracts and the default data."""

from __future__ import annotations

from web3 import Web3

from ledger.compile import Build
from ledger.deploy import Deployment
from ledger.tx import TxManager


def configure_suite(tx: TxManager, build: Build, deployment: Deployment) -> None:
    """Give the contracts that call each other the roles they need."""
    w3 = tx.w3
    if "Registry" not in deployment.contracts:
        return
    registry = w3.eth.contract(
        address=Web3.to_checksum_address(deployment.address("Registry")),
        abi=build["Registry"].abi,
    )
    if "CarbonCredits" in deployment.contracts:
        role = registry.functions.LEDGER_WRITER_ROLE().call()
        tx.transact(registry.functions.grantRole(role, deployment.address("CarbonCredits")))
