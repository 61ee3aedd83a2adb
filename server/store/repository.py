"""Every query and every write of the kiosk, in one place.

Each write function runs inside one transaction opened by :class:`Database.write` and appends
its audit event in that same transaction, so a change and its record commit together or not at
all. Functions check first (raising a :mod:`server.errors` error, having changed nothing), then
write. Telling the screens is the caller's job, after the commit.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from server.domain import scoring, states
from server.domain.scoring import fmt
from server.domain.states import Action, State
from server.domain.views import InterviewView, PositionView, SessionView
from server.errors import (
    AlreadySubmitted,
    Conflict,
    DuplicateEntry,
    InUse,
    NotAuthenticated,
    NotFound,
    NotOpen,
    SeatConflict,
    SeatExcused,
    StillOnScreen,
    TooLateToCorrect,
    Unprocessable,
)
from server.store.audit import GENESIS, link_hash
from server.store.models import (
    MAX_ID,
    AuditEvent,
    AuthToken,
    Excusal,
    Interview,
    Mark,
    Position,
    Setting,
    Sitting,
    Token,
    utcnow,
)

TOKEN_BYTES = 24  # 192 bits of randomness per link
NOTE_MAX = 500  # a dispute note: why the candidate on screen did not sign


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --- the audit chain -------------------------------------------------------------------------


def append_event(db: Session, session_id: int, actor: str, kind: str, data: dict[str, Any]) -> AuditEvent:
    """Chain one event onto the sitting's log, in the caller's transaction."""
    last = db.exec(
        select(AuditEvent)
        .where(AuditEvent.session_id == session_id)
        .order_by(AuditEvent.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    at = iso_now()
    event = AuditEvent(
        session_id=session_id,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        data=json.dumps(data, ensure_ascii=False, sort_keys=True),
        prev=prev,
        hash=link_hash(prev, seq, at, actor, kind, data),
    )
    db.add(event)
    db.flush()
    return event


def audit_lines(db: Session, session_id: int) -> list[str]:
    """The sitting's chain as JSON lines, in order (a removed sitting's too: it is the record)."""
    get_sitting(db, session_id, include_removed=True)
    events = db.exec(
        select(AuditEvent).where(AuditEvent.session_id == session_id).order_by(AuditEvent.seq)
    ).all()
    return [
        json.dumps(
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "kind": e.kind,
                "data": json.loads(e.data),
                "prev": e.prev,
                "hash": e.hash,
            },
            ensure_ascii=False,
        )
        for e in events
    ]


def audit_head(db: Session, session_id: int) -> tuple[int, str]:
    last = db.exec(
        select(AuditEvent)
        .where(AuditEvent.session_id == session_id)
        .order_by(AuditEvent.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()
    return (0, GENESIS) if last is None else (last.seq, last.hash)


# --- the secretary ---------------------------------------------------------------------------


def get_setting(db: Session, key: str) -> str | None:
    row = db.get(Setting, key)
    return None if row is None else row.value


def put_setting(db: Session, key: str, value: str) -> None:
    row = db.get(Setting, key)
    if row is None:
        db.add(Setting(key=key, value=value))
    else:
        row.value = value
        db.add(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login_token(db: Session) -> str:
    token = secrets.token_urlsafe(32)
    db.add(AuthToken(token_hash=_digest(token)))
    return token


def check_login_token(db: Session, token: str | None, max_age: timedelta) -> None:
    if not token or len(token) > 200:
        raise NotAuthenticated("请先登录。", "Please log in first.")
    row = db.get(AuthToken, _digest(token))
    if row is None or row.created_at < datetime.now(UTC) - max_age:
        raise NotAuthenticated("登录已失效，请重新登录。", "Your login has expired: log in again.")


# --- sittings, posts, candidates -------------------------------------------------------------


def get_sitting(db: Session, session_id: int, include_removed: bool = False) -> Sitting:
    sitting = db.get(Sitting, session_id)
    if sitting is None or (sitting.removed_at is not None and not include_removed):
        raise NotFound(f"场次 {session_id} 不存在。", f"There is no sitting {session_id}.")
    return sitting


def list_sittings(db: Session) -> list[Sitting]:
    return list(
        db.exec(
            select(Sitting)
            .where(Sitting.removed_at.is_(None))  # type: ignore[union-attr]
            .order_by(Sitting.id.desc())  # type: ignore[union-attr]
        ).all()
    )


def _new_token(db: Session) -> str:
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if db.get(Token, token) is None:
            return token


def create_sitting(db: Session, fields: dict[str, Any]) -> Sitting:
    sitting = Sitting(**fields)
    db.add(sitting)
    db.flush()
    assert sitting.id is not None
    for seat in range(1, sitting.judge_count + 1):
        db.add(Token(token=_new_token(db), session_id=sitting.id, role="judge", seat=seat))
    db.add(Token(token=_new_token(db), session_id=sitting.id, role="display"))
    db.flush()
    append_event(db, sitting.id, "secretary", "session.created", {"session_id": sitting.id, **fields})
    return sitting


def tokens_of(db: Session, session_id: int) -> list[Token]:
    return list(db.exec(select(Token).where(Token.session_id == session_id)).all())


def resolve_token(db: Session, token: str, role: str) -> Token:
    row = db.get(Token, token) if token and len(token) <= 64 else None
    sitting = None if row is None else db.get(Sitting, row.session_id)
    if row is None or row.role != role or sitting is None or sitting.removed_at is not None:
        raise NotFound("链接无效，请向秘书索取正确的链接。", "This link is not valid: ask the secretary for yours.")
    return row


def create_position(db: Session, session_id: int, fields: dict[str, Any]) -> Position:
    get_sitting(db, session_id)
    taken = db.exec(
        select(Position).where(Position.session_id == session_id, Position.code == fields["code"])
    ).first()
    if taken is not None:
        raise DuplicateEntry(
            f"岗位代码 {fields['code']} 在本场次中已存在。",
            f"Post code {fields['code']} already exists in this sitting.",
        )
    position = Position(session_id=session_id, **fields)
    db.add(position)
    db.flush()
    append_event(db, session_id, "secretary", "position.created", {"position_id": position.id, **fields})
    return position


def position_by_code(db: Session, session_id: int, code: str) -> Position | None:
    return db.exec(
        select(Position).where(Position.session_id == session_id, Position.code == code)
    ).first()


def create_interview(db: Session, session_id: int, draw_no: int, name: str, code: str) -> Interview:
    get_sitting(db, session_id)
    position = position_by_code(db, session_id, code)
    if position is None:
        raise Unprocessable(
            f"岗位代码 {code} 不存在，请先添加该岗位。",
            f"There is no post {code}: add the post first.",
        )
    taken = db.exec(
        select(Interview).where(
            Interview.session_id == session_id,
            Interview.position_id == position.id,
            Interview.draw_no == draw_no,
        )
    ).first()
    if taken is not None:
        raise DuplicateEntry(
            f"岗位 {code} 已有抽签号 {draw_no}。", f"Post {code} already has draw number {draw_no}."
        )
    assert position.id is not None
    interview = Interview(
        session_id=session_id, position_id=position.id, draw_no=draw_no, candidate_name=name
    )
    db.add(interview)
    db.flush()
    append_event(
        db,
        session_id,
        "secretary",
        "interview.created",
        {"interview_id": interview.id, "draw_no": draw_no, "candidate_name": name, "position_code": code},
    )
    return interview


def get_interview(db: Session, interview_id: int) -> Interview:
    interview = db.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"面试 {interview_id} 不存在。", f"There is no interview {interview_id}.")
    return interview


# --- corrections before the start ------------------------------------------------------------
#
# A roster typed in a hurry has mistakes. Until an interview (or the sitting) starts, the
# secretary may correct or remove it; each change is a link of the sitting's chain carrying the
# old and the new values, so the record still tells what was first entered.


def _started_interviews(db: Session, session_id: int) -> list[Interview]:
    return list(
        db.exec(
            select(Interview).where(
                Interview.session_id == session_id,
                Interview.started_at.is_not(None)  # type: ignore[union-attr]
                | Interview.state.not_in([State.WAITING, State.ABSENT]),  # type: ignore[attr-defined]
            )
        ).all()
    )


def _waiting_only(interview: Interview, doing_zh: str, doing_en: str) -> None:
    if interview.state != State.WAITING:
        raise TooLateToCorrect(
            f"{interview.draw_no} 号考生的面试已不在候考状态，不能{doing_zh}；"
            "成绩和记录以审计日志为准。",
            f"Draw {interview.draw_no} is no longer waiting: it cannot be {doing_en}.",
        )


def _interview_fields(db: Session, interview: Interview) -> dict[str, Any]:
    position = db.get(Position, interview.position_id)
    return {
        "draw_no": interview.draw_no,
        "candidate_name": interview.candidate_name,
        "position_code": position.code if position is not None else None,
    }


def correct_interview(db: Session, interview_id: int, changes: dict[str, Any]) -> Interview:
    """Change a waiting candidate's draw number, name or post (create's rules apply)."""
    interview = get_interview(db, interview_id)
    get_sitting(db, interview.session_id)
    _waiting_only(interview, "更正", "corrected")
    old = _interview_fields(db, interview)
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    position = position_by_code(db, interview.session_id, new["position_code"])
    if position is None:
        raise Unprocessable(
            f"岗位代码 {new['position_code']} 不存在，请先添加该岗位。",
            f"There is no post {new['position_code']}: add the post first.",
        )
    taken = db.exec(
        select(Interview).where(
            Interview.session_id == interview.session_id,
            Interview.position_id == position.id,
            Interview.draw_no == new["draw_no"],
            Interview.id != interview_id,
        )
    ).first()
    if taken is not None:
        raise DuplicateEntry(
            f"岗位 {new['position_code']} 已有抽签号 {new['draw_no']}（{taken.candidate_name}）。",
            f"Post {new['position_code']} already has draw number {new['draw_no']}.",
        )
    changed = [k for k in ("draw_no", "candidate_name", "position_code") if new[k] != old[k]]
    if not changed:
        return interview
    assert position.id is not None
    interview.draw_no = new["draw_no"]
    interview.candidate_name = new["candidate_name"]
    interview.position_id = position.id
    db.add(interview)
    db.flush()
    append_event(
        db,
        interview.session_id,
        "secretary",
        "interview.corrected",
        {
            "interview_id": interview_id,
            "old": {k: old[k] for k in changed},
            "new": {k: new[k] for k in changed},
        },
    )
    return interview


def remove_interview(db: Session, interview_id: int) -> Interview:
    """Delete a waiting candidate's row; the chain keeps what it held."""
    interview = get_interview(db, interview_id)
    get_sitting(db, interview.session_id)
    _waiting_only(interview, "删除", "removed")
    data: dict[str, Any] = {"interview_id": interview_id, **_interview_fields(db, interview)}
    # A waiting interview has no mark; it may have an excused seat or a written-test score.
    excusals = _excused_seats(db, interview_id)
    if excusals:
        data["excused"] = {str(seat): row.reason for seat, row in sorted(excusals.items())}
    for row in excusals.values():
        db.delete(row)
    from server.store.components import ComponentScore  # components import this module

    scores = db.exec(select(ComponentScore).where(ComponentScore.interview_id == interview_id)).all()
    if scores:
        data["component_scores"] = {str(row.component_id): row.score for row in scores}
    for row in scores:
        db.delete(row)
    db.flush()
    db.delete(interview)
    db.flush()
    append_event(db, interview.session_id, "secretary", "interview.removed", data)
    return interview


