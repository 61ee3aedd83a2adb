"""Weighted components of the total score (a written test, say) and their scores.

A sitting with no component ranks by the interview score alone. Each component carries a weight,
a fraction of the total written as decimal text ("0.4"); the interview keeps ``1 − Σ weights``,
which must stay above zero (:func:`server.domain.ranking.interview_weight`). The secretary enters
each candidate's component score; the rules of both writes are the sitting's decider's
(``AddComponent``, ``ScoreComponent`` in :mod:`server.domain.sitting`), written by
:mod:`server.store.sittings`. What is here are the tables and their queries.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from server.domain import ranking
from server.store import repository as repo
from server.store.models import utcnow


class Component(SQLModel, table=True):
    __tablename__ = "score_component"
    __table_args__ = (UniqueConstraint("session_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="sitting.id", index=True)
    name: str = Field(max_length=50)
    weight: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class ComponentScore(SQLModel, table=True):
    __tablename__ = "component_score"
    __table_args__ = (UniqueConstraint("interview_id", "component_id"),)
    id: int | None = Field(default=None, primary_key=True)
    interview_id: int = Field(foreign_key="interview.id", index=True)
    component_id: int = Field(foreign_key="score_component.id")
    score: str = Field(max_length=10)
    at: datetime = Field(default_factory=utcnow)


def list_components(db: Session, session_id: int) -> list[Component]:
    repo.get_sitting(db, session_id)
    query = select(Component).where(Component.session_id == session_id)
    return list(db.exec(query.order_by(Component.id)).all())  # type: ignore[arg-type]


def specs(db: Session, session_id: int) -> list[ranking.ComponentSpec]:
    """The sitting's components as the ranking takes them."""
    return [
        ranking.ComponentSpec(c.id or 0, c.name, Decimal(c.weight))
        for c in list_components(db, session_id)
    ]


def scores(db: Session, session_id: int) -> dict[int, dict[int, Decimal]]:
    """Interview id → component id → score, for one sitting."""
    rows = db.exec(
        select(ComponentScore)
        .join(Component, Component.id == ComponentScore.component_id)  # type: ignore[arg-type]
        .where(Component.session_id == session_id)
    ).all()
    out: dict[int, dict[int, Decimal]] = {}
    for row in rows:
        out.setdefault(row.interview_id, {})[row.component_id] = Decimal(row.score)
    return out
