"""The landed release's schema (commit 15d0490): the tables and the append-only audit triggers.

Frozen here as it was: a database that release wrote is stamped with this revision and upgraded
from it, so nothing in this file may change.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auth_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "sitting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("batch", sa.String(length=100), nullable=False),
        sa.Column("judge_count", sa.Integer(), nullable=False),
        sa.Column("score_decimals", sa.Integer(), nullable=False),
        sa.Column("result_decimals", sa.Integer(), nullable=False),
        sa.Column("min_scores", sa.Integer(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("announced_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "seq"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
    )
    op.create_table(
        "position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("shortlist_ratio", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "code"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
    )
    op.create_index("ix_position_session_id", "position", ["session_id"])
    op.create_table(
        "score_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("weight", sa.String(length=20), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "name"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
    )
    op.create_index("ix_score_component_session_id", "score_component", ["session_id"])
    op.create_table(
        "token",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("token"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
    )
    op.create_index("ix_token_session_id", "token", ["session_id"])
    op.create_table(
        "interview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("draw_no", sa.Integer(), nullable=False),
        sa.Column("candidate_name", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("dropped_high", sa.Integer(), nullable=True),
        sa.Column("dropped_low", sa.Integer(), nullable=True),
        sa.Column("started_at", _when(), nullable=True),
        sa.Column("scored_at", _when(), nullable=True),
        sa.Column("announced_at", _when(), nullable=True),
        sa.Column("signed_at", _when(), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("countdown_ends_at", _when(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "position_id", "draw_no"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
        sa.ForeignKeyConstraint(["position_id"], ["position.id"]),
    )
    op.create_index("ix_interview_session_id", "interview", ["session_id"])
    op.create_table(
        "component_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=10), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interview_id", "component_id"),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"]),
        sa.ForeignKeyConstraint(["component_id"], ["score_component.id"]),
    )
    op.create_index("ix_component_score_interview_id", "component_score", ["interview_id"])
    op.create_table(
        "excusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interview_id", "seat"),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"]),
    )
    op.create_index("ix_excusal_interview_id", "excusal", ["interview_id"])
    op.create_table(
        "mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=10), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", _when(), nullable=False),
        sa.Column("voided_at", _when(), nullable=True),
        sa.Column("active_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "seat", "request_id"),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
        sa.ForeignKeyConstraint(["interview_id"], ["interview.id"]),
        sa.UniqueConstraint("active_key"),
    )
    op.create_index("ix_mark_interview", "mark", ["interview_id"])
    for statement in (
        _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    ):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the landed schema is the first: there is nothing below it")
