"""Run anvil (from node_modules) as a local devnet: start, wait until it answers, record its
pid and port, stop it, and report a taken port or a dead process clearly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from devnet.errors import DevnetAlreadyRunning, NodeDied, NodeSilent, PortTaken
from ledger.paths import anvil_binary

DEFAULT_PORT = 8545
DEVNET_CHAIN_ID = 31337


@dataclass
class DevnetRecord:
    pid: int
    port: int
    hardfork: str
    state: str | None
    log: str
    block_time: float | None = None
    host: str = "127.0.0.1"  # the address it listens on (0.0.0.0: every interface)

    @property
    def url(self) -> str:
        return f"http://{local_host(self.host)}:{self.port}"


def local_host(host: str) -> str:
    """Where this machine reaches a node listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        reply = requests.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            timeout=timeout,
        )
        return reply.ok and "result" in reply.json()
    except (requests.RequestException, ValueError):
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still "exists": check /proc where we can.
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().split(")")[-1].split()[0] != "Z"
    return True


def start_anvil(
    port: int,
    *,
    hardfork: str = "london",
    block_time: float | None = None,
    state: Path | None = None,
    log: Path,
    detach: bool = False,
    wait_s: float = 20.0,
    host: str = "127.0.0.1",
) -> subprocess.Popen[bytes]:
    """Start anvil listening on `host`:`port` and return once it answers JSON-RPC."""
    if port_taken(port, "0.0.0.0" if host in ("0.0.0.0", "::") else host):
        raise PortTaken(port)
    cmd = [
        str(anvil_binary()),
        "--port",
        str(port),
        "--host",
        host,
        "--hardfork",
        hardfork,
        "--chain-id",
        str(DEVNET_CHAIN_ID),
        "--silent",
        # 20 funded accounts: the demo's oracle nodes use keys 10-12.
        "--accounts",
        "20",
    ]
    if block_time:
        cmd += ["--block-time", str(block_time)]
    if state is not None:
        cmd += ["--state", str(state)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=detach,
        )
    url = f"http://{local_host(host)}:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NodeDied(proc.returncode, _tail(log))
        if answers(url, timeout=0.5):
            return proc
        time.sleep(0.05)
    proc.kill()
    raise NodeSilent("anvil", port, wait_s, _tail(log))


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """Ask anvil to exit (SIGINT lets it dump --state), then insist."""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Devnet:
    """The background devnet recorded in `<state_dir>/devnet.json`."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.record_path = state_dir / "devnet.json"

    def record(self) -> DevnetRecord | None:
        try:
            return DevnetRecord(**json.loads(self.record_path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def status(self) -> tuple[str, DevnetRecord | None]:
        """("running" | "dead" | "stopped", record)."""
        rec = self.record()
        if rec is None:
            return "stopped", None
        if pid_alive(rec.pid) and answers(rec.url):
            return "running", rec
        return "dead", rec

    def up(
        self,
        *,
        port: int = DEFAULT_PORT,
        hardfork: str = "london",
        block_time: float | None = None,
        state: Path | None = None,
        host: str = "127.0.0.1",
    ) -> DevnetRecord:
        status, rec = self.status()
        if status == "running" and rec is not None:
            if rec.port != port:
                raise DevnetAlreadyRunning(rec.port, rec.pid)
            return rec
        log = self.state_dir / "anvil.log"
        proc = start_anvil(
            port,
            hardfork=hardfork,
            block_time=block_time,
            state=state,
            log=log,
            detach=True,
            host=host,
        )
        rec = DevnetRecord(
            pid=proc.pid,
            port=port,
            hardfork=hardfork,
            state=str(state) if state else None,
            log=str(log),
            block_time=block_time,
            host=host,
        )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.record_path.write_text(json.dumps(asdict(rec)))
        return rec

    def down(self) -> DevnetRecord | None:
        rec = self.record()
        if rec is None:
            return None
        stop_process(rec.pid)
        self.record_path.unlink(missing_ok=True)
        return rec


class RestartableNode:
    """An anvil that keeps its chain in a state file across restarts on the same port, as a
    node restarted after an outage does: `stop()` exits cleanly (the state is dumped; the
    transaction pool is not part of it) and `start()` loads the file again."""

    def __init__(self, root: Path, *, hardfork: str = "london") -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.hardfork = hardfork
        self.state = root / "state.json"
        self.log = root / "anvil.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, block_time: float | None = None) -> None:
        self.proc = start_anvil(
            self.port, hardfork=self.hardfork, block_time=block_time, state=self.state, log=self.log
        )

    def mine_every(self, seconds: int) -> None:
        """Switch the running node from mining on each transaction to a block every N s."""
        call = {"jsonrpc": "2.0", "id": 1, "method": "evm_setIntervalMining", "params": [seconds]}
        requests.post(self.url, json=call, timeout=10).raise_for_status()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_process(self.proc.pid)
            self.proc.wait(timeout=10)
        self.proc = None
