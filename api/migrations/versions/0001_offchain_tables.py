"""The off-chain tables: sign-in challenges, settlement terms and statement documents.

A database that the API or `essl settle` already created (from the models) has them: each is
created only when absent, so this revision is also the baseline of existing databases.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _absent(name: str) -> bool:
    return name not in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if _absent("auth_challenges"):
        op.create_table(
            "auth_challenges",
            sa.Column("nonce", sa.String(), primary_key=True),
            sa.Column("address", sa.String(), nullable=False, index=True),
            sa.Column("message", sa.String(), nullable=False),
            sa.Column("expires_at", sa.Integer(), nullable=False, index=True),
        )
    if _absent("settlement_terms_documents"):
        op.create_table(
            "settlement_terms_documents",
            sa.Column("station_id", sa.Integer(), primary_key=True),
            sa.Column("terms_hash", sa.String(), primary_key=True),
            sa.Column("version", sa.Integer(), nullable=False, index=True),
            sa.Column("valid_from", sa.BigInteger(), nullable=False),
            sa.Column("terms_json", sa.String(), nullable=False),
        )
    if _absent("settlement_statements"):
        op.create_table(
            "settlement_statements",
            sa.Column("station_id", sa.Integer(), primary_key=True),
            sa.Column("period", sa.Integer(), primary_key=True),
            sa.Column("version", sa.Integer(), primary_key=True),
            sa.Column("root", sa.String(), nullable=False, index=True),
            sa.Column("terms_hash", sa.String(), nullable=False),
            sa.Column("net_total", sa.BigInteger(), nullable=False),
            sa.Column("lines", sa.Integer(), nullable=False),
            sa.Column("statement_json", sa.Text(), nullable=False),
            sa.Column("anchor_tx", sa.String(), nullable=False),
            sa.Column("created_at", sa.BigInteger(), nullable=False),
        )


def downgrade() -> None:
    for name in ("settlement_statements", "settlement_terms_documents", "auth_challenges"):
        op.drop_table(name)
