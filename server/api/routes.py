"""The secretary's and the display's HTTP routes (contract: DESIGN.md section 4)."""

from __future__ import annotations

import asyncio
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from server.api.deps import (
    COOKIE,
    CurrentSecretary,
    InterviewId,
    KioskDep,
    SessionId,
    SettingsDep,
    bearer_or_cookie,
    end_login,
    served_over_https,
)
from server.api.schemas import (
    CountdownIn,
    DisputeIn,
    InterviewIn,
    InterviewPatch,
    LoginIn,
    PositionIn,
    PositionPatch,
    SeatReasonIn,
    SessionIn,
    SessionPatch,
    SignatureIn,
    StartIn,
)
from server.domain import views
from server.domain.scoring import fmt
from server.domain.signature import check_strokes
from server.errors import NotAuthenticated
from server.exports import csv_export, record
from server.store import repository as repo
from server.store.models import Interview

public = APIRouter(prefix="/api")
secretary = APIRouter(prefix="/api", dependencies=[CurrentSecretary])
_hasher = PasswordHasher()


def base_url(request: Request, settings: Any) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/") + "/"


def links(request: Request, settings: Any, tokens: list[Any]) -> dict[str, Any]:
    base = base_url(request, settings)
    judges = sorted((t for t in tokens if t.role == "judge"), key=lambda t: t.seat)
    display = next(t for t in tokens if t.role == "display")
    return {
        "judges": [{"seat": t.seat, "token": t.token, "url": f"{base}judge/{t.token}"} for t in judges],
        "display": {"token": display.token, "url": f"{base}display/{display.token}"},
    }


# --- login -----------------------------------------------------------------------------------


@public.post("/login")
async def login(
    body: LoginIn, request: Request, response: Response, kiosk: KioskDep, settings: SettingsDep
) -> dict[str, str]:
    stored = await kiosk.db.read(lambda db: repo.get_setting(db, "secretary_password"))

    def matches() -> bool:
        try:
            # The empty password never opens the console, whatever an old release stored.
            return stored is not None and bool(body.password) and _hasher.verify(stored, body.password)
        except (VerificationError, InvalidHashError):
            return False

    if not await asyncio.to_thread(matches):
        await asyncio.sleep(0.3)  # slow down guessing
        raise NotAuthenticated("密码错误。", "Wrong password.")
    token = await kiosk.db.write(repo.issue_login_token)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", max_age=settings.login_hours * 3600,
        secure=served_over_https(request, settings),
    )
    return {"token": token}


@public.post("/logout")
async def logout(request: Request, response: Response, kiosk: KioskDep, settings: SettingsDep) -> dict[str, str]:
    """End the login at once (bearer or cookie) and clear the cookie."""
    token = bearer_or_cookie(request)
    if token and len(token) <= 200:
        await kiosk.db.write(lambda db: end_login(db, token))
    response.delete_cookie(
        COOKIE, httponly=True, samesite="strict", secure=served_over_https(request, settings)
    )
    return {"status": "ok"}


# --- sittings --------------------------------------------------------------------------------


@secretary.post("/sessions", status_code=201)
async def create_session(body: SessionIn, request: Request, kiosk: KioskDep, settings: SettingsDep) -> dict[str, Any]:
    fields = body.model_dump()
    sitting, snapshot = await kiosk.change(lambda s: s.id, lambda db: repo.create_sitting(db, fields))
    tokens = await kiosk.db.read(lambda db: repo.tokens_of(db, sitting.id or 0))
    return {**views.session_for_secretary(snapshot), **links(request, settings, tokens)}


@secretary.get("/sessions")
async def list_sessions(kiosk: KioskDep) -> list[dict[str, Any]]:
    rows = await kiosk.db.read(repo.list_sittings)
    return [
        {"id": s.id, "title": s.title, "batch": s.batch, "judge_count": s.judge_count,
         "created_at": views.iso(s.created_at)}
        for s in rows
    ]


