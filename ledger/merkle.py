"""Merkle trees in OpenZeppelin's StandardMerkleTree format: leaves are
keccak256(keccak256(abi.encode(values))), pairs are hashed sorted, and the tree is laid out
as OpenZeppelin's JavaScript library lays it out, so its roots and proofs match both
`MerkleProof.verify` on-chain and `@openzeppelin/merkle-tree` off-chain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode
from eth_hash.auto import keccak

_STATIC_INTS = {f"uint{n}" for n in range(8, 257, 8)} | {f"int{n}" for n in range(8, 257, 8)}


def abi_encode_static(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """abi.encode for static types (fast path); falls back to eth_abi for anything else."""
    out = bytearray()
    for kind, value in zip(types, values, strict=True):
        if kind in _STATIC_INTS:
            out += int(value).to_bytes(32, "big", signed=kind.startswith("int"))
        elif kind == "address":
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
            out += raw.rjust(32, b"\0")
        elif kind == "bytes32":
            raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
            out += raw.ljust(32, b"\0")
        elif kind == "bool":
            out += (1 if value else 0).to_bytes(32, "big")
        else:
            return bytes(encode(list(types), list(values)))
    return bytes(out)


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    return bytes(keccak(keccak(abi_encode_static(types, values))))


def hash_pair(a: bytes, b: bytes) -> bytes:
    return bytes(keccak(a + b if a < b else b + a))


@dataclass(frozen=True)
class MerkleTree:
    """A tree over leaf hashes, in OpenZeppelin's array layout (leaves sorted by hash)."""

    tree: tuple[bytes, ...]
    leaf_index: dict[bytes, int]  # leaf hash -> position in `tree`

    @classmethod
    def from_leaf_hashes(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        ordered = sorted(leaves)
        n = len(ordered)
        tree: list[bytes] = [b""] * (2 * n - 1)
        for i, leaf in enumerate(ordered):
            tree[len(tree) - 1 - i] = leaf
        for i in range(len(tree) - 1 - n, -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        index = {leaf: len(tree) - 1 - i for i, leaf in enumerate(ordered)}
        return cls(tuple(tree), index)

    @classmethod
    def of(cls, types: Sequence[str], values: Sequence[Sequence[Any]]) -> MerkleTree:
        return cls.from_leaf_hashes([leaf_hash(types, v) for v in values])

    @property
    def root(self) -> bytes:
        return self.tree[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        i = self.leaf_index[leaf]
        path: list[bytes] = []
        while i > 0:
            path.append(self.tree[i + 1 if i % 2 == 1 else i - 1])
            i = (i - 1) // 2
        return path


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The root alone, without keeping the tree (same result as MerkleTree.root)."""
    return MerkleTree.from_leaf_hashes(leaves).root


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node == root
