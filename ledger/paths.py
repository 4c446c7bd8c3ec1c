"""Where the project's files and the Node toolchain live."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from ledger.errors import ToolchainMissing

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOLC_SHIM = Path(__file__).resolve().parent / "solc_shim.js"


def node_root() -> Path:
    """The folder whose node_modules holds solc-js, OpenZeppelin and anvil."""
    return Path(os.environ.get("ESSL_NODE_ROOT", PROJECT_ROOT))


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ToolchainMissing("node", "install Node.js 18+ and run `npm ci`")
    return node


def require_node_package(name: str) -> Path:
    path = node_root() / "node_modules" / name
    if not path.exists():
        raise ToolchainMissing(name, f"run `npm ci` in {node_root().name}/ (or `make setup`)")
    return path


def anvil_binary() -> Path:
    """anvil from the @foundry-rs platform package in node_modules, else ESSL_ANVIL, else PATH.

    package.json lists the linux-amd64 build only: the other platforms' builds are not in
    every npm registry mirror, and an entry `npm ci` cannot fetch breaks the whole install."""
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    exe = "anvil.exe" if system == "windows" else "anvil"
    package = f"@foundry-rs/anvil-{system}-{arch}"
    candidate = node_root() / "node_modules" / package / "bin" / exe
    if candidate.exists():
        return candidate
    override = os.environ.get("ESSL_ANVIL") or shutil.which("anvil")
    if override:
        return Path(override)
    raise ToolchainMissing(
        package,
        f"run `npm ci` (linux-amd64), or `npm install --no-save {package}@1.7.1`, "
        "or set ESSL_ANVIL to an anvil binary",
    )
