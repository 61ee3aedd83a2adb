"""The kiosk's queries, and the few writes that are not a sitting's events (logins, settings).

A sitting's rules live in :mod:`server.domain.sitting`; its commands are decided against its
state in memory and written, events and rows together, by :mod:`server.store.sittings`. What
is here reads the rows those writes keep (tokens, the audit chain, signatures, the list of
sittings) or keeps the secretary's login.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, update
from sqlmodel import Session, select

from server.errors import NotAuthenticated, NotFound
from server.store.audit import GENESIS
from server.store.models import AuditEvent, AuthToken, Interview, Setting, Sitting, Token


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --- the audit chain -------------------------------------------------------------------------


def audit_lines(db: Session, session_id: int) -> list[str]:
    """The sitting's chain as JSON lines, in order (a removed sitting's too: it is the record)."""
    get_sitting(db, session_id, include_removed=True)
    events = db.exec(
        select(AuditEvent).where(AuditEvent.session_id == session_id).order_by(AuditEvent.seq)  # type: ignore[arg-type]
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


def check_login_token(db: Session, token: str | None, max_age: timedelta) -> datetime:
    """The login's start, or ``NotAuthenticated`` for no token, an unknown or an expired one."""
    if not token or len(token) > 200:
        raise NotAuthenticated("请先登录。", "Please log in first.")
    row = db.get(AuthToken, _digest(token))
    if row is None or login_expired(row.created_at, max_age):
        raise NotAuthenticated("登录已失效，请重新登录。", "Your login has expired: log in again.")
    return row.created_at


def login_expired(created_at: datetime, max_age: timedelta) -> bool:
    if created_at.tzinfo is None:  # SQLite hands back naive datetimes, stored as UTC
        created_at = created_at.replace(tzinfo=UTC)
    return created_at < datetime.now(UTC) - max_age


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


def tokens_of(db: Session, session_id: int) -> list[Token]:
    return list(db.exec(select(Token).where(Token.session_id == session_id)).all())


def resolve_token(db: Session, token: str, role: str) -> Token:
    row = db.get(Token, token) if token and len(token) <= 64 else None
    sitting = None if row is None else db.get(Sitting, row.session_id)
    if row is None or row.role != role or sitting is None or sitting.removed_at is not None:
        raise NotFound(
            "链接无效，请向秘书索取正确的链接。",
            "This link is not valid: ask the secretary for yours.",
        )
    return row


def get_interview(db: Session, interview_id: int) -> Interview:
    interview = db.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"面试 {interview_id} 不存在。", f"There is no interview {interview_id}.")
    return interview


def signature_of(db: Session, interview_id: int) -> Any:
    interview = get_interview(db, interview_id)
    return None if interview.signature is None else json.loads(interview.signature)


def signatures(db: Session, session_id: int) -> dict[int, Any]:
    rows = db.exec(
        select(Interview.id, Interview.signature).where(
            Interview.session_id == session_id,
            Interview.signature.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    return {iid: json.loads(sig) for iid, sig in rows if iid is not None and sig is not None}


def store_signature(conn: Connection, interview_id: int, payload: str) -> None:
    """Keep the drawn strokes beside the record (its ``interview.signed`` event holds their hash)."""
    table = Interview.__table__  # type: ignore[attr-defined]
    conn.execute(update(table).where(table.c.id == interview_id).values(signature=payload))
