"""This round's columns: a sitting's language (zh|en) and the time a sitting was removed.

``language`` is NOT NULL: the landed release's sittings were all run in Chinese, so existing
rows take 'zh'. ``removed_at`` marks a sitting the secretary removed before it started.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by this round's code before migrations existed already has them.
    have = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("sitting")}
    # Plain ADD COLUMNs (no table copy on SQLite, so nothing else about the table moves).
    with op.batch_alter_table("sitting", recreate="never") as batch:
        if "language" not in have:
            batch.add_column(
                sa.Column("language", sa.String(length=5), nullable=False, server_default="zh")
            )
        if "removed_at" not in have:
            batch.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sitting") as batch:
        batch.drop_column("removed_at")
        batch.drop_column("language")
