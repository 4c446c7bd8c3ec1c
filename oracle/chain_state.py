"""State kept for one chain stays with that chain. The oracle's outbox (its reports, their
transactions, checkpoints and quarantine) is bound to the deployment it relays to: chain id,
genesis block hash, StorageLedger address and deploy block hash, recorded beside the file.
A devnet restarted without its state reuses the chain id and even the addresses, so an outbox
of the old chain would say every report was confirmed and send nothing to the new one."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ledger.client import Ledger
from ledger.keys import DEVNET_CHAIN_ID
from oracle.errors import StateOfAnotherChain

log = logging.getLogger("essl.oracle")


@dataclass(frozen=True)
class ChainIdentity:
    chain_id: int
    genesis_hash: str
    ledger: str
    deploy_block_hash: str

    @classmethod
    def of(cls, ledger: Ledger) -> ChainIdentity:
        w3 = ledger.w3
        deployment = ledger.deployment
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        deployed = "0x" + bytes(w3.eth.get_block(deployment.deploy_block)["hash"]).hex()
        return cls(ledger.chain_id, genesis, deployment.address("StorageLedger"), deployed)


def bind_state(path: Path, ledger: Ledger) -> Path:
    """Return `path` for `ledger`'s deployment. A file recorded for another deployment is
    moved aside on the devnet (logged) and refused elsewhere."""
    current = ChainIdentity.of(ledger)
    marker = path.with_name(path.name + ".chain.json")
    if path.exists() and marker.exists():
        recorded = ChainIdentity(**json.loads(marker.read_text()))
        if recorded != current:
            if current.chain_id != DEVNET_CHAIN_ID:
                raise StateOfAnotherChain(path, recorded, current)
            stale = path.with_name(f"{path.name}.stale-{int(time.time())}")
            path.replace(stale)
            log.warning("oracle state of an earlier devnet chain moved to %s", stale.name)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(asdict(current)))
    return path
