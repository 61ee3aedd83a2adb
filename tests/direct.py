"""A sitting written straight through the service (no HTTP): the store's tests and fixtures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from server.domain import sitting as sd
from server.domain.states import State
from server.domain.views import InterviewView, PositionView, SittingView
from server.service import ByInterview, Kiosk
from server.store import sittings as store
from server.store.engine import Database
from server.store.models import AuditEvent, Excusal, Interview, Mark, Position, Sitting


class Direct:
    """Commands through :class:`Kiosk` on the writer, as the routes send them."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.kiosk = Kiosk(db)

    def run(self, target: Any, command: Any, extra: Any = None) -> store.Outcome:
        return self.kiosk.run_sync(target, command, extra)

    def sitting(self, title: str = "测试", judge_count: int = 5, min_scores: int = 5, **more: Any) -> int:
        fields = {"score_decimals": 1, "result_decimals": 2, **more}
        return self.run(
            None,
            lambda conn: sd.CreateSitting(
                store.reserve_id(conn, "sitting"), title, judge_count, fields.pop("score_decimals"),
                fields.pop("result_decimals"), min_scores, **fields,
            ),
        ).sitting_id

    def position(self, sid: int, code: str = "A1", name: str = "办公室", openings: int = 1,
                 ratio: str = "1") -> int:
        outcome = self.run(
            sid, lambda conn: sd.AddPosition(store.reserve_id(conn, "position"), code, name, openings, ratio)
        )
        return int(outcome.events[0].data["position_id"])

    def interview(self, sid: int, draw_no: int, name: str, code: str = "A1") -> int:
        outcome = self.run(
            sid,
            lambda conn: sd.AddInterview(store.reserve_id(conn, "interview"), draw_no, name, code),
        )
        return int(outcome.events[0].data["interview_id"])

    def flow(self, command: Any) -> store.Outcome:
        """A command addressed by its interview (start, excuse, announce...)."""
        return self.run(ByInterview(command.interview_id), command)

    def submit(self, sid: int, seat: int, request_id: str, interview_id: Any, score: Any) -> sd.Ack:
        outcome = self.run(sid, sd.Submit(seat, request_id, interview_id, score))
        assert outcome.ack is not None
        return outcome.ack


def rows_view(db: Database, sitting_id: int) -> SittingView:
    """Read a sitting from its rows alone (not its chain): what the queries and exports see.

    The landed release's ``load_snapshot``, kept here to check that the rows the writer keeps
    beside the events say what the fold of the events says.
    """

    def read(s: Session) -> SittingView:
        sitting = s.get(Sitting, sitting_id)
        assert sitting is not None
        positions = s.exec(
            select(Position).where(Position.session_id == sitting_id).order_by(Position.id)  # type: ignore[arg-type]
        ).all()
        by_id = {p.id: p for p in positions}
        interviews = s.exec(
            select(Interview)
            .where(Interview.session_id == sitting_id)
            .order_by(Interview.position_id, Interview.draw_no)  # type: ignore[arg-type]
        ).all()
        marks = s.exec(
            select(Mark).where(Mark.session_id == sitting_id, Mark.voided_at.is_(None))  # type: ignore[union-attr]
        ).all()
        excusals = s.exec(select(Excusal).join(Interview).where(Interview.session_id == sitting_id)).all()
        version = s.exec(select(func.max(AuditEvent.seq)).where(AuditEvent.session_id == sitting_id)).one()
        out: dict[int, InterviewView] = {}
        for row in interviews:
            position = by_id[row.position_id]
            assert row.id is not None
            out[row.id] = InterviewView(
                id=row.id, draw_no=row.draw_no, candidate_name=row.candidate_name,
                position_code=position.code, position_name=position.name, state=State(row.state),
                result=None if row.result is None else Decimal(row.result),
                dropped_high=row.dropped_high, dropped_low=row.dropped_low,
                started_at=row.started_at, scored_at=row.scored_at, announced_at=row.announced_at,
                signed_at=row.signed_at, note=row.note, countdown_ends_at=row.countdown_ends_at,
            )
        for mark in marks:
            out[mark.interview_id].marks[mark.seat] = Decimal(mark.score)
        for excusal in excusals:
            out[excusal.interview_id].excused[excusal.seat] = excusal.reason
        return SittingView(
            id=sitting_id, title=sitting.title, batch=sitting.batch, judge_count=sitting.judge_count,
            score_decimals=sitting.score_decimals, result_decimals=sitting.result_decimals,
            min_scores=sitting.min_scores, language=sitting.language, created_at=sitting.created_at,
            version=version or 0,
            positions=[
                PositionView(p.id or 0, p.code, p.name, p.openings, Decimal(p.shortlist_ratio))
                for p in positions
            ],
            interviews=list(out.values()),
            announced_id=sitting.announced_id,
        )

    return db.read_sync(read)
