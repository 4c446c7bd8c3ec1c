"""The oracle's exception tree, rooted in the ledger's: every error the oracle raises on purpose
is an `OracleError`, with a message built from typed arguments that says what to do."""

from __future__ import annotations

from ledger.errors import LedgerError, MalformedReading, SignatureInvalid

# The reading errors live with the readings in the ledger (the verifier raises them too); they
# are re-exported here so `from oracle.errors import MalformedReading` keeps working.
__all__ = [
    "DeviceDataMissing",
    "GaveUp",
    "IntervalEmpty",
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
