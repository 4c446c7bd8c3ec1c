import shutil
from pathlib import Path

import pytest

from ledger.compile import compile_suite
from ledger.errors import CompileFailed, ToolchainMissing
from tests.conftest import FIXTURE_CONTRACTS


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE_CONTRACTS, tmp_path / "contracts")
    return tmp_path


def test_cache_is_reused_when_sources_are_unchanged(workdir: Path) -> None:
    first = compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    second = compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    assert not first.from_cache
    assert second.from_cache
    assert second["Probe"].bytecode == first["Probe"].bytecode


def test_stale_cache_is_rebuilt_after_a_source_change(workdir: Path) -> None:
    source = workdir / "contracts" / "Probe.sol"
    first = compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    source.write_text(source.read_text().replace("value > 1000", "value > 2000"))
    second = compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    assert not second.from_cache
    assert second.source_hash != first.source_hash
    assert second["Probe"].bytecode != first["Probe"].bytecode


def test_evm_version_is_part_of_the_cache_key(workdir: Path) -> None:
    london = compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    cancun = compile_suite(
        evm_version="cancun", contracts_dir=workdir / "contracts", build_dir=workdir / "build"
    )
    assert london.source_hash != cancun.source_hash
    assert not cancun.from_cache


def test_london_bytecode_has_no_push0(workdir: Path) -> None:
    # PUSH0 (0x5f) arrived with Shanghai; a London chain such as Energy Web rejects it.
    from ledger.compile import compile_suite as build_for

    london = build_for(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
    shanghai = build_for(
        evm_version="shanghai", contracts_dir=workdir / "contracts", build_dir=workdir / "build"
    )
    assert _opcodes(london["Probe"].bytecode).isdisjoint({0x5F})
    assert 0x5F in _opcodes(shanghai["Probe"].bytecode)


def test_compile_error_names_the_problem(workdir: Path) -> None:
    (workdir / "contracts" / "Broken.sol").write_text("pragma solidity ^0.8.24; contract B { x }")
    with pytest.raises(CompileFailed, match=r"Broken\.sol"):
        compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")


def test_the_repository_cache_matches_the_sources() -> None:
    build = compile_suite()
    again = compile_suite()
    assert again.from_cache and again.source_hash == build.source_hash


def _opcodes(bytecode: str) -> set[int]:
    """Opcodes actually executed-as-code (skipping PUSH immediates), up to the metadata."""
    code = bytes.fromhex(bytecode.removeprefix("0x"))
    meta_len = int.from_bytes(code[-2:], "big") + 2
    code = code[:-meta_len]
    seen: set[int] = set()
    i = 0
    while i < len(code):
        op = code[i]
        seen.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen


def test_missing_node_modules_says_to_run_npm_ci(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESSL_NODE_ROOT", str(workdir / "empty"))
    with pytest.raises(ToolchainMissing, match="npm ci"):
        compile_suite(contracts_dir=workdir / "contracts", build_dir=workdir / "build")
