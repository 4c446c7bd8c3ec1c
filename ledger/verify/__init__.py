"""Independent verification of a carbon credit down to the signed meter readings, trusting only
the chain and the batch files (no database, no API, no oracle code)."""

from __future__ import annotations

from pathlib import Path

from ledger.client import Ledger
from ledger.verify.chain_facts import ChainFacts
from ledger.verify.engine import Progress, verify_credit_on_chain
from ledger.verify.verdict import Failure, Verdict

__all__ = [
    "ChainFacts",
    "Failure",
    "Progress",
    "Verdict",
    "verify_credit",
    "verify_credit_on_chain",
]


def verify_credit(
    ledger: Ledger,
    credit_id: int,
    archive_dir: Path | str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Verdict:
    """Verify `credit_id` of `ledger`'s CarbonCredits against the batch files in `archive_dir`
    (a directory or an API base URL). `Verdict.ok` is the demo's `trace_ok`."""
    facts = ChainFacts(ledger.w3, ledger.build, ledger.deployment.address("CarbonCredits"))
    return verify_credit_on_chain(
        facts, credit_id, str(archive_dir), progress=progress, workers=workers
    )