def _position_in_use(db: Session, position: Position) -> list[Interview]:
    return list(db.exec(select(Interview).where(Interview.position_id == position.id)).all())


def _get_position(db: Session, session_id: int, code: str) -> Position:
    get_sitting(db, session_id)
    position = position_by_code(db, session_id, code)
    if position is None:
        raise NotFound(f"本场次没有岗位 {code}。", f"This sitting has no post {code}.")
    return position


def correct_position(db: Session, session_id: int, code: str, changes: dict[str, Any]) -> Position:
    """Change a post's name, openings or shortlist ratio; its code only while no one applies."""
    position = _get_position(db, session_id, code)
    old = {
        "code": position.code,
        "name": position.name,
        "openings": position.openings,
        "shortlist_ratio": position.shortlist_ratio,
    }
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    if new["code"] != old["code"]:
        users = _position_in_use(db, position)
        if users:
            raise InUse(
                f"岗位 {code} 已有 {len(users)} 名考生，不能更改岗位代码；可以修改岗位名称。",
                f"Post {code} has {len(users)} candidate(s): its code cannot change (its name can).",
            )
        if position_by_code(db, session_id, new["code"]) is not None:
            raise DuplicateEntry(
                f"岗位代码 {new['code']} 在本场次中已存在。",
                f"Post code {new['code']} already exists in this sitting.",
            )
    changed = [k for k in old if new[k] != old[k]]
    if not changed:
        return position
    position.code = new["code"]
    position.name = new["name"]
    position.openings = new["openings"]
    position.shortlist_ratio = new["shortlist_ratio"]
    db.add(position)
    db.flush()
    append_event(
        db,
        session_id,
        "secretary",
        "position.corrected",
        {
            "position_id": position.id,
            "code": code,
            "old": {k: old[k] for k in changed},
            "new": {k: new[k] for k in changed},
        },
    )
    return position


