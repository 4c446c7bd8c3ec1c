"""Compile the Solidity suite with py-solc-x over solc-js, cached by a hash of the sources
and the compiler settings."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import CompileFailed
from ledger.paths import PROJECT_ROOT, SOLC_SHIM, node_root, require_node, require_node_package

CONTRACTS_DIR = PROJECT_ROOT / "contracts"
BUILD_DIR = PROJECT_ROOT / "build"


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    source: str = ""  # e.g. contracts/Registry.sol
    metadata: str = ""  # solc's metadata JSON, as the compiler wrote it (Sourcify reads it)


@dataclass(frozen=True)
class Build:
    source_hash: str
    compiler: str
    evm_version: str
    artifacts: dict[str, Artifact]
    from_cache: bool
    runs: int = 200
    sources_used: tuple[str, ...] = ()  # every source the compiler read, imports included

    def __getitem__(self, name: str) -> Artifact:
        return self.artifacts[name]

    def all_errors(self) -> list[dict[str, Any]]:
        """Every custom error ABI entry across the suite (for revert decoding)."""
        seen: dict[str, dict[str, Any]] = {}
        for art in self.artifacts.values():
            for item in art.abi:
                if item.get("type") == "error":
                    key = item["name"] + json.dumps(item["inputs"], sort_keys=True)
                    seen[key] = item
        return list(seen.values())


def _sources(contracts_dir: Path) -> dict[str, str]:
    return {
        str(p.relative_to(contracts_dir.parent)): p.read_text()
        for p in sorted(contracts_dir.rglob("*.sol"))
    }


def _lock_digest() -> str:
    """The pinned npm toolchain (solc-js and OpenZeppelin versions) is part of the cache key."""
    lock = node_root() / "package-lock.json"
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else "no-lock"


def source_hash(sources: dict[str, str], evm_version: str, runs: int) -> str:
    h = hashlib.sha256()
    settings = {"evm": evm_version, "runs": runs, "lock": _lock_digest(), "format": 2}
    h.update(json.dumps(settings).encode())
    for path, text in sorted(sources.items()):
        h.update(path.encode() + b"\0" + text.encode() + b"\0")
    return h.hexdigest()


def compiler_version() -> str:
    require_node()
    out = subprocess.run(
        ["node", str(SOLC_SHIM), "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ESSL_NODE_ROOT": str(node_root())},
    )
    if out.returncode != 0:
        raise CompileFailed([out.stderr.strip()])
    return out.stdout.strip().splitlines()[-1].removeprefix("Version: ")


def compile_suite(
    *,
    evm_version: str = "london",
    runs: int = 200,
    contracts_dir: Path = CONTRACTS_DIR,
    build_dir: Path = BUILD_DIR,
) -> Build:
    """Compile every contract under `contracts_dir`, reusing the cached build when the sources,
    the settings and the pinned toolchain are unchanged."""
    sources = _sources(contracts_dir)
    digest = source_hash(sources, evm_version, runs)
    cache = build_dir / f"contracts-{evm_version}.json"
    if cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("source_hash") == digest:
            return _build_from(cached, from_cache=True)
    require_node()
    require_node_package("solc")
    require_node_package("@openzeppelin/contracts")
    standard_json = {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": compiler_settings(evm_version, runs),
    }
    output = _run_solc(standard_json)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileFailed([e["formattedMessage"] for e in errors])
    artifacts: dict[str, dict[str, Any]] = {}
    for path, contracts in output.get("contracts", {}).items():
        if not path.startswith(contracts_dir.name + "/"):
            continue  # OpenZeppelin's own files
        for name, data in contracts.items():
            code = data["evm"]["bytecode"]["object"]
            if code:  # interfaces and abstract contracts have no bytecode
                artifacts[name] = {
                    "abi": data["abi"],
                    "bytecode": "0x" + code,
                    "source": path,
                    "metadata": data.get("metadata", ""),
                }
    record = {
        "source_hash": digest,
        "compiler": compiler_version(),
        "evm_version": evm_version,
        "runs": runs,
        "sources_used": sorted(output.get("sources", {})),
        "artifacts": artifacts,
    }
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(cache)
    return _build_from(record, from_cache=False)


def compiler_settings(evm_version: str, runs: int) -> dict[str, Any]:
    """The solc settings of every build (and of the published verification input)."""
    return {
        "evmVersion": evm_version,
        "optimizer": {"enabled": True, "runs": runs},
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "metadata"]}},
    }


def _run_solc(standard_json: dict[str, Any]) -> dict[str, Any]:
    import solcx

    cwd = os.getcwd()
    os.environ["ESSL_NODE_ROOT"] = str(node_root())
    try:
        result: dict[str, Any] = solcx.compile_standard(
            standard_json, solc_binary=str(SOLC_SHIM), allow_empty=True
        )
    except solcx.exceptions.SolcError as exc:
        raise CompileFailed(_error_messages(exc)) from exc
    finally:
        os.chdir(cwd)
    return result


def _error_messages(exc: Exception) -> list[str]:
    """The compiler's own error messages, not the whole standard-json dump."""
    try:
        output = json.loads(getattr(exc, "stdout_data", "") or "{}")
    except ValueError:
        return [str(exc)[:2000]]
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    return [e.get("formattedMessage", e.get("message", "")) for e in errors] or [str(exc)[:2000]]


def _build_from(record: dict[str, Any], *, from_cache: bool) -> Build:
    return Build(
        source_hash=record["source_hash"],
        compiler=record["compiler"],
        evm_version=record["evm_version"],
        artifacts={
            name: Artifact(
                name=name,
                abi=a["abi"],
                bytecode=a["bytecode"],
                source=a.get("source", ""),
                metadata=a.get("metadata", ""),
            )
            for name, a in record["artifacts"].items()
        },
        from_cache=from_cache,
        runs=record.get("runs", 200),
        sources_used=tuple(record.get("sources_used", ())),
    )
