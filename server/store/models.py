"""The tables. Marks and results are stored as their exact decimal text, never as floats.

In code the interview day is a *sitting* (:class:`Sitting`, ``server.domain.sitting``); the
columns that point at one keep the landed release's name, ``session_id``, as do the URLs
(``/api/sessions/...``): renaming them would change the wire contract and every database
already written. A "session" in Python code is a database session.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

#: Ids are 32-bit integer columns on PostgreSQL; a larger id can name nothing and must be
#: refused before it reaches a query (psycopg binds it as the column's type and fails).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class Setting(SQLModel, table=True):
    key: str = Field(primary_key=True, max_length=64)
    value: str


class AuthToken(SQLModel, table=True):
    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Sitting(SQLModel, table=True):
    __tablename__ = "sitting"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    batch: str = Field(default="", max_length=100)
    judge_count: int
    score_decimals: int
    result_decimals: int
    min_scores: int
    #: The language of the judges' and the display's pages and of the spoken result.
    language: str = Field(default="zh", max_length=5)
    #: A score sheet by element (评分要素, migration 0005): ``[{"code", "name", "max"}]`` as JSON
    #: text, null for one number per judge; ``trim`` is ``total`` or ``per_criterion``.
    criteria: str | None = Field(default=None)
    trim: str = Field(default="total", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    announced_id: int | None = None
    #: Set when the secretary removes a sitting that never started: it is hidden and its links
    #: refused, while its rows and audit chain stay (the chain cannot be deleted).
    removed_at: datetime | None = None


class IdCounter(SQLModel, table=True):
    """The highest id handed out per table (migration 0003): a removed row's id is never reused."""

    __tablename__ = "id_counter"
    name: str = Field(primary_key=True, max_length=40)
    last: int


class Token(SQLModel, table=True):
    """A judge seat's or the display's secret link."""

    token: str = Field(primary_key=True, max_length=64)
    session_id: int = Field(foreign_key="sitting.id", index=True)
    role: str = Field(max_length=10)  # "judge" | "display"
    seat: int | None = None


class Position(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("session_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sitting.id", index=True)
    code: str = Field(max_length=50)
    name: str = Field(max_length=200)
    openings: int
    shortlist_ratio: str = Field(max_length=20)


class Interview(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("session_id", "position_id", "draw_no"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sitting.id", index=True)
    position_id: int = Field(foreign_key="position.id")
    draw_no: int
    candidate_name: str = Field(max_length=50)
    state: str = Field(default="waiting", max_length=20)
    result: str | None = Field(default=None, max_length=20)
    dropped_high: int | None = None
    dropped_low: int | None = None
    started_at: datetime | None = None
    scored_at: datetime | None = None
    announced_at: datetime | None = None
    signed_at: datetime | None = None
    signature: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, max_length=2000)
    countdown_ends_at: datetime | None = None


class Mark(SQLModel, table=True):
    """A judge's mark. A reopened mark is kept, voided; ``active_key`` makes one live mark a seat."""

    __table_args__ = (
        UniqueConstraint("session_id", "seat", "request_id"),
        Index("ix_mark_interview", "interview_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sitting.id")
    interview_id: int = Field(foreign_key="interview.id")
    seat: int
    score: str = Field(max_length=10)
    request_id: str = Field(max_length=100)
    submitted_at: datetime = Field(default_factory=utcnow)
    voided_at: datetime | None = None
    active_key: str | None = Field(default=None, unique=True, max_length=40)


class Excusal(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("interview_id", "seat"),)
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    seat: int
    reason: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow)


class AuditLink(SQLModel):
    """The columns of one link of an audit chain, a sitting's or a campaign's (server.store.audit).

    A table adds the id of what its chain records (``session_id``, ``campaign_id``).
    """

    id: int | None = Field(default=None, primary_key=True)
    seq: int
    at: str = Field(max_length=40)
    actor: str = Field(max_length=20)
    kind: str = Field(max_length=40)
    # sa_type, not sa_column: a Column object can belong to one table only.
    data: str = Field(sa_type=Text, nullable=False)
    prev: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditEvent(AuditLink, table=True):
    """One link of a sitting's audit chain. Never updated or deleted (the database refuses)."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)
    session_id: int = Field(foreign_key="sitting.id")