def remove_position(db: Session, session_id: int, code: str) -> Position:
    """Delete a post that no interview names."""
    position = _get_position(db, session_id, code)
    users = _position_in_use(db, position)
    if users:
        raise InUse(
            f"岗位 {code} 还有 {len(users)} 名考生，请先删除或改派这些考生。",
            f"Post {code} still has {len(users)} candidate(s): remove or move them first.",
        )
    data = {
        "position_id": position.id,
        "code": position.code,
        "name": position.name,
        "openings": position.openings,
        "shortlist_ratio": position.shortlist_ratio,
    }
    db.delete(position)
    db.flush()
    append_event(db, session_id, "secretary", "position.removed", data)
    return position


#: Sitting fields that shape the scoring: fixed once the first interview has started.
SCORING_FIELDS = ("judge_count", "min_scores", "score_decimals", "result_decimals")


def _not_started(db: Session, sitting: Sitting, doing_zh: str, doing_en: str) -> None:
    started = _started_interviews(db, sitting.id or 0)
    if started:
        raise TooLateToCorrect(
            f"本场次已有考生开始面试，不能{doing_zh}。",
            f"An interview of this sitting has started: {doing_en} is no longer possible.",
        )


def correct_sitting(db: Session, session_id: int, changes: dict[str, Any]) -> Sitting:
    """Change the title or batch at any time; the panel and decimals only before the start."""
    sitting = get_sitting(db, session_id)
    old = {k: getattr(sitting, k) for k in ("title", "batch", *SCORING_FIELDS)}
    new = {**old, **{k: v for k, v in changes.items() if v is not None and k in old}}
    if new["judge_count"] != old["judge_count"] and changes.get("min_scores") is None:
        # Keep the minimum the secretary chose when it still fits the new panel.
        new["min_scores"] = min(old["min_scores"], new["judge_count"])
    changed = [k for k in old if new[k] != old[k]]
    if any(k in SCORING_FIELDS for k in changed):
        _not_started(
            db, sitting, "更改评委人数、最少有效评分或小数位", "changing the panel or the decimals"
        )
        if not 3 <= new["min_scores"] <= new["judge_count"]:
            raise Unprocessable(
                f"最少有效评分必须在 3 到评委人数（{new['judge_count']}）之间。",
                f"min_scores must be from 3 to judge_count ({new['judge_count']}).",
            )
        # Seats excused in advance must still exist and leave enough marks.
        rows = db.exec(
            select(Excusal).join(Interview).where(Interview.session_id == session_id)
        ).all()
        per_interview: dict[int, int] = {}
        for row in rows:
            if row.seat > new["judge_count"]:
                raise SeatConflict(
                    f"第 {row.seat} 席已在某位考生的面试中回避，不能减少到 {new['judge_count']} 位评委；"
                    "请先撤销该回避。",
                    f"Seat {row.seat} is excused for an interview: undo that before reducing the panel.",
                )
            per_interview[row.interview_id] = per_interview.get(row.interview_id, 0) + 1
        if per_interview and new["judge_count"] - max(per_interview.values()) < new["min_scores"]:
            raise SeatConflict(
                "按新的评委人数，已有回避的考生将凑不够最少有效评分。",
                "With the new panel, an interview with excused seats would have too few marks.",
            )
    if not changed:
        return sitting
    data: dict[str, Any] = {
        "session_id": session_id,
        "old": {k: old[k] for k in changed},
        "new": {k: new[k] for k in changed},
    }
    if new["judge_count"] > old["judge_count"]:
        added = list(range(old["judge_count"] + 1, new["judge_count"] + 1))
        for seat in added:
            db.add(Token(token=_new_token(db), session_id=session_id, role="judge", seat=seat))
        data["seats_added"] = added
    elif new["judge_count"] < old["judge_count"]:
        gone = db.exec(
            select(Token).where(
                Token.session_id == session_id,
                Token.role == "judge",
                Token.seat > new["judge_count"],  # type: ignore[operator]
            )
        ).all()
        for token in gone:
            db.delete(token)
        data["seats_removed"] = sorted(t.seat or 0 for t in gone)
    for key in changed:
        setattr(sitting, key, new[key])
    db.add(sitting)
    db.flush()
    append_event(db, session_id, "secretary", "session.corrected", data)
    return sitting


