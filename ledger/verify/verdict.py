"""The verifier's result: what was checked (counts), what failed (each failure names its item),
the credit's lineage facts and its retirements. `ok` holds iff nothing failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_LISTED = 1_000  # failures kept in full; beyond this only counted (a rewritten batch fails
# once per reading)


@dataclass(frozen=True)
class Failure:
    check: str  # e.g. "batch_root", "device_signature", "oracle_signature", "avoided"
    item: str  # what failed, e.g. "batch 0xab12… reading 17 (device 0x…, seq 42)"
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class Verdict:
    subject: str
    chain_id: int
    checks: dict[str, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    retirements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure_count == 0

    def fail(self, check: str, item: str, reason: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_LISTED:
            self.failures.append(Failure(check, item, reason))

    def count(self, check: str, n: int = 1) -> None:
        self.checks[check] = self.checks.get(check, 0) + n

    def failed_checks(self) -> list[str]:
        return sorted({f.check for f in self.failures})

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "subject": self.subject,
            "chain_id": self.chain_id,
            "checks": dict(sorted(self.checks.items())),
            "failure_count": self.failure_count,
            "failed_checks": self.failed_checks(),
            "failures": [asdict(f) for f in self.failures],
            "facts": self.facts,
            "retirements": self.retirements,
        }
