"""The campaign's tables: its audit chain (the record) and the rows queries need beside it.

The chain (``campaign_audit``) is the record; every other table here is a projection of the
state it folds to, rewritten by the same transaction that appends the events, so a route can
find the campaign of a batch or an application, and a report can query without folding. The
board token is the one row beside the record: a secret, never written to the chain.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.store.models import AuditLink, utcnow


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    announced_on: date
    term_years: int
    pass_line: str = Field(max_length=20)
    #: The notice board's secret link (公告栏): random, at least 128 bits.
    board_token: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class CampaignPost(SQLModel, table=True):
    __tablename__ = "campaign_post"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    code: str = Field(max_length=50)
    name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    level: int
    openings: int
    shortlist_ratio: str = Field(max_length=20)


class CampaignBatch(SQLModel, table=True):
    __tablename__ = "campaign_batch"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str = Field(max_length=100)
    scope: str = Field(max_length=10)
    apply_from: date
    apply_until: date
    change_until: date


class BatchPost(SQLModel, table=True):
    """A post offered in a batch, with the openings it had left when the batch was made."""

    __tablename__ = "campaign_batch_post"
    batch_id: int = Field(foreign_key="campaign_batch.id", primary_key=True)
    post_id: int = Field(foreign_key="campaign_post.id", primary_key=True)
    openings: int


class BatchSitting(SQLModel, table=True):
    """A sitting made for a batch: its interviews come from the batch's applications."""

    __tablename__ = "campaign_batch_sitting"
    session_id: int = Field(foreign_key="sitting.id", primary_key=True)
    batch_id: int = Field(foreign_key="campaign_batch.id", index=True)
    campaign_id: int = Field(foreign_key="campaign.id")


class Applicant(SQLModel, table=True):
    __tablename__ = "campaign_applicant"
    __table_args__ = (UniqueConstraint("campaign_id", "id_number"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str = Field(max_length=50)
    id_number: str = Field(max_length=18)
    sex: str = Field(max_length=1)
    birth_date: date
    retirement_base: int
    retirement_date: date
    education: str = Field(max_length=20)
    employment: str = Field(max_length=30)
    current_level: int
    appraisal: str | None = Field(default=None, max_length=30)
    under_investigation: bool = False
    discipline_until: date | None = None
    leadership: bool = False


class Application(SQLModel, table=True):
    """An application with its review and its outcomes (their history is in the chain)."""

    __tablename__ = "campaign_application"
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    batch_id: int = Field(foreign_key="campaign_batch.id", index=True)
    applicant_id: int = Field(foreign_key="campaign_applicant.id", index=True)
    post_code: str = Field(max_length=50)
    status: str = Field(max_length=20)
    checks: str = Field(max_length=200)  # JSON: {"education": true, ...}
    eligible: bool
    review_reason: str | None = Field(default=None, max_length=500)
    inspection: str | None = Field(default=None, max_length=20)
    decision: str | None = Field(default=None, max_length=20)
    session_id: int | None = None
    interview_id: int | None = None
    total: str | None = Field(default=None, max_length=20)
    interview_score: str | None = Field(default=None, max_length=20)


class Publicity(SQLModel, table=True):
    __tablename__ = "campaign_publicity"
    batch_id: int = Field(foreign_key="campaign_batch.id", primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    published_on: date
    ends_on: date
    appointees: str = Field(sa_column=Column(Text, nullable=False))  # JSON list


class CampaignAudit(AuditLink, table=True):
    """One link of a campaign's audit chain. Never updated or deleted (the database refuses)."""

    __tablename__ = "campaign_audit"
    __table_args__ = (UniqueConstraint("campaign_id", "seq"),)
    campaign_id: int = Field(foreign_key="campaign.id")