def remove_sitting(db: Session, session_id: int) -> Sitting:
    """Hide a sitting that never started: its links stop working; its rows and chain stay."""
    sitting = get_sitting(db, session_id)
    _not_started(db, sitting, "删除场次", "removing it")
    sitting.removed_at = utcnow()
    db.add(sitting)
    db.flush()
    append_event(
        db,
        session_id,
        "secretary",
        "session.removed",
        {"session_id": session_id, "title": sitting.title},
    )
    return sitting


# --- snapshots -------------------------------------------------------------------------------


def load_snapshot(db: Session, session_id: int) -> SessionView:
    """Read one sitting whole, as the views in :mod:`server.domain.views` need it."""
    sitting = get_sitting(db, session_id)
    positions = db.exec(
        select(Position).where(Position.session_id == session_id).order_by(Position.id)
    ).all()
    by_id = {p.id: p for p in positions}
    interviews = db.exec(
        select(Interview)
        .where(Interview.session_id == session_id)
        .order_by(Interview.position_id, Interview.draw_no)
    ).all()
    marks = db.exec(
        select(Mark).where(Mark.session_id == session_id, Mark.voided_at.is_(None))  # type: ignore[union-attr]
    ).all()
    excusals = db.exec(
        select(Excusal).join(Interview).where(Interview.session_id == session_id)
    ).all()
    version = db.exec(
        select(func.max(AuditEvent.seq)).where(AuditEvent.session_id == session_id)
    ).one()
    views: dict[int, InterviewView] = {}
    for row in interviews:
        position = by_id[row.position_id]
        assert row.id is not None
        views[row.id] = InterviewView(
            id=row.id,
            draw_no=row.draw_no,
            candidate_name=row.candidate_name,
            position_code=position.code,
            position_name=position.name,
            state=State(row.state),
            result=None if row.result is None else Decimal(row.result),
            dropped_high=row.dropped_high,
            dropped_low=row.dropped_low,
            started_at=row.started_at,
            scored_at=row.scored_at,
            announced_at=row.announced_at,
            signed_at=row.signed_at,
            note=row.note,
            countdown_ends_at=row.countdown_ends_at,
        )
    for mark in marks:
        views[mark.interview_id].marks[mark.seat] = Decimal(mark.score)
    for excusal in excusals:
        views[excusal.interview_id].excused[excusal.seat] = excusal.reason
    return SessionView(
        id=session_id,
        title=sitting.title,
        batch=sitting.batch,
        judge_count=sitting.judge_count,
        score_decimals=sitting.score_decimals,
        result_decimals=sitting.result_decimals,
        min_scores=sitting.min_scores,
        language=sitting.language,
        created_at=sitting.created_at,
        version=version or 0,
        positions=[
            PositionView(
                id=p.id or 0,
                code=p.code,
                name=p.name,
                openings=p.openings,
                shortlist_ratio=Decimal(p.shortlist_ratio),
            )
            for p in positions
        ],
        interviews=list(views.values()),
        announced_id=sitting.announced_id,
    )


