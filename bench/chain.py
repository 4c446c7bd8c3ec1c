"""A throwaway anvil with the deployed suite, for benchmarks (never the user's devnet)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devnet.anvil import free_port, start_anvil
from ledger.client import Ledger, tx_manager
from ledger.compile import compile_suite
from ledger.deploy import deploy_suite
from ledger.settings import LedgerSettings
from ledger.setup import configure_suite
from ledger.tx import connect


@contextmanager
def bench_chain(block_time: float | None = None) -> Iterator[Ledger]:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_anvil(
            port, hardfork="london", block_time=block_time, log=Path(tmp) / "anvil.log"
        )
        try:
            settings = LedgerSettings(
                rpc_url=f"http://127.0.0.1:{port}", deployments_dir=Path(tmp) / "deployments"
            )
            build = compile_suite(evm_version="london")
            w3 = connect(settings.rpc_url)
            tx = tx_manager(w3, build, settings)
            deployment = deploy_suite(
                tx, build, settings.deployments_dir, after_deploy=configure_suite
            )
            yield Ledger(w3, build, deployment, tx, settings)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
