"""The ledger's exception tree. Each error builds its message from typed arguments and says
what to do about it. Contract custom errors become subclasses of `ContractRevert`, one per
Solidity error name, carrying the decoded arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar


class LedgerError(Exception):
    """Root of every error the ledger raises on purpose."""


class ToolchainMissing(LedgerError):
    def __init__(self, tool: str, remedy: str) -> None:
        self.tool = tool
        super().__init__(f"{tool} is not installed: {remedy}")


class CompileFailed(LedgerError):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("Solidity compilation failed:\n" + "\n".join(messages))


class SettingsError(LedgerError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{field}: {reason}")


class RpcUnavailable(LedgerError):
    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(
            f"no Ethereum node answers at {url} ({reason}): start one with `essl devnet up` "
            "or set ESSL_RPC_URL"
        )


class DeploymentMissing(LedgerError):
    def __init__(self, chain_id: int, contract: str) -> None:
        super().__init__(f"no {contract} deployment for chain {chain_id}: run `essl deploy` first")


class DeploymentGone(LedgerError):
    def __init__(self, chain_id: int, path: str, reason: str) -> None:
        super().__init__(
            f"{path} records a suite that chain {chain_id} does not have: {reason}. "
            "Point ESSL_RPC_URL at the chain it was deployed on, or run `essl deploy` to "
            "deploy the suite on this one (state kept for the old chain is not reused)"
        )


class TransactionFailed(LedgerError):
    def __init__(self, tx_hash: str, reason: str) -> None:
        self.tx_hash = tx_hash
        super().__init__(f"transaction {tx_hash} failed: {reason}")


class MalformedReading(LedgerError):
    """A reading payload (JSON, CSV row, register block) cannot become a `Reading`."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"malformed reading: {field}: {reason}")


class SignatureInvalid(LedgerError):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid device signature: {reason}")


class ContractRevert(LedgerError):
    """A contract call reverted. Subclasses are named after the Solidity custom error."""

    error_name: ClassVar[str] = "Revert"

    def __init__(self, arguments: dict[str, Any], raw: str = "") -> None:
        self.arguments = arguments
        self.raw = raw
        shown = ", ".join(f"{k}={_show(v)}" for k, v in arguments.items())
        super().__init__(f"{self.error_name}({shown})")


class UnknownRevert(ContractRevert):
    error_name = "UnknownRevert"


_REVERT_CLASSES: dict[str, type[ContractRevert]] = {}
# Error names a revert can carry: Solidity's built-in Error(string) and Panic(uint256), plus every
# custom error of an ABI a RevertDecoder was built from (`declare_errors`).
_DECLARED: set[str] = {"Error", "Panic"}


class UnknownErrorName(LedgerError):
    def __init__(self, name: str, known: set[str]) -> None:
        self.name = name
        close = sorted(k for k in known if k.lower().startswith(name[:6].lower()))[:5]
        hint = f"; similar: {', '.join(close)}" if close else ""
        super().__init__(
            f"no compiled contract declares the error {name!r}{hint} (check the spelling, or "
            "build the ledger client first so its ABI errors are known)"
        )


def declare_errors(names: set[str]) -> None:
    """Make `revert_class` accept these custom error names (called by the revert decoder)."""
    _DECLARED.update(names)


def revert_class(name: str) -> type[ContractRevert]:
    """The exception class for the Solidity custom error `name` (created once, then reused),
    so callers can write `except revert_class("StorageLedgerIntervalOverlap")`. Raises
    `UnknownErrorName` for a name no loaded ABI declares, rather than a class nothing raises."""
    cls = _REVERT_CLASSES.get(name)
    if cls is None:
        if name not in _DECLARED:
            raise UnknownErrorName(name, _DECLARED)
        cls = type(name, (ContractRevert,), {"error_name": name, "__module__": __name__})
        _REVERT_CLASSES[name] = cls
    return cls


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


class IndexerChainMismatch(LedgerError):
    def __init__(self, indexed: int, connected: int) -> None:
        super().__init__(
            f"the database indexes chain {indexed}, not {connected}: "
            "point ESSL_DATABASE_URL at another database"
        )


class BatchUnavailable(LedgerError):
    def __init__(self, where: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"batch {where}: {reason}")


class StationFileError(LedgerError):
    def __init__(self, path: Path | str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))


class CurtailmentError(LedgerError):
    """An attestation the ledger would refuse, or one that would misstate the interval."""


class ReportNotBooked(CurtailmentError):
    def __init__(self, station_id: int, interval_start: int) -> None:
        self.station_id = station_id
        self.interval_start = interval_start
        super().__init__(
            f"interval_start {interval_start}: station {station_id} has no accepted report for "
            "this interval yet; attest after the oracle's report is booked"
        )


class CurtailedAboveCharged(CurtailmentError):
    def __init__(self, interval_start: int, participant: str, curtailed_wh: int, charged_wh: int):
        self.participant = participant
        self.curtailed_wh = curtailed_wh
        self.charged_wh = charged_wh
        super().__init__(
            f"curtailed_wh of {participant} in interval {interval_start}: {curtailed_wh} Wh is "
            f"more than the {charged_wh} Wh it charged in that interval"
        )


class StationDrift(LedgerError):
    """The chain holds something the registry cannot change in place."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"{what}: {detail}")