def signature_of(db: Session, interview_id: int) -> Any:
    interview = get_interview(db, interview_id)
    return None if interview.signature is None else json.loads(interview.signature)


def signatures(db: Session, session_id: int) -> dict[int, Any]:
    rows = db.exec(
        select(Interview.id, Interview.signature).where(
            Interview.session_id == session_id, Interview.signature.is_not(None)  # type: ignore[union-attr]
        )
    ).all()
    return {iid: json.loads(sig) for iid, sig in rows}


# --- the interview flow ----------------------------------------------------------------------


def _move(interview: Interview, action: Action) -> None:
    interview.state = str(states.transition(interview.state, action))


def _active_marks(db: Session, interview_id: int) -> list[Mark]:
    return list(
        db.exec(
            select(Mark).where(Mark.interview_id == interview_id, Mark.voided_at.is_(None))  # type: ignore[union-attr]
        ).all()
    )


def _excused_seats(db: Session, interview_id: int) -> dict[int, Excusal]:
    rows = db.exec(select(Excusal).where(Excusal.interview_id == interview_id)).all()
    return {row.seat: row for row in rows}


def _check_seat(sitting: Sitting, seat: int) -> None:
    if not 1 <= seat <= sitting.judge_count:
        raise Unprocessable(
            f"评委席位必须在 1 到 {sitting.judge_count} 之间。",
            f"The seat must be between 1 and {sitting.judge_count}.",
        )


