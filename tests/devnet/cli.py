"""Runs one `essl` command group as a subprocess against the session anvil, with a clean
ESSL_ environment and the actors' keys in named variables (what `--key-env NAME` reads)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from ledger.settings import LedgerSettings
from tests.devnet.test_anvil_cli import ESSL

Essl = Callable[..., subprocess.CompletedProcess[str]]


def key_hex(account: object) -> str:
    return "0x" + bytes(account.key).hex()  # type: ignore[attr-defined]


def essl_group(
    group: str,
    anvil_url: str,
    settings: LedgerSettings,
    tmp_path: Path,
    *,
    timeout: int = 120,
    **extra: str,
) -> Essl:
    """`essl GROUP ...` bound to the test chain; `extra` adds environment variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESSL_")}
    env.update(
        ESSL_RPC_URL=anvil_url,
        ESSL_DEPLOYMENTS_DIR=str(settings.deployments_dir),
        ESSL_STATE_DIR=str(tmp_path / "state"),
        **extra,
    )

    def essl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ESSL, group, *args], capture_output=True, text=True, env=env, timeout=timeout
        )

    return essl
