"""The campaign (DESIGN section 5): its audit chain and the rows queries need beside it.

``campaign_audit`` is append-only like ``audit_event``: the same triggers, under names of its own.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS campaign_audit_no_update BEFORE UPDATE ON campaign_audit
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS campaign_audit_no_delete BEFORE DELETE ON campaign_audit
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS campaign_audit_append_only ON campaign_audit",
    """CREATE TRIGGER campaign_audit_append_only BEFORE UPDATE OR DELETE ON campaign_audit
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=False),
        sa.Column("term_years", sa.Integer(), nullable=False),
        sa.Column("pass_line", sa.String(length=20), nullable=False),
        sa.Column("board_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("board_token"),
    )
    op.create_table(
        "campaign_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "seq"),
    )
    op.create_table(
        "campaign_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("shortlist_ratio", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "code"),
    )
    op.create_index("ix_campaign_post_campaign_id", "campaign_post", ["campaign_id"])
    op.create_table(
        "campaign_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("apply_from", sa.Date(), nullable=False),
        sa.Column("apply_until", sa.Date(), nullable=False),
        sa.Column("change_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_batch_campaign_id", "campaign_batch", ["campaign_id"])
    op.create_table(
        "campaign_batch_post",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["campaign_batch.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["campaign_post.id"]),
        sa.PrimaryKeyConstraint("batch_id", "post_id"),
    )
    op.create_table(
        "campaign_batch_sitting",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["campaign_batch.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["sitting.id"]),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_index("ix_campaign_batch_sitting_batch_id", "campaign_batch_sitting", ["batch_id"])
    op.create_table(
        "campaign_applicant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("retirement_base", sa.Integer(), nullable=False),
        sa.Column("retirement_date", sa.Date(), nullable=False),
        sa.Column("education", sa.String(length=20), nullable=False),
        sa.Column("employment", sa.String(length=30), nullable=False),
        sa.Column("current_level", sa.Integer(), nullable=False),
        sa.Column("appraisal", sa.String(length=30), nullable=True),
        sa.Column("under_investigation", sa.Boolean(), nullable=False),
        sa.Column("discipline_until", sa.Date(), nullable=True),
        sa.Column("leadership", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "id_number"),
    )
    op.create_index("ix_campaign_applicant_campaign_id", "campaign_applicant", ["campaign_id"])
    op.create_table(
        "campaign_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("post_code", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checks", sa.String(length=200), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("review_reason", sa.String(length=500), nullable=True),
        sa.Column("inspection", sa.String(length=20), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.String(length=20), nullable=True),
        sa.Column("interview_score", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["applicant_id"], ["campaign_applicant.id"]),
        sa.ForeignKeyConstraint(["batch_id"], ["campaign_batch.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_application_campaign_id", "campaign_application", ["campaign_id"])
    op.create_index("ix_campaign_application_batch_id", "campaign_application", ["batch_id"])
    op.create_index(
        "ix_campaign_application_applicant_id", "campaign_application", ["applicant_id"]
    )
    op.create_table(
        "campaign_publicity",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("appointees", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["campaign_batch.id"]),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("batch_id"),
    )
    op.create_index("ix_campaign_publicity_campaign_id", "campaign_publicity", ["campaign_id"])
    for statement in (
        _SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else _POSTGRES_TRIGGERS
    ):
        op.execute(statement)


def downgrade() -> None:
    for table in (
        "campaign_publicity",
        "campaign_application",
        "campaign_applicant",
        "campaign_batch_sitting",
        "campaign_batch_post",
        "campaign_batch",
        "campaign_post",
        "campaign_audit",
        "campaign",
    ):
        op.drop_table(table)