def _score_if_complete(db: Session, sitting: Sitting, interview: Interview) -> None:
    """Score the interview once every seat that is not excused has a mark."""
    if interview.state != State.INTERVIEWING:
        return
    marks = _active_marks(db, interview.id or 0)
    owed = sitting.judge_count - len(_excused_seats(db, interview.id or 0))
    if len(marks) < owed:
        return
    outcome = scoring.interview_score(
        {m.seat: Decimal(m.score) for m in marks}, sitting.result_decimals
    )
    _move(interview, Action.COMPLETE)
    interview.result = fmt(outcome.result)
    interview.dropped_high = outcome.dropped_high
    interview.dropped_low = outcome.dropped_low
    interview.scored_at = utcnow()
    db.add(interview)
    append_event(
        db,
        sitting.id or 0,
        "system",
        "interview.scored",
        {
            "interview_id": interview.id,
            "result": fmt(outcome.result),
            "dropped_high": outcome.dropped_high,
            "dropped_low": outcome.dropped_low,
            "marks": {str(m.seat): m.score for m in sorted(marks, key=lambda m: m.seat)},
        },
    )


def start(db: Session, interview_id: int, countdown_minutes: int | None = None) -> Interview:
    interview = get_interview(db, interview_id)
    live = db.exec(
        select(Interview).where(
            Interview.session_id == interview.session_id,
            Interview.state == State.INTERVIEWING,
            Interview.id != interview_id,
        )
    ).first()
    if live is not None and interview.state == State.WAITING:
        raise Conflict(
            f"{live.draw_no} 号的面试尚未结束，请等评分完成后再开始下一位。",
            f"Draw {live.draw_no} is still being interviewed: wait until it is scored.",
        )
    _move(interview, Action.START)
    interview.started_at = utcnow()
    if countdown_minutes:
        interview.countdown_ends_at = interview.started_at + timedelta(minutes=countdown_minutes)
    db.add(interview)
    append_event(
        db,
        interview.session_id,
        "secretary",
        "interview.started",
        {"interview_id": interview.id, "countdown_minutes": countdown_minutes},
    )
    return interview


