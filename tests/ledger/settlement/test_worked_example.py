"""docs/settlement.md's worked example, reproduced to the fen."""

from __future__ import annotations

from ledger.settlement import Totals, settle
from tests.ledger.settlement.example import (
    FACTORY,
    INTERVALS,
    LEASES,
    PERIOD,
    SOLAR,
    STATION,
    TERMS,
    TRADER,
    WIND,
)

# participant: leased_wh, lease_wh_seconds, charged, discharged, peak_charged, loss_wh,
#              lease_fee, throughput_fee, peak_pay, loss_charge, net
DOC_LINES = {
    FACTORY: (1_000_250, 86_421_600_000, 150_000, 120_000, 150_000, 27_000,
              41_106, 330, 4_500, 702, -37_638),
    SOLAR: (1_500_000, 129_600_000_000, 683_333, 540_000, 583_333, 123_000,
            61_644, 1_485, 17_500, 3_198, -48_827),
    TRADER: (500_000, 21_300_000_000, 77_777, 50_000, 0, 14_000,
             10_132, 138, 0, 364, -10_634),
    WIND: (2_000_000, 172_800_000_000, 1_200_001, 900_000, 800_001, 216_000,
           82_192, 2_475, 24_000, 5_616, -66_283),
}  # fmt: skip
DOC_TOTALS = Totals.from_dict(
    {
        "leased_wh": 5_000_250,
        "lease_wh_seconds": 410_121_600_000,
        "charged_wh": 2_111_111,
        "discharged_wh": 1_610_000,
        "peak_charged_wh": 1_533_334,
        "loss_wh": 380_000,
        "lease_fee": 195_074,
        "throughput_fee": 4_428,
        "peak_pay": 46_000,
        "loss_charge": 9_880,
        "net": -163_382,
    }
)
DOC_TERMS_HASH = "c7b63b3fad0de82324931366fe1e1b1dc2e1b0eff1089444e5fd4b430ab2c49c"
DOC_ROOT = "40299bf270088c2c9ecbe28be637d3be21b3b243e04fae5ad404bb981c0f280a"


def test_worked_example_lines_match_the_doc_to_the_fen() -> None:
    statement = settle(STATION, *PERIOD, INTERVALS, LEASES, TERMS)
    assert [line.participant for line in statement.lines] == [FACTORY, SOLAR, TRADER, WIND]
    for line in statement.lines:
        got = (
            line.leased_wh,
            line.lease_wh_seconds,
            line.charged_wh,
            line.discharged_wh,
            line.peak_charged_wh,
            line.loss_wh,
            line.lease_fee,
            line.throughput_fee,
            line.peak_pay,
            line.loss_charge,
            line.net,
        )
        assert got == DOC_LINES[line.participant], line.participant
    assert statement.totals == DOC_TOTALS
    assert statement.loss_source == "efficiency"


def test_worked_example_hashes_match_the_doc() -> None:
    statement = settle(STATION, *PERIOD, INTERVALS, LEASES, TERMS)
    assert TERMS.hash.hex() == DOC_TERMS_HASH
    assert statement.terms_hash.hex() == DOC_TERMS_HASH
    assert statement.root.hex() == DOC_ROOT


def test_worked_example_with_measured_losses_allocates_them_exactly() -> None:
    statement = settle(STATION, *PERIOD, INTERVALS, LEASES, TERMS, measured_losses_wh=400_001)
    assert statement.loss_source == "measured"
    assert statement.totals.loss_wh == 400_001
    assert sum(line.loss_wh for line in statement.lines) == 400_001
