"""Counter baselines: a meter channel's raw counters at onboarding or at a meter replacement,
recorded on-chain with the participant's booked counters at that moment
(`StorageLedger.setBaseline`). Reports carry booked cumulative counters; this module is the one
place that turns a meter's raw counters into booked ones (the oracle and the verifier call it)."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import LedgerError


@dataclass(frozen=True)
class Baseline:
    """`StorageLedger.baselineOf`: epoch 0 means no baseline was ever set (raw = booked)."""

    device: str
    epoch: int
    raw_charged_wh: int
    raw_discharged_wh: int
    booked_charged_wh: int
    booked_discharged_wh: int


NO_BASELINE = Baseline("0x" + "00" * 20, 0, 0, 0, 0, 0)


class CounterBelowBaseline(LedgerError):
    def __init__(self, field: str, raw_wh: int, baseline_wh: int, epoch: int) -> None:
        self.field = field
        super().__init__(
            f"{field}: raw counter {raw_wh} Wh is below the baseline's {baseline_wh} Wh "
            f"(epoch {epoch}); a replaced meter needs a new baseline (setBaseline)"
        )


def booked_counters(baseline: Baseline, raw_charged: int, raw_discharged: int) -> tuple[int, int]:
    """The booked cumulative (charged, discharged) Wh for a meter's raw counters read after
    `baseline`: bookedAtBaseline + (raw - rawAtBaseline) per channel. Raises
    `CounterBelowBaseline` when a raw counter is below its baseline."""
    out = []
    for field, raw, at_raw, at_booked in (
        ("chargedWh", raw_charged, baseline.raw_charged_wh, baseline.booked_charged_wh),
        ("dischargedWh", raw_discharged, baseline.raw_discharged_wh, baseline.booked_discharged_wh),
    ):
        if raw < at_raw:
            raise CounterBelowBaseline(field, raw, at_raw, baseline.epoch)
        out.append(at_booked + raw - at_raw)
    return out[0], out[1]


def implied_raw(baseline: Baseline, booked_charged: int, booked_discharged: int) -> tuple[int, int]:
    """The inverse of `booked_counters`: the raw meter counters that booked counters stand for
    under `baseline` (negative when the booked counters are below the baseline's)."""
    return (
        booked_charged - baseline.booked_charged_wh + baseline.raw_charged_wh,
        booked_discharged - baseline.booked_discharged_wh + baseline.raw_discharged_wh,
    )