def excuse(db: Session, interview_id: int, seat: int, reason: str) -> Interview:
    interview = get_interview(db, interview_id)
    sitting = get_sitting(db, interview.session_id)
    _check_seat(sitting, seat)
    states.transition(interview.state, Action.EXCUSE)  # excusing keeps the state; check it
    excused = _excused_seats(db, interview_id)
    if seat in excused:
        raise SeatConflict(f"{seat} 号评委已回避。", f"Seat {seat} is already excused.")
    if any(m.seat == seat for m in _active_marks(db, interview_id)):
        raise SeatConflict(
            f"{seat} 号评委已打分，不能回避；如需更正请使用“重新打分”。",
            f"Seat {seat} has already marked: reopen the seat instead.",
        )
    remaining = sitting.judge_count - len(excused) - 1
    if remaining < sitting.min_scores:
        raise SeatConflict(
            f"回避后只剩 {remaining} 位评委，少于本场要求的 {sitting.min_scores} 个有效分。",
            f"Only {remaining} seats would remain, fewer than the {sitting.min_scores} marks required.",
        )
    db.add(Excusal(interview_id=interview_id, seat=seat, reason=reason))
    db.flush()
    append_event(
        db,
        interview.session_id,
        "secretary",
        "seat.excused",
        {"interview_id": interview_id, "seat": seat, "reason": reason},
    )
    _score_if_complete(db, sitting, interview)
    return interview


def reopen(db: Session, interview_id: int, seat: int, reason: str) -> Interview:
    interview = get_interview(db, interview_id)
    sitting = get_sitting(db, interview.session_id)
    _check_seat(sitting, seat)
    states.transition(interview.state, Action.REOPEN)
    mark = next((m for m in _active_marks(db, interview_id) if m.seat == seat), None)
    excusal = _excused_seats(db, interview_id).get(seat)
    if mark is None and excusal is None:
        raise SeatConflict(
            f"{seat} 号评委尚未打分，无需重新打分。", f"Seat {seat} has no mark to reopen."
        )
    data: dict[str, Any] = {"interview_id": interview_id, "seat": seat, "reason": reason}
    if mark is not None:
        mark.voided_at = utcnow()
        mark.active_key = None
        db.add(mark)
        data["old_score"] = mark.score
        data["old_request_id"] = mark.request_id
    else:
        assert excusal is not None
        db.delete(excusal)
        data["old_score"] = None
        data["was_excused"] = excusal.reason
    _move(interview, Action.REOPEN)
    interview.result = None
    interview.dropped_high = None
    interview.dropped_low = None
    interview.scored_at = None
    db.add(interview)
    db.flush()
    append_event(db, interview.session_id, "secretary", "mark.reopened", data)
    return interview


def announce(db: Session, interview_id: int) -> Interview:
    interview = get_interview(db, interview_id)
    states.transition(interview.state, Action.ANNOUNCE)  # the wrong state says so first
    # One candidate on screen at a time: the one shown signs, or a note says why they did not,
    # before the next result replaces theirs (the plan: each candidate hears and signs their own).
    on_screen = db.exec(
        select(Interview).where(
            Interview.session_id == interview.session_id,
            Interview.state == State.ANNOUNCED,
            Interview.id != interview_id,
        )
    ).first()
    if on_screen is not None:
        position = db.get(Position, on_screen.position_id)
        code = position.code if position is not None else "?"
        raise StillOnScreen(
            f"{code} 岗位 {on_screen.draw_no} 号考生的成绩仍在大屏上，请先让其签字确认，"
            "或记录其拒绝签字/未返回的说明。",
            f"Candidate {on_screen.draw_no} of post {code} is still on the display: have them "
            "sign, or record that they declined to sign or did not come back.",
        )
    _move(interview, Action.ANNOUNCE)
    interview.announced_at = utcnow()
    db.add(interview)
    sitting = get_sitting(db, interview.session_id)
    sitting.announced_id = interview.id
    db.add(sitting)
    append_event(
        db,
        interview.session_id,
        "secretary",
        "interview.announced",
        {"interview_id": interview_id, "result": interview.result},
    )
    return interview


def mark_absent(db: Session, interview_id: int) -> Interview:
    interview = get_interview(db, interview_id)
    _move(interview, Action.ABSENT)
    db.add(interview)
    append_event(db, interview.session_id, "secretary", "interview.absent", {"interview_id": interview_id})
    return interview


