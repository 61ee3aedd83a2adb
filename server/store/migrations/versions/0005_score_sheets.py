"""Score sheets by element (评分要素): a sitting's criteria and its trim rule.

``criteria`` holds ``[{"code", "name", "max"}]`` as JSON text, null for a sitting scored by one
number per judge (every sitting before this revision). ``trim`` is ``total`` or
``per_criterion``; NOT NULL, so existing rows take ``total``, the plan's own rule. The sitting's
``session.created`` event carries both too: these columns are for queries beside the chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy on SQLite, so nothing else about the table moves).
    with op.batch_alter_table("sitting", recreate="never") as batch:
        batch.add_column(sa.Column("criteria", sa.String(), nullable=True))
        batch.add_column(
            sa.Column("trim", sa.String(length=20), nullable=False, server_default="total")
        )


def downgrade() -> None:
    with op.batch_alter_table("sitting") as batch:
        batch.drop_column("trim")
        batch.drop_column("criteria")
