"""The secretary's and the display's HTTP routes (contract: DESIGN.md section 4)."""

from __future__ import annotations

import asyncio
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
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
from server.campaign import sessions
from server.campaign.routes import campaigns
from server.domain import sitting as sd
from server.domain import views
from server.domain.scoring import fmt
from server.domain.sheets import sheet_fields
from server.domain.signature import check_strokes
from server.errors import NotAuthenticated
from server.exports import csv_export, record
from server.service import ByInterview
from server.store import repository as repo
from server.store import sittings as store
from server.store.sittings import Outcome

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
        "judges": [
            {"seat": t.seat, "token": t.token, "url": f"{base}judge/{t.token}"} for t in judges
        ],
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
            return (
                stored is not None and bool(body.password) and _hasher.verify(stored, body.password)
            )
        except (VerificationError, InvalidHashError):
            return False

    if not await asyncio.to_thread(matches):
        await asyncio.sleep(0.3)  # slow down guessing
        raise NotAuthenticated("密码错误。", "Wrong password.")
    token = await kiosk.db.write(repo.issue_login_token)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        max_age=settings.login_hours * 3600,
        secure=served_over_https(request, settings),
    )
    return {"token": token}


@public.post("/logout")
async def logout(
    request: Request, response: Response, kiosk: KioskDep, settings: SettingsDep
) -> dict[str, str]:
    """End the login at once (bearer or cookie) and clear the cookie."""
    token = bearer_or_cookie(request)
    if token and len(token) <= 200:
        await kiosk.db.write(lambda db: end_login(db, token))
        request.app.state.logins.forget(token)
    response.delete_cookie(
        COOKIE, httponly=True, samesite="strict", secure=served_over_https(request, settings)
    )
    return {"status": "ok"}


# --- sittings --------------------------------------------------------------------------------


def _interview_out(outcome: Outcome, interview_id: int) -> dict[str, Any]:
    view = sd.sitting_view(outcome.state)
    interview = next(i for i in view.interviews if i.id == interview_id)
    return views.interview_for_secretary(view, interview)