def dispute(db: Session, interview_id: int, note: str) -> Interview:
    interview = get_interview(db, interview_id)
    note = note.strip()
    if not 1 <= len(note) <= NOTE_MAX:
        raise Unprocessable(
            f"请写明情况（1 到 {NOTE_MAX} 个字），例如：考生拒绝签字，或考生未返回。",
            f"Say what happened (1 to {NOTE_MAX} characters), e.g. the candidate declined to sign.",
        )
    _move(interview, Action.DISPUTE)
    interview.note = note
    db.add(interview)
    append_event(
        db,
        interview.session_id,
        "secretary",
        "interview.disputed",
        {"interview_id": interview_id, "note": note},
    )
    return interview


def sign(db: Session, session_id: int, interview_id: int, strokes: list[Any]) -> Interview:
    interview = db.get(Interview, interview_id)
    sitting = get_sitting(db, session_id)
    if interview is None or interview.session_id != session_id or sitting.announced_id != interview_id:
        raise Conflict(
            "只能为正在公布成绩的考生签字。", "Only the candidate whose score is shown can sign."
        )
    _move(interview, Action.SIGN)
    interview.signed_at = utcnow()
    payload = json.dumps(strokes, separators=(",", ":"))
    interview.signature = payload
    db.add(interview)
    append_event(
        db,
        session_id,
        "display",
        "interview.signed",
        {
            "interview_id": interview_id,
            "points": sum(len(s) for s in strokes),
            "strokes_sha256": hashlib.sha256(payload.encode()).hexdigest(),
        },
    )
    return interview


@dataclass
class Ack:
    request_id: str
    interview_id: int
    score: str
    replay: bool


def submit_mark(
    db: Session, session_id: int, seat: int, request_id: str, interview_id: Any, raw_score: Any
) -> Ack:
    """Store one judge's mark, or return the original ack for a request id already seen."""
    seen = db.exec(
        select(Mark).where(
            Mark.session_id == session_id, Mark.seat == seat, Mark.request_id == request_id
        )
    ).first()
    if seen is not None:
        return Ack(request_id, seen.interview_id, seen.score, replay=True)
    sitting = get_sitting(db, session_id)
    if not 1 <= seat <= sitting.judge_count:  # a seat removed by a correction, its phone still open
        raise NotOpen(
            "本场次已没有这个评委席位，请向秘书索取新的链接。",
            "This seat no longer exists in the sitting.",
        )
    score = scoring.parse_mark(raw_score, sitting.score_decimals)
    valid_id = type(interview_id) is int and 0 < interview_id <= MAX_ID
    interview = db.get(Interview, interview_id) if valid_id else None
    if interview is None or interview.session_id != session_id:
        raise NotOpen("这场面试不在本场次中，无法打分。", "That interview is not part of this sitting.")
    if seat in _excused_seats(db, interview.id or 0):
        raise SeatExcused("您已回避本场面试，无需打分。", "You are excused from this interview.")
    if any(m.seat == seat for m in _active_marks(db, interview.id or 0)):
        raise AlreadySubmitted("您已为该考生打过分，分数不可更改。", "You have already marked this candidate.")
    if interview.state != State.INTERVIEWING:
        raise NotOpen("该考生尚未开始面试或评分已结束。", "This interview is not open for marking.")
    text = fmt(score)
    assert text is not None
    db.add(
        Mark(
            session_id=session_id,
            interview_id=interview.id or 0,
            seat=seat,
            score=text,
            request_id=request_id,
            active_key=f"{interview.id}:{seat}",
        )
    )
    db.flush()
    append_event(
        db,
        session_id,
        f"judge:{seat}",
        "mark.submitted",
        {"interview_id": interview.id, "seat": seat, "score": text, "request_id": request_id},
    )
    _score_if_complete(db, sitting, interview)
    return Ack(request_id, interview.id or 0, text, replay=False)


def set_countdown(db: Session, interview_id: int, minutes: int | None) -> Interview:
    interview = get_interview(db, interview_id)
    if interview.state != State.INTERVIEWING:
        raise Conflict("只有面试中的考生可以设置倒计时。", "Only a live interview has a countdown.")
    interview.countdown_ends_at = utcnow() + timedelta(minutes=minutes) if minutes else None
    db.add(interview)
    append_event(
        db, interview.session_id, "secretary", "interview.countdown", {"interview_id": interview_id, "minutes": minutes}
    )
    return interview
