import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devnet.anvil import free_port

ESSL = str(Path(sys.executable).parent / "essl")


def essl(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ESSL_STATE_DIR": str(state_dir)}
    return subprocess.run([ESSL, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "state"
    essl(tmp_path / "state", "devnet", "down")


def block_number(port: int) -> int:
    reply = requests.post(
        f"http://127.0.0.1:{port}",
        json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
        timeout=5,
    )
    return int(reply.json()["result"], 16)


def test_devnet_up_status_down(state_dir: Path) -> None:
    port = free_port()
    up = essl(state_dir, "devnet", "up", "--port", str(port))
    assert up.returncode == 0, up.stderr
    assert f"127.0.0.1:{port}" in up.stdout
    record = json.loads((state_dir / "devnet.json").read_text())
    assert record["port"] == port and record["hardfork"] == "london"

    status = essl(state_dir, "devnet", "status")
    assert status.returncode == 0 and "running" in status.stdout

    down = essl(state_dir, "devnet", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    status = essl(state_dir, "devnet", "status")
    assert status.returncode == 1 and "stopped" in status.stdout


def test_devnet_up_on_a_taken_port_says_so(state_dir: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = essl(state_dir, "devnet", "up", "--port", str(port))
    assert result.returncode == 1
    assert f"port {port} is already taken" in result.stderr


def test_status_reports_a_dead_devnet(state_dir: Path) -> None:
    port = free_port()
    assert essl(state_dir, "devnet", "up", "--port", str(port)).returncode == 0
    pid = json.loads((state_dir / "devnet.json").read_text())["pid"]
    os.kill(pid, 9)
    status = essl(state_dir, "devnet", "status")
    assert status.returncode == 1 and "dead" in status.stdout


def test_state_file_keeps_the_chain_across_restarts(state_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    chain_state = tmp_path / "chain.json"
    assert (
        essl(state_dir, "devnet", "up", "--port", str(port), "--state", str(chain_state)).returncode
        == 0
    )
    requests.post(
        f"http://127.0.0.1:{port}",
        json={"jsonrpc": "2.0", "id": 1, "method": "anvil_mine", "params": ["0x5"]},
        timeout=5,
    )
    assert block_number(port) == 5
    assert essl(state_dir, "devnet", "down").returncode == 0
    assert chain_state.exists()
    assert (
        essl(state_dir, "devnet", "up", "--port", str(port), "--state", str(chain_state)).returncode
        == 0
    )
    assert block_number(port) == 5


def test_devnet_up_on_every_interface_is_shared_and_reachable_here(state_dir: Path) -> None:
    port = free_port()
    up = essl(state_dir, "devnet", "up", "--port", str(port), "--host", "0.0.0.0")
    assert up.returncode == 0, up.stderr
    assert "shared on 0.0.0.0" in up.stdout
    record = json.loads((state_dir / "devnet.json").read_text())
    assert record["host"] == "0.0.0.0"
    assert block_number(port) >= 0  # reached over loopback
    status = essl(state_dir, "devnet", "status")
    assert f"running: http://127.0.0.1:{port}" in status.stdout
