"""Weighted components of the total score (a written test, say) and their scores.

A sitting with no component ranks by the interview score alone. Each component carries a weight,
a fraction of the total written as decimal text ("0.4"); the interview keeps ``1 − Σ weights``,
which must stay above zero (:func:`server.domain.ranking.interview_weight`). The secretary enters
each candidate's component score; every write appends its audit event in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from server.domain import ranking, scoring
from server.domain.scoring import fmt
from server.errors import DuplicateEntry, NotFound
from server.store import repository as repo
from server.store.models import utcnow

#: Places a component score may have (a written test is often marked to the half or hundredth).
SCORE_DECIMALS = 2


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
    return list(
        db.exec(select(Component).where(Component.session_id == session_id).order_by(Component.id)).all()  # type: ignore[arg-type]
    )


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


def create_component(db: Session, session_id: int, name: str, weight: Decimal) -> Component:
    """Add a weighted component; the interview must keep a weight above zero."""
    existing = list_components(db, session_id)
    if any(c.name == name for c in existing):
        raise DuplicateEntry(
            f"本场次已有名为“{name}”的成绩组成部分。",
            f"This sitting already has a component named “{name}”.",
        )
    planned = [ranking.ComponentSpec(c.id or 0, c.name, Decimal(c.weight)) for c in existing]
    ranking.interview_weight([*planned, ranking.ComponentSpec(0, name, weight)])
    component = Component(session_id=session_id, name=name, weight=fmt(weight) or "0")
    db.add(component)
    db.flush()
    repo.append_event(
        db,
        session_id,
        "secretary",
        "component.created",
        {"component_id": component.id, "name": name, "weight": component.weight},
    )
    return component


@dataclass(frozen=True)
class ScoreEntry:
    session_id: int
    interview_id: int
    component_id: int
    score: str
    old_score: str | None


def set_score(db: Session, interview_id: int, component_id: int, raw: object) -> ScoreEntry:
    """Enter or correct one candidate's score for a component; a correction keeps the old one in the log."""
    interview = repo.get_interview(db, interview_id)
    component = db.get(Component, component_id)
    if component is None or component.session_id != interview.session_id:
        raise NotFound(
            f"本场次没有编号为 {component_id} 的成绩组成部分。",
            f"This sitting has no component {component_id}.",
        )
    value = scoring.parse_mark(raw, SCORE_DECIMALS)
    text = fmt(value) or "0"
    row = db.exec(
        select(ComponentScore).where(
            ComponentScore.interview_id == interview_id, ComponentScore.component_id == component_id
        )
    ).first()
    old = None if row is None else row.score
    if row is None:
        row = ComponentScore(interview_id=interview_id, component_id=component_id, score=text)
    else:
        row.score = text
        row.at = utcnow()
    db.add(row)
    db.flush()
    repo.append_event(
        db,
        interview.session_id,
        "secretary",
        "component.scored",
        {
            "interview_id": interview_id,
            "component_id": component_id,
            "name": component.name,
            "score": text,
            "old_score": old,
        },
    )
    return ScoreEntry(interview.session_id, interview_id, component_id, text, old)
