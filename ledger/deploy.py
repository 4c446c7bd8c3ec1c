"""Deploy the contract suite and record it in deployments/<chainId>.json. Re-running against
the same chain with unchanged sources reuses the recorded deployment, but only after checking
that the chain still has it: a restarted devnet, or any new chain that reuses the chain id and
even the addresses, is told apart by its genesis hash and the deploy block's hash."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.exceptions import BlockNotFound

from ledger.compile import Build
from ledger.errors import DeploymentMissing
from ledger.publish import write_verification
from ledger.reverts import abi_type
from ledger.tx import TxManager


@dataclass
class DeployedContract:
    address: str
    tx_hash: str
    block: int
    constructor_args: str = "0x"  # ABI-encoded, as explorers ask for them


@dataclass
class Deployment:
    chain_id: int
    compiler: str
    source_hash: str
    evm_version: str
    deploy_block: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    genesis_hash: str | None = None  # block 0 of the chain deployed on (older records: None)
    deploy_block_hash: str | None = None
    reused: bool = False

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise DeploymentMissing(self.chain_id, name) from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("reused")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        contracts = {k: DeployedContract(**v) for k, v in data.pop("contracts").items()}
        return cls(contracts=contracts, **data)


def deployment_path(deployments_dir: Path, chain_id: int) -> Path:
    return deployments_dir / f"{chain_id}.json"


def load_deployment(deployments_dir: Path, chain_id: int) -> Deployment | None:
    path = deployment_path(deployments_dir, chain_id)
    if not path.exists():
        return None
    return Deployment.from_json(json.loads(path.read_text()))


GRAMS_PER_CREDIT = 1000  # 1 credit unit = 1 kgCO2e

# Each step: contract name, and its constructor arguments from the addresses deployed so far.
ConstructorArgs = Callable[[dict[str, str], str], list[Any]]
SUITE: list[tuple[str, ConstructorArgs]] = [
    ("Registry", lambda d, admin: [admin]),
    ("EmissionFactors", lambda d, admin: [d["Registry"]]),
    ("StorageLedger", lambda d, admin: [d["Registry"], d["EmissionFactors"]]),
    (
        "CarbonCredits",
        lambda d, admin: [
            d["Registry"],
            d["StorageLedger"],
            "essl://credits/{id}",
            GRAMS_PER_CREDIT,
        ],
    ),
    ("SettlementAnchor", lambda d, admin: [d["Registry"]]),
    ("BatteryPassports", lambda d, admin: [d["Registry"]]),
]


def _block_hash(w3: Web3, number: int) -> str | None:
    try:
        block = w3.eth.get_block(number)
    except BlockNotFound:
        return None
    return "0x" + bytes(block["hash"]).hex()


def mismatch(w3: Web3, deployment: Deployment) -> str | None:
    """Why the chain behind `w3` does not hold `deployment`, or None when it does: the genesis
    and deploy block hashes it recorded, and code at every address."""
    if deployment.genesis_hash is not None and _block_hash(w3, 0) != deployment.genesis_hash:
        return "the chain's genesis block differs from the one deployed on (a new chain)"
    if deployment.deploy_block_hash is not None:
        now = _block_hash(w3, deployment.deploy_block)
        if now != deployment.deploy_block_hash:
            return f"block {deployment.deploy_block}, where the suite was deployed, " + (
                "is not on this chain" if now is None else "has another hash now"
            )
    for name, c in deployment.contracts.items():
        if len(w3.eth.get_code(Web3.to_checksum_address(c.address))) == 0:
            return f"no code at {name}'s address {c.address}"
    return None


def deploy_suite(
    tx: TxManager,
    build: Build,
    deployments_dir: Path,
    *,
    force: bool = False,
    after_deploy: Callable[[TxManager, Build, Deployment], None] | None = None,
) -> Deployment:
    """Deploy every contract of the suite that the build has (in dependency order)."""
    w3 = tx.w3
    chain_id = tx.chain_id
    existing = load_deployment(deployments_dir, chain_id)
    if (
        not force
        and existing is not None
        and existing.source_hash == build.source_hash
        and mismatch(w3, existing) is None
    ):
        existing.reused = True
        return existing

    addresses: dict[str, str] = {}
    deployment = Deployment(
        chain_id=chain_id,
        compiler=build.compiler,
        source_hash=build.source_hash,
        evm_version=build.evm_version,
        deploy_block=0,
        genesis_hash=_block_hash(w3, 0),
    )
    for name, args in SUITE:
        if name not in build.artifacts:
            continue
        artifact = build[name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        values = args(addresses, tx.address)
        receipt = tx.transact(factory.constructor(*values))
        address = str(receipt["contractAddress"])
        addresses[name] = address
        deployment.contracts[name] = DeployedContract(
            address=address,
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            block=int(receipt["blockNumber"]),
            constructor_args=_encoded_args(w3, artifact.abi, values),
        )
        if not deployment.deploy_block:
            deployment.deploy_block = int(receipt["blockNumber"])
            deployment.deploy_block_hash = "0x" + bytes(receipt["blockHash"]).hex()
    if after_deploy is not None:
        after_deploy(tx, build, deployment)
    deployments_dir.mkdir(parents=True, exist_ok=True)
    path = deployment_path(deployments_dir, chain_id)
    path.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    deployed = {n: (c.address, c.constructor_args) for n, c in deployment.contracts.items()}
    write_verification(build, chain_id, deployed, deployments_dir)
    return deployment


def _encoded_args(w3: Web3, abi: list[dict[str, Any]], values: list[Any]) -> str:
    ctor = next((i for i in abi if i.get("type") == "constructor"), None)
    if ctor is None:
        return "0x"
    types = [abi_type(i) for i in ctor["inputs"]]
    return "0x" + bytes(w3.codec.encode(types, values)).hex()
