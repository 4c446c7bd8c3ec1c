"""The statement's leaves are the leaves SettlementAnchor verifies (against a real anvil)."""

from __future__ import annotations

import pytest

from ledger.client import Ledger
from ledger.settlement import settle
from tests.ledger.settlement.example import INTERVALS, LEASES, PERIOD, STATION, TERMS


def test_every_leaf_equals_settlement_anchor_line_leaf(ledger: Ledger) -> None:
    if not ledger.has("SettlementAnchor"):
        pytest.skip("SettlementAnchor is not in this build")
    statement = settle(STATION, *PERIOD, INTERVALS, LEASES, TERMS)
    for line in statement.lines:
        onchain = ledger.view(
            "SettlementAnchor", "lineLeaf", line.participant, line.net, line.line_hash
        )
        assert bytes(onchain) == line.leaf
