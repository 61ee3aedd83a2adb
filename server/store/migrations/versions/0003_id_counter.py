"""Row ids handed out by a counter, so the id of a removed row is never given again.

The sitting's decider is told the id of every row a command creates (a post, a candidate, a
component, the sitting itself) before it decides, and the writer reserves it here. SQLite tables
without AUTOINCREMENT give a new row ``max(id) + 1``, which is the id of a removed last row
again; the counter remembers the highest id ever handed out instead. PostgreSQL's sequences
never go back, but one table on both keeps one code path.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The tables whose ids the decider's commands carry.
TABLES = ("sitting", "position", "interview", "score_component")


def upgrade() -> None:
    op.create_table(
        "id_counter",
        sa.Column("name", sa.String(length=40), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    for table in TABLES:
        op.execute(
            f"INSERT INTO id_counter (name, last) SELECT '{table}', COALESCE(MAX(id), 0) FROM {table}"
        )


def downgrade() -> None:
    op.drop_table("id_counter")
