"""A credit's lineage as a column of nodes (drawn as SVG by the credit page): each node is one
level of provenance, from the retirements down to the devices, with its key figures."""

from __future__ import annotations

from dataclasses import dataclass

from api.console import units
from api.console.i18n import Translator
from api.console.queries import CreditView, DeviceView
from api.queries.trace_rows import IntervalRow
from api.trace_models import AvoidedAccountPublic
from ledger.index.tables import CreditMoveRow, CreditRetirementRow

ZERO = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Node:
    key: str  # anchor of the node's table on the page
    title: str
    detail: str


def lineage_nodes(
    t: Translator,
    view: CreditView,
    moves: list[CreditMoveRow],
    retirements: list[CreditRetirementRow],
    account: AvoidedAccountPublic,
    rows: list[IntervalRow],
    available: dict[str, bool],
    devices: list[DeviceView],
) -> list[Node]:
    transfers = [m for m in moves if m.from_address != ZERO and m.to_address != ZERO]
    retired = sum(r.amount for r in retirements)
    decision = view.decision
    approval = (
        f"{t('approved') if decision.approved else t('rejected_state')} {decision.units} kg"
        if decision
        else t("pending")
    )
    factors = ", ".join(f"v{f.version} {units.factor(f.grams_per_mwh)}" for f in account.factors)
    readings = sum(r.reading_count for _, r, _ in rows)
    return [
        Node(
            "retirements",
            t("retirements") + " / " + t("transfers"),
            f"{len(retirements)} × {t('retired')} {retired} kg · "
            f"{len(transfers)} × {t('transfers')}",
        ),
        Node(
            "issuance",
            t("issuance"),
            f"{t('requested')} {units.mass(view.row.requested_grams)} · {approval}",
        ),
        Node(
            "avoided",
            t("avoided_account"),
            f"{units.mass(account.avoided_grams)} · {account.intervals} {t('intervals')} · "
            + factors,
        ),
        Node(
            "reports",
            t("reports"),
            f"{len(rows)} · {units.local_time(view.row.period_start)} – "
            + units.local_time(view.row.period_end),
        ),
        Node("batches", t("batches"), f"{len(available)} · {sum(available.values())} ✓"),
        Node("readings", t("readings"), f"{readings:,}"),
        Node("devices", t("devices"), f"{len(devices)}"),
    ]
