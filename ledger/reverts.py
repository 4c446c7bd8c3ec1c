"""Turn revert data from a node into the typed `ContractRevert` subclass for the Solidity
custom error it encodes, with its decoded arguments."""

from __future__ import annotations

from typing import Any

from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from ledger.errors import ContractRevert, UnknownRevert, declare_errors, revert_class

_ERROR_STRING = "08c379a0"  # Error(string)
_PANIC = "4e487b71"  # Panic(uint256)


def abi_type(param: dict[str, Any]) -> str:
    """ABI type string for a parameter, expanding tuples (structs)."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _checksummed(kind: str, value: Any) -> Any:
    if kind == "address":
        return to_checksum_address(value)
    if kind == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


class RevertDecoder:
    def __init__(self, error_abis: list[dict[str, Any]]) -> None:
        self._by_selector: dict[str, tuple[str, list[str], list[str]]] = {}
        for item in error_abis:
            types = [abi_type(p) for p in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4].hex()
            names = [p["name"] or f"arg{i}" for i, p in enumerate(item["inputs"])]
            self._by_selector[selector] = (item["name"], types, names)
        declare_errors({item["name"] for item in error_abis})

    def decode(self, data: str | bytes) -> ContractRevert:
        raw = data.hex() if isinstance(data, bytes) else data.removeprefix("0x")
        selector, body = raw[:8], bytes.fromhex(raw[8:])
        if selector == _ERROR_STRING:
            (message,) = decode(["string"], body)
            return revert_class("Error")({"message": message}, raw)
        if selector == _PANIC:
            (code,) = decode(["uint256"], body)
            return revert_class("Panic")({"code": hex(code)}, raw)
        known = self._by_selector.get(selector)
        if known is None:
            return UnknownRevert({"data": "0x" + raw}, raw)
        name, types, names = known
        values = [_checksummed(t, v) for t, v in zip(types, decode(types, body), strict=True)]
        return revert_class(name)(dict(zip(names, values, strict=True)), raw)

    def from_exception(self, exc: BaseException) -> ContractRevert | None:
        """The typed revert inside a web3 exception, or None when it carries no revert data."""
        data = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
            return self.decode(data)
        message = getattr(exc, "message", None) or (exc.args[0] if exc.args else "")
        if isinstance(message, str) and "revert" in message.lower():
            return revert_class("Error")({"message": message}, "")
        return None
