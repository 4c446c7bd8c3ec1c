"""The oracle's exception tree, rooted in the ledger's: every error the oracle raises on purpose
is an `OracleError`, with a message built from typed arguments that says what to do."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.errors import LedgerError, MalformedReading, SignatureInvalid

if TYPE_CHECKING:
    from oracle.chain_state import ChainIdentity

# The reading errors live with the readings in the ledger (the verifier raises them too); they
# are re-exported here so `from oracle.errors import MalformedReading` keeps working.
__all__ = [
    "BatchCorrupt",
    "ConfigError",
    "DeviceDataMissing",
    "GaveUp",
    "InlineKeyOffDevnet",
    "IntervalEmpty",
    "KeyMalformed",
    "KeyUnset",
    "MalformedReading",
    "NodeDisagrees",
    "NodeSignatureWrong",
    "OracleError",
    "QuorumNotReached",
    "RelayGaveUp",
    "RelaySubmitFailed",
    "ReportsStillPending",
    "SignatureInvalid",
    "SimulatorConfigError",
    "SimulatorTimeError",
    "SourceUnavailable",
    "StateOfAnotherChain",
]


class OracleError(LedgerError):
    """Root of every error the oracle raises on purpose."""


class SimulatorConfigError(OracleError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"station simulator: {reason}: fix the station or lease parameters")


class SimulatorTimeError(OracleError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(
            f"the simulator is at t={current} and cannot go back to t={requested}: "
            "ask for intervals in increasing order or build a new simulator"
        )


class SourceUnavailable(OracleError):
    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        super().__init__(f"{source} is unavailable ({reason}): check the address and that it runs")


class DeviceDataMissing(OracleError):
    """A SunSpec device does not implement a point or model the oracle needs."""

    def __init__(self, device: str, what: str) -> None:
        super().__init__(f"{device} does not provide {what}: check the device's SunSpec map")


class IntervalEmpty(OracleError, ValueError):
    """No reading of the interval was accepted: there is nothing to report (a gap)."""

    def __init__(self, station_id: int, interval_start: int) -> None:
        self.station_id = station_id
        self.interval_start = interval_start
        super().__init__(
            f"interval {interval_start} of station {station_id} has no accepted readings: "
            "record it as a gap"
        )


class GaveUp(OracleError):
    """The same failure came back too many times in a row: stop, so a supervisor restarts."""

    def __init__(self, failures: int, last: str) -> None:
        self.failures = failures
        super().__init__(
            f"gave up after the same failure {failures} times in a row: {last}. Fix the cause "
            "and start `essl oracle run` again: it resumes from the outbox where it stopped"
        )


class StateOfAnotherChain(OracleError):
    def __init__(self, path: Path, recorded: ChainIdentity, current: ChainIdentity) -> None:
        differs = [k for k, v in asdict(recorded).items() if asdict(current)[k] != v]
        super().__init__(
            f"{path.name} holds the oracle state of another deployment ({', '.join(differs)} "
            f"differ: {recorded} vs {current}); point the oracle at that chain, or move "
            f"{path.parent} aside to start this chain's state from empty"
        )


class BatchCorrupt(OracleError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"batch {path}: {reason}")


class NodeDisagrees(OracleError):
    def __init__(self, node: str, start: int, why: str) -> None:
        super().__init__(
            f"interval {start}: {node} computed a different report than the quorum and does not "
            f"sign it ({why}); check this node's device data"
        )


class QuorumNotReached(OracleError):
    def __init__(self, start: int, threshold: int, refusals: list[tuple[str, str]]) -> None:
        why = "; ".join(f"{n}: {r}" for n, r in refusals) or "no node computed a report"
        super().__init__(f"interval {start}: fewer than {threshold} nodes agree ({why})")


class RelayGaveUp(OracleError):
    def __init__(self, failures: int, last: str) -> None:
        super().__init__(
            f"gave up after {failures} consecutive failures to reach the chain; last: {last}. "
            "Check ESSL_RPC_URL and the node, then run again: the outbox resumes where it stopped"
        )


class RelaySubmitFailed(OracleError):
    def __init__(self, sender: str, exc: Exception) -> None:
        super().__init__(f"submitting from {sender} failed: {exc}")


class ConfigError(OracleError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))


class InlineKeyOffDevnet(OracleError):
    def __init__(self, who: str, chain_id: int, devnet_chain_id: int) -> None:
        super().__init__(
            f"{who}: an inline key is for the devnet (chain {devnet_chain_id}) only; "
            f"chain {chain_id} needs key_env naming an environment variable"
        )


class KeyUnset(OracleError):
    def __init__(self, who: str, env: str) -> None:
        super().__init__(f"{who}: set {env} to its private key")


class KeyMalformed(OracleError):
    def __init__(self, who: str) -> None:
        super().__init__(f"{who}: the key must be 32 bytes of hex (0x + 64 hex digits)")


class NodeSignatureWrong(OracleError):
    def __init__(self, node: str, address: str) -> None:
        super().__init__(f"{node}'s signature does not recover to {address}")


class ReportsStillPending(OracleError):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            f"reports still pending after the drain timeout ({timeout_s:g} s); see the outbox"
        )