@secretary.post("/sessions", status_code=201)
async def create_session(
    body: SessionIn, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> dict[str, Any]:
    fields = body.model_dump()
    fields.update(sheet_fields(fields.pop("criteria"), fields.pop("trim"), body.score_decimals))

    batch_id = fields.pop("batch_id")

    def command(conn: Any) -> sd.CreateSitting:
        return sd.CreateSitting(store.reserve_id(conn, "sitting"), **fields)

    if batch_id is not None:
        outcome = await sessions.create_for_batch(campaigns(request), kiosk, batch_id, command)
    else:
        outcome = await kiosk.run(None, command)
    sitting_id = outcome.sitting_id
    tokens = await kiosk.db.read(lambda db: repo.tokens_of(db, sitting_id))
    return {
        **views.session_for_secretary(sd.sitting_view(outcome.state)),
        **links(request, settings, tokens),
    }


@secretary.get("/sessions")
async def list_sessions(kiosk: KioskDep) -> list[dict[str, Any]]:
    rows = await kiosk.db.read(repo.list_sittings)
    return [
        {
            "id": s.id,
            "title": s.title,
            "batch": s.batch,
            "judge_count": s.judge_count,
            "created_at": views.iso(s.created_at),
        }
        for s in rows
    ]


@secretary.get("/sessions/{session_id}")
async def get_session(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    return views.session_for_secretary(await kiosk.view(session_id))


@secretary.get("/sessions/{session_id}/links")
async def session_links(
    session_id: SessionId, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> dict[str, Any]:
    def read(db: Any) -> Any:
        repo.get_sitting(db, session_id)
        return repo.tokens_of(db, session_id)

    return links(request, settings, await kiosk.db.read(read))


@secretary.post("/sessions/{session_id}/positions", status_code=201)
async def create_position(
    session_id: SessionId, body: PositionIn, kiosk: KioskDep, request: Request
) -> dict[str, Any]:
    batch_id = await sessions.batch_of(campaigns(request), session_id)
    sessions.refuse_free_entry(batch_id, "岗位", "posts")
    fields = body.model_dump()
    fields["shortlist_ratio"] = fmt(fields["shortlist_ratio"])

    def command(conn: Any) -> sd.AddPosition:
        return sd.AddPosition(store.reserve_id(conn, "position"), **fields)

    outcome = await kiosk.run(await _existing(kiosk, session_id), command)
    position = outcome.state.position_by_code(fields["code"])
    return _position_out(session_id, position)


async def _existing(kiosk: Any, session_id: int) -> int:
    """``session_id`` if there is such a sitting (removed or not): the decider says the rest."""
    await kiosk.state(session_id, include_removed=True)
    return session_id


@secretary.post("/sessions/{session_id}/interviews", status_code=201)
async def create_interview(
    session_id: SessionId, body: InterviewIn, kiosk: KioskDep, request: Request
) -> dict[str, Any]:
    batch_id = await sessions.batch_of(campaigns(request), session_id)
    if batch_id is None and body.missing():
        # Said per field, as Pydantic would, so the 422 names what to fill in.
        raise RequestValidationError(
            [
                {"loc": ("body", k), "type": "missing", "msg": "Field required"}
                for k in body.missing()
            ]
        )
    if batch_id is not None and (
        body.candidate_name or body.position_code or body.application_id is None
    ):
        sessions.refuse_free_entry(batch_id, "考生", "candidates")  # 409: from applications only
    if body.application_id is not None:
        made, iid = await sessions.interview_for(
            campaigns(request), kiosk, session_id, body.draw_no, body.application_id
        )
        return _interview_out(made, iid)
    # Checked above: without an application, a name and a post were given.
    name, code = body.candidate_name, body.position_code
    assert name is not None and code is not None

    def command(conn: Any) -> sd.AddInterview:
        return sd.AddInterview(store.reserve_id(conn, "interview"), body.draw_no, name, code)

    outcome = await kiosk.run(await _existing(kiosk, session_id), command)
    return _interview_out(outcome, outcome.events[0].data["interview_id"])


@secretary.get("/sessions/{session_id}/audit.jsonl")
async def audit_log(session_id: SessionId, kiosk: KioskDep) -> PlainTextResponse:
    """The audit chain; 409 while an interview is being scored (it holds every mark)."""

    def read(db: Any) -> tuple[Any, list[str]]:
        # One transaction: the check and the lines agree.
        view = record.read_view(db, session_id)
        record.ensure_not_scoring(view)
        return view, repo.audit_lines(db, session_id)

    view, lines = await kiosk.db.read(read)
    body = "".join(line + "\n" for line in lines)
    disposition = record.content_disposition(
        record.export_filename(view, "jsonl", "审计日志"),
        record.ascii_filename(view, "jsonl", "audit"),
    )
    return PlainTextResponse(
        body,
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@secretary.get("/sessions/{session_id}/export.csv")
async def export_csv(session_id: SessionId, kiosk: KioskDep) -> Response:
    view = await kiosk.view(session_id)
    disposition = record.content_disposition(
        record.export_filename(view, "csv"), record.ascii_filename(view, "csv")
    )
    return Response(
        csv_export.render(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


# --- the interview flow ----------------------------------------------------------------------


async def _flow(kiosk: Any, command: Any) -> dict[str, Any]:
    outcome = await kiosk.run(ByInterview(command.interview_id), command)
    return _interview_out(outcome, command.interview_id)


@secretary.post("/interviews/{interview_id}/start")
async def start(
    interview_id: InterviewId, kiosk: KioskDep, body: StartIn | None = None
) -> dict[str, Any]:
    minutes = body.countdown_minutes if body else None
    return await _flow(kiosk, sd.Start(interview_id, minutes))


@secretary.post("/interviews/{interview_id}/countdown")
async def countdown(
    interview_id: InterviewId, body: CountdownIn, kiosk: KioskDep
) -> dict[str, Any]:
    return await _flow(kiosk, sd.SetCountdown(interview_id, body.minutes))


@secretary.post("/interviews/{interview_id}/excuse")
async def excuse(interview_id: InterviewId, body: SeatReasonIn, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, sd.Excuse(interview_id, body.seat, body.reason))


@secretary.post("/interviews/{interview_id}/reopen")
async def reopen(interview_id: InterviewId, body: SeatReasonIn, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, sd.Reopen(interview_id, body.seat, body.reason))


@secretary.post("/interviews/{interview_id}/announce")
async def announce(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, sd.Announce(interview_id))


@secretary.post("/interviews/{interview_id}/absent")
async def absent(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    return await _flow(kiosk, sd.Absent(interview_id))


@secretary.post("/interviews/{interview_id}/dispute")
async def dispute(interview_id: InterviewId, body: DisputeIn, kiosk: KioskDep) -> dict[str, Any]:
    """The candidate on screen declined to sign or did not come back: record why (required)."""
    return await _flow(kiosk, sd.Dispute(interview_id, body.note))


# --- corrections before the start --------------------------------------------------------------


@secretary.patch("/interviews/{interview_id}")
async def correct_interview(
    interview_id: InterviewId, body: InterviewPatch, kiosk: KioskDep
) -> dict[str, Any]:
    """Correct a waiting candidate's draw number, name or post."""
    changes = body.model_dump(exclude_none=True)
    return await _flow(kiosk, sd.CorrectInterview(interview_id, **changes))


@secretary.delete("/interviews/{interview_id}")
async def remove_interview(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a waiting candidate from the sitting."""
    outcome = await kiosk.run(ByInterview(interview_id), sd.RemoveInterview(interview_id))
    return {"id": interview_id, "session_id": outcome.sitting_id, "removed": True}


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
    if "code" in changes:
        changes["new_code"] = changes.pop("code")
    outcome = await kiosk.run(
        await _existing(kiosk, session_id), sd.CorrectPosition(code, **changes)
    )
    position = outcome.state.position_by_code(changes.get("new_code", code))
    return _position_out(session_id, position)


@secretary.delete("/sessions/{session_id}/positions/{code}")
async def remove_position(session_id: SessionId, code: str, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a post that no candidate names."""
    position = (await kiosk.state(session_id, include_removed=True)).position_by_code(code)
    await kiosk.run(session_id, sd.RemovePosition(code))
    return {**_position_out(session_id, position), "removed": True}


@secretary.patch("/sessions/{session_id}")
async def correct_session(
    session_id: SessionId,
    body: SessionPatch,
    request: Request,
    kiosk: KioskDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Correct the title or batch; the panel and the decimals only before the first start."""
    changes = body.model_dump(exclude_none=True)
    outcome = await kiosk.run(await _existing(kiosk, session_id), sd.CorrectSitting(**changes))
    tokens = await kiosk.db.read(lambda db: repo.tokens_of(db, session_id))
    return {
        **views.session_for_secretary(sd.sitting_view(outcome.state)),
        **links(request, settings, tokens),
    }


@secretary.delete("/sessions/{session_id}")
async def remove_session(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    """Remove a sitting that never started: hidden from lists, its links refused, its log kept."""
    await kiosk.run(await _existing(kiosk, session_id), sd.RemoveSitting())
    return {"id": session_id, "removed": True}


@secretary.get("/interviews/{interview_id}/signature")
async def signature(interview_id: InterviewId, kiosk: KioskDep) -> dict[str, Any]:
    strokes = await kiosk.db.read(lambda db: repo.signature_of(db, interview_id))
    return {"interview_id": interview_id, "strokes": strokes}


# --- the display -----------------------------------------------------------------------------


@public.get("/display/{token}/state")
async def display_state(token: str, kiosk: KioskDep) -> dict[str, Any]:
    row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "display"))
    return views.display_state(await kiosk.view(row.session_id))


@public.post("/display/{token}/signature", status_code=201)
async def sign(token: str, body: SignatureIn, kiosk: KioskDep) -> dict[str, Any]:
    row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "display"))
    strokes = check_strokes(body.strokes)
    session_id = row.session_id
    interview_id = body.interview_id

    def keep_drawing(conn: Any, state: Any) -> None:
        # The drawn strokes sit beside the record (the event holds their hash).
        repo.store_signature(conn, interview_id, sd.signature_payload(strokes))

    outcome = await kiosk.run(session_id, sd.Sign(interview_id, strokes), extra=keep_drawing)
    interview = outcome.state.interviews[interview_id]
    return {
        "interview_id": interview.id,
        "state": str(interview.state),
        "signed_at": views.iso(interview.signed_at),
    }
