"""The oracle's exception tree, rooted in the ledger's: every error the oracle raises on purpose
is an `OracleError`, with a message built from typed arguments that says what to do."""

from __future__ import annotations

from ledger.errors import LedgerError, MalformedReading, SignatureInvalid

# The reading errors live with the readings in the ledger (the verifier raises them too); they
# are re-exported here so `from oracle.errors import MalformedReading` keeps working.
__all__ = [
    "DeviceDataMissing",
    "MalformedReading",
    "OracleError",
    "SignatureInvalid",
    "SimulatorConfigError",
    "SimulatorTimeError",
    "SourceUnavailable",
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
