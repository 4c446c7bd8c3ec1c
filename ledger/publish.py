"""What the suite publishes for integrators and explorers: the committed ABIs (`abi/*.json`)
and, for each deployment, a verification record with the self-contained standard-JSON
compiler input (the project's sources and every imported OpenZeppelin file), each contract's
solc metadata and its ABI-encoded constructor arguments. Sourcify reads the metadata and the
sources; Etherscan-style explorers read the standard-JSON input, the compiler version, the
contract's `path:Name` and the constructor arguments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ledger.compile import CONTRACTS_DIR, Build, compiler_settings
from ledger.paths import PROJECT_ROOT, node_root

ABI_DIR = PROJECT_ROOT / "abi"


def _source_text(path: str) -> str:
    for base in (CONTRACTS_DIR.parent, node_root() / "node_modules", node_root()):
        candidate = base / path
        if candidate.exists():
            return candidate.read_text()
    raise FileNotFoundError(f"source {path} is neither in the project nor in node_modules")


def standard_input(build: Build) -> dict[str, Any]:
    """A standard-JSON input that compiles the build with no import callback."""
    return {
        "language": "Solidity",
        "sources": {path: {"content": _source_text(path)} for path in build.sources_used},
        "settings": compiler_settings(build.evm_version, build.runs),
    }


def verification_path(deployments_dir: Path, chain_id: int) -> Path:
    return deployments_dir / f"{chain_id}.verify.json"


def verification_record(
    build: Build, chain_id: int, deployed: dict[str, tuple[str, str]]
) -> dict[str, Any]:
    """`deployed`: contract name -> (address, ABI-encoded constructor arguments)."""
    return {
        "chain_id": chain_id,
        "compiler": build.compiler,
        "contracts": {
            name: {
                "address": address,
                "contract": f"{build[name].source}:{name}",
                "constructor_arguments": ctor_args,
                "metadata": json.loads(build[name].metadata) if build[name].metadata else None,
            }
            for name, (address, ctor_args) in deployed.items()
        },
        "standard_json_input": standard_input(build),
    }


def write_verification(
    build: Build, chain_id: int, deployed: dict[str, tuple[str, str]], deployments_dir: Path
) -> Path:
    path = verification_path(deployments_dir, chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = verification_record(build, chain_id, deployed)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def abi_files(build: Build) -> dict[str, str]:
    """File name -> content of the committed ABIs: one per contract with an interface (the
    internal libraries have none)."""
    return {
        f"{name}.json": json.dumps(art.abi, indent=2, sort_keys=True) + "\n"
        for name, art in sorted(build.artifacts.items())
        if art.abi
    }


def abi_drift(build: Build, abi_dir: Path = ABI_DIR) -> list[str]:
    """What differs between `abi_dir` and the build: missing, changed or extra files."""
    want = abi_files(build)
    have = {p.name for p in abi_dir.glob("*.json")} if abi_dir.exists() else set()
    drift = [f"{n}: missing" for n in sorted(set(want) - have)]
    drift += [f"{n}: not a suite contract" for n in sorted(have - set(want))]
    drift += [
        f"{n}: differs from the contracts"
        for n in sorted(set(want) & have)
        if (abi_dir / n).read_text() != want[n]
    ]
    return drift


def export_abis(build: Build, abi_dir: Path = ABI_DIR) -> list[Path]:
    abi_dir.mkdir(parents=True, exist_ok=True)
    for stale in set(p.name for p in abi_dir.glob("*.json")) - set(abi_files(build)):
        (abi_dir / stale).unlink()
    written = []
    for name, text in abi_files(build).items():
        (abi_dir / name).write_text(text)
        written.append(abi_dir / name)
    return written
