"""A second, independent node implementation for the node matrix: Hardhat Network (EDR) from
`devnet/nodes/hardhat` (its own npm package, installed by `make test-second-node`), started
on a chain id other than the devnet's, mining blocks on a timer and funding only the keys it
is given (no well-known keys)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from devnet.anvil import answers, port_taken
from devnet.errors import NodeDied, NodeSilent, PortTaken, SecondNodeMissing

HARDHAT_DIR = Path(__file__).parent / "nodes" / "hardhat"
DEFAULT_CHAIN_ID = 1337


def start_hardhat(
    port: int,
    *,
    keys: list[str],
    log: Path,
    chain_id: int = DEFAULT_CHAIN_ID,
    block_ms: int = 1000,
    wait_s: float = 60.0,
) -> subprocess.Popen[bytes]:
    """Start `hardhat node` on 127.0.0.1:`port` and return once it answers JSON-RPC."""
    cli = HARDHAT_DIR / "node_modules" / "hardhat" / "internal" / "cli" / "cli.js"
    if not cli.exists():
        raise SecondNodeMissing()
    if port_taken(port):
        raise PortTaken(port)
    env = {
        **os.environ,
        "ESSL_NODE_CHAIN_ID": str(chain_id),
        "ESSL_NODE_BLOCK_MS": str(block_ms),
        "ESSL_NODE_KEYS": ",".join(keys),
        "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            ["node", str(cli), "node", "--hostname", "127.0.0.1", "--port", str(port)],
            cwd=HARDHAT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NodeDied(proc.returncode, _tail(log), node="hardhat")
        if answers(url, timeout=0.5):
            return proc
        time.sleep(0.2)
    proc.kill()
    raise NodeSilent("hardhat", port, wait_s, _tail(log))


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
