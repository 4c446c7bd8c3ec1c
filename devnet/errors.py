"""The devnet's exception tree: every error the devnet raises on purpose is a `DevnetError`,
with a message built from typed arguments that says what to do."""

from __future__ import annotations

from ledger.errors import LedgerError


class DevnetError(LedgerError):
    """The devnet could not be started, found or stopped."""


class PortTaken(DevnetError):
    def __init__(self, port: int) -> None:
        self.port = port
        super().__init__(
            f"port {port} is already taken by another process: pass --port N, "
            "or stop what listens there (`essl devnet down` if it is ours)"
        )


class NodeDied(DevnetError):
    def __init__(self, code: int | None, log_tail: str, node: str = "anvil") -> None:
        super().__init__(f"{node} exited (code {code}) before it answered:\n{log_tail}")


class NodeSilent(DevnetError):
    def __init__(self, node: str, port: int, wait_s: float, log_tail: str) -> None:
        self.port = port
        super().__init__(f"{node} did not answer on port {port} within {wait_s:.0f} s:\n{log_tail}")


class DevnetAlreadyRunning(DevnetError):
    def __init__(self, port: int, pid: int) -> None:
        self.port, self.pid = port, pid
        super().__init__(
            f"a devnet already runs on port {port} (pid {pid}): `essl devnet down` first to move it"
        )


class SecondNodeMissing(DevnetError):
    def __init__(self) -> None:
        super().__init__(
            "Hardhat is not installed for the second-node tests: run "
            "`make test-second-node` (or `npm ci --prefix devnet/nodes/hardhat`)"
        )
