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
    """The anvil executable shipped in the @foundry-rs/anvil platform package."""
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    system = platform.system().lower()
    exe = "anvil.exe" if system == "windows" else "anvil"
    candidate = (
        node_root() / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / exe
    )
    if candidate.exists():
        return candidate
    require_node_package("@foundry-rs/anvil")
    raise ToolchainMissing(f"@foundry-rs/anvil-{system}-{arch}", "run `npm ci` to install anvil")