@secretary.get("/sessions/{session_id}")
async def get_session(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    return views.session_for_secretary(await kiosk.snapshot(session_id))


@secretary.get("/sessions/{session_id}/links")
async def session_links(session_id: SessionId, request: Request, kiosk: KioskDep, settings: SettingsDep) -> dict[str, Any]:
    def read(db: Any) -> Any:
        repo.get_sitting(db, session_id)
        return repo.tokens_of(db, session_id)

    return links(request, settings, await kiosk.db.read(read))


@secretary.post("/sessions/{session_id}/positions", status_code=201)
async def create_position(session_id: SessionId, body: PositionIn, kiosk: KioskDep) -> dict[str, Any]:
    fields = body.model_dump()
    fields["shortlist_ratio"] = fmt(fields["shortlist_ratio"])
    position, _ = await kiosk.change(
        lambda p: p.session_id, lambda db: repo.create_position(db, session_id, fields)
    )
    return _position_out(session_id, position)


@secretary.post("/sessions/{session_id}/interviews", status_code=201)
async def create_interview(session_id: SessionId, body: InterviewIn, kiosk: KioskDep) -> dict[str, Any]:
    interview, snapshot = await kiosk.change(
        lambda i: i.session_id,
        lambda db: repo.create_interview(db, session_id, body.draw_no, body.candidate_name, body.position_code),
    )
    return _interview_out(interview, snapshot)


def _interview_out(interview: Interview, snapshot: Any) -> dict[str, Any]:
    view = next(i for i in snapshot.interviews if i.id == interview.id)
    return views.interview_for_secretary(snapshot, view)


@secretary.get("/sessions/{session_id}/audit.jsonl")
async def audit_log(session_id: SessionId, kiosk: KioskDep) -> PlainTextResponse:
    """The audit chain; 409 while an interview is being scored (it holds every mark)."""

    def read(db: Any) -> tuple[Any, list[str]]:
        # One transaction: the check and the lines agree.
        snapshot = repo.load_snapshot(db, session_id)
        record.ensure_not_scoring(snapshot)
        return snapshot, repo.audit_lines(db, session_id)

    snapshot, lines = await kiosk.db.read(read)
    body = "".join(line + "\n" for line in lines)
    disposition = record.content_disposition(
        record.export_filename(snapshot, "jsonl", "审计日志"),
        record.ascii_filename(snapshot, "jsonl", "audit"),
    )
    return PlainTextResponse(
        body,
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@secretary.get("/sessions/{session_id}/export.csv")
async def export_csv(session_id: SessionId, kiosk: KioskDep) -> Response:
    snapshot = await kiosk.snapshot(session_id)
    disposition = record.content_disposition(
        record.export_filename(snapshot, "csv"), record.ascii_filename(snapshot, "csv")
    )
    return Response(
        csv_export.render(snapshot),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


# --- the interview flow ----------------------------------------------------------------------


async def _flow(kiosk: Any, fn: Any) -> dict[str, Any]:
    interview, snapshot = await kiosk.change(lambda i: i.session_id, fn)
    return _interview_out(interview, snapshot)


@secretary.post("/interviews/{interview_id}/start")
async def start(interview_id: InterviewId, kiosk: KioskDep, body: StartIn | None = None) -> dict[str, Any]:
    minutes = body.countdown_minutes if body else None
    return await _flow(kiosk, lambda db: repo.start(db, interview_id, minutes))


@secretary.post("/interviews/{interview_id}/countdown")
async def countdown(interview_id: InterviewId, body: CountdownIn, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, lambda db: repo.set_countdown(db, interview_id, body.minutes))


@secretary.post("/interviews/{interview_id}/excuse")
async def excuse(interview_id: InterviewId, body: SeatReasonIn, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, lambda db: repo.excuse(db, interview_id, body.seat, body.reason))


@secretary.post("/interviews/{interview_id}/reopen")
async def reopen(interview_id: InterviewId, body: SeatReasonIn, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, lambda db: repo.reopen(db, interview_id, body.seat, body.reason))


@secretary.post("/interviews/{interview_id}/announce")
async def announce(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, lambda db: repo.announce(db, interview_id))


@secretary.post("/interviews/{interview_id}/absent")
async def absent(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, lambda db: repo.mark_absent(db, interview_id))


@secretary.post("/interviews/{interview_id}/dispute")
async def dispute(interview_id: InterviewId, body: DisputeIn, kiosk: KioskDep) -> dict[str, Any]:
    """The candidate on screen declined to sign or did not come back: record why (required)."""
    return await _flow(kiosk, lambda db: repo.dispute(db, interview_id, body.note))


# --- corrections before the start --------------------------------------------------------------


@secretary.patch("/interviews/{interview_id}")
async def correct_interview(
    interview_id: InterviewId, body: InterviewPatch, kiosk: KioskDep
) -> dict[str, Any]:
    """Correct a waiting candidate's draw number, name or post."""
    changes = body.model_dump(exclude_none=True)
    return await _flow(kiosk, lambda db: repo.correct_interview(db, interview_id, changes))


@secretary.delete("/interviews/{interview_id}")
async def remove_interview(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a waiting candidate from the sitting."""
    interview, _ = await kiosk.change(
        lambda i: i.session_id, lambda db: repo.remove_interview(db, interview_id)
    )
    return {"id": interview_id, "session_id": interview.session_id, "removed": True}


def _position_out(session_id: int, position: Any) -> dict[str, Any]:
    return {
        "id": position.id,
        "session_id": session_id,
        "code": position.code,
        "name": position.name,
        "openings": position.openings,
        "shortlist_ratio": position.shortlist_ratio,
    }


@secretary.patch("/sessions/{session_id}/positions/{code}")
async def correct_position(
    session_id: SessionId, code: str, body: PositionPatch, kiosk: KioskDep
) -> dict[str, Any]:
    """Correct a post's name, openings or ratio; its code only while no candidate names it."""
    changes = body.model_dump(exclude_none=True)
    if "shortlist_ratio" in changes:
        changes["shortlist_ratio"] = fmt(changes["shortlist_ratio"])
    position, _ = await kiosk.change(
        lambda p: session_id, lambda db: repo.correct_position(db, session_id, code, changes)
    )
    return _position_out(session_id, position)


@secretary.delete("/sessions/{session_id}/positions/{code}")
async def remove_position(session_id: SessionId, code: str, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a post that no candidate names."""
    position, _ = await kiosk.change(
        lambda p: session_id, lambda db: repo.remove_position(db, session_id, code)
    )
    return {**_position_out(session_id, position), "removed": True}


@secretary.patch("/sessions/{session_id}")
async def correct_session(
    session_id: SessionId, body: SessionPatch, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> dict[str, Any]:
    """Correct the title or batch; the panel and the decimals only before the first start."""
    changes = body.model_dump(exclude_none=True)
    _, snapshot = await kiosk.change(
        lambda s: session_id, lambda db: repo.correct_sitting(db, session_id, changes)
    )
    kiosk.close_links(session_id, from_seat=snapshot.judge_count + 1)  # seats removed, if any
    tokens = await kiosk.db.read(lambda db: repo.tokens_of(db, session_id))
    return {**views.session_for_secretary(snapshot), **links(request, settings, tokens)}


@secretary.delete("/sessions/{session_id}")
async def remove_session(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a sitting that never started: hidden from lists, its links refused, its log kept."""
    await kiosk.db.write(lambda db: repo.remove_sitting(db, session_id))
    kiosk.close_links(session_id, from_seat=1, display=True)
    return {"id": session_id, "removed": True}


@secretary.get("/interviews/{interview_id}/signature")
async def signature(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    strokes = await kiosk.db.read(lambda db: repo.signature_of(db, interview_id))
    return {"interview_id": interview_id, "strokes": strokes}


# --- the display -----------------------------------------------------------------------------


@public.get("/display/{token}/state")
async def display_state(token: str, kiosk: KioskDep) -> dict[str, Any]:
    row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "display"))
    return views.display_state(await kiosk.snapshot(row.session_id))


@public.post("/display/{token}/signature", status_code=201)
async def sign(token: str, body: SignatureIn, kiosk: KioskDep) -> dict[str, Any]:
    row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "display"))
    strokes = check_strokes(body.strokes)
    session_id = row.session_id
    interview, snapshot = await kiosk.change(
        lambda i: i.session_id, lambda db: repo.sign(db, session_id, body.interview_id, strokes)
    )
    return {"interview_id": interview.id, "state": interview.state, "signed_at": views.iso(interview.signed_at)}
