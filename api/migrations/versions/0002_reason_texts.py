"""The reason texts behind on-chain reason hashes (disputes, rejections, revocations).

A database that the API or `essl settle` already created (from the models) has the table: it
is created only when absent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _absent(name: str) -> bool:
    return name not in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if _absent("reason_texts"):
        op.create_table(
            "reason_texts",
            sa.Column("reason_hash", sa.String(), primary_key=True),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("reason_texts")
