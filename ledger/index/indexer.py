"""Move the suite's events into SQL: a checkpoint, idempotent re-runs, and reorg handling of
any depth, to a shorter chain too: block hashes are kept; a replaced or missing block rewinds
the tables to the common ancestor, and a reorg during a pass discards that pass."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from sqlalchemy import Engine, delete
from sqlmodel import Session, select
from web3 import Web3
from web3.contract.contract import ContractEvent
from web3.exceptions import BlockNotFound

from ledger.client import Ledger
from ledger.errors import IndexerChainMismatch, LedgerError
from ledger.index.events import EventMeta
from ledger.index.projections import PROJECTIONS
from ledger.index.tables import BLOCK_TABLES, ChainEvent, Checkpoint, SeenBlock
from ledger.logs import paged
from ledger.reverts import abi_type
from ledger.tx import with_retries

CHECKPOINT = "suite"
PASS_ATTEMPTS = 3  # passes tried when the chain reorganises under one


class ChainMoved(LedgerError):
    """The chain reorganised while a pass read it: the pass is discarded and run again."""

    def __init__(self, block: int) -> None:
        super().__init__(f"block {block} was replaced while it was being indexed")


@dataclass
class IndexRun:
    from_block: int
    to_block: int
    events: int
    rewound_to: int | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):  # struct arguments decode as web3 AttributeDicts
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class Indexer:
    def __init__(
        self, ledger: Ledger, engine: Engine, *, confirmations: int = 0, batch_blocks: int = 2000
    ) -> None:
        self.ledger = ledger
        self.engine = engine
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self._events: dict[bytes, tuple[str, ContractEvent]] = {}
        self._addresses: dict[str, str] = {}
        for name, deployed in ledger.deployment.contracts.items():
            self._addresses[Web3.to_checksum_address(deployed.address)] = name
            contract = ledger.contract(name)
            for item in ledger.build[name].abi:
                if item.get("type") == "event" and not item.get("anonymous"):
                    types = ",".join(abi_type(i) for i in item["inputs"])
                    topic = Web3.keccak(text=f"{item['name']}({types})")
                    self._events[bytes(topic)] = (name, contract.events[item["name"]]())

    @property
    def w3(self) -> Web3:
        return self.ledger.w3

    # -- reorgs -------------------------------------------------------------------------------

    def _chain_hash(self, number: int) -> str | None:
        """The canonical hash of block `number`; None when the chain has no such block (it
        was reorganised to a shorter one)."""
        try:
            block = with_retries(lambda: self.w3.eth.get_block(number))
        except BlockNotFound:
            return None
        return None if block is None else "0x" + bytes(block["hash"]).hex()

    def _find_ancestor(self, session: Session, checkpoint: Checkpoint) -> int | None:
        """None when the checkpoint block is still canonical, else the block to rewind to:
        the highest block seen whose hash the chain still has (a checkpoint above the head
        has no block, so it always rewinds)."""
        if self._chain_hash(checkpoint.block_number) == checkpoint.block_hash:
            return None
        seen = session.exec(
            select(SeenBlock)
            .where(SeenBlock.block_number < checkpoint.block_number)
            .order_by(SeenBlock.block_number.desc())  # type: ignore[attr-defined]
        ).all()
        for block in seen:
            if self._chain_hash(block.block_number) == block.block_hash:
                return block.block_number
        return self.ledger.deployment.deploy_block - 1

    def _rewind(self, session: Session, to_block: int) -> None:
        for table in BLOCK_TABLES:
            session.exec(delete(table).where(table.block_number > to_block))  # type: ignore[attr-defined]

    # -- one pass -----------------------------------------------------------------------------

    def run_once(self, progress: Callable[[int, int], None] | None = None) -> IndexRun:
        """Index everything up to the head (less confirmations). Safe to call repeatedly;
        a reorg under the pass discards the uncommitted part and starts over from the
        common ancestor."""
        for attempt in range(PASS_ATTEMPTS):
            try:
                return self._pass(progress)
            except ChainMoved:
                if attempt == PASS_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _pass(self, progress: Callable[[int, int], None] | None) -> IndexRun:
        head = int(with_retries(lambda: self.w3.eth.block_number)) - self.confirmations
        total = 0
        rewound: int | None = None
        with Session(self.engine) as session:
            checkpoint = session.get(Checkpoint, CHECKPOINT)
            if checkpoint is not None and checkpoint.chain_id != self.ledger.chain_id:
                raise IndexerChainMismatch(checkpoint.chain_id, self.ledger.chain_id)
            start = self.ledger.deployment.deploy_block
            if checkpoint is not None:
                ancestor = self._find_ancestor(session, checkpoint)
                if ancestor is not None:
                    self._rewind(session, ancestor)
                    rewound = ancestor
                    start = ancestor + 1
                else:
                    start = checkpoint.block_number + 1
            first = start
            if rewound is not None:
                # The rewind stands on its own, even if the chain moves again in this pass.
                self._save_checkpoint(session, rewound, self._chain_hash(rewound) or "")
                session.commit()
            while start <= head:
                end = min(start + self.batch_blocks - 1, head)
                end_hash = self._chain_hash(end)
                if end_hash is None:
                    raise ChainMoved(end)
                total += self._index_range(session, start, end)
                if self._chain_hash(end) != end_hash:
                    session.rollback()
                    raise ChainMoved(end)
                self._save_checkpoint(session, end, end_hash)
                session.commit()
                if progress:
                    progress(end, head)
                start = end + 1
            session.commit()
        return IndexRun(from_block=first, to_block=head, events=total, rewound_to=rewound)

    def _block(self, number: int) -> tuple[int, str]:
        """(timestamp, hash) of block `number`; ChainMoved when it is gone."""
        try:
            block = with_retries(lambda: self.w3.eth.get_block(number))
        except BlockNotFound as exc:
            raise ChainMoved(number) from exc
        return int(block["timestamp"]), "0x" + bytes(block["hash"]).hex()

    def _save_checkpoint(self, session: Session, number: int, block_hash: str) -> None:
        session.merge(
            Checkpoint(
                name=CHECKPOINT,
                chain_id=self.ledger.chain_id,
                block_number=number,
                block_hash=block_hash,
            )
        )
        session.merge(SeenBlock(block_number=number, block_hash=block_hash))

    def _index_range(self, session: Session, start: int, end: int) -> int:
        addresses = list(self._addresses)
        logs = paged(
            lambda a, b: self.w3.eth.get_logs({"fromBlock": a, "toBlock": b, "address": addresses}),
            start,
            end,
            max_range=self.batch_blocks,
        )
        blocks: dict[int, tuple[int, str]] = {}
        count = 0
        for log in logs:
            known = self._events.get(bytes(log["topics"][0])) if log["topics"] else None
            if known is None:
                continue
            contract, event = known
            decoded = event.process_log(log)
            args = _jsonable(dict(decoded["args"]))
            number = int(log["blockNumber"])
            if number not in blocks:
                blocks[number] = self._block(number)
            if blocks[number][1] != "0x" + bytes(log["blockHash"]).hex():
                session.rollback()
                raise ChainMoved(number)  # the log came from a block since replaced
            meta = EventMeta(
                block_number=number,
                log_index=int(log["logIndex"]),
                tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                contract=contract,
                event=decoded["event"],
                timestamp=blocks[number][0],
            )
            session.merge(
                ChainEvent(
                    block_number=meta.block_number,
                    log_index=meta.log_index,
                    tx_hash=meta.tx_hash,
                    contract=contract,
                    event=meta.event,
                    args_json=json.dumps(args),
                    timestamp=meta.timestamp,
                )
            )
            session.merge(
                SeenBlock(block_number=number, block_hash="0x" + bytes(log["blockHash"]).hex())
            )
            handler = PROJECTIONS.get(meta.event)
            if handler is not None:
                handler(session, args, meta)
            count += 1
        return count
