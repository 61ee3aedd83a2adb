"""The campaign's HTTP routes (DESIGN section 5), and the notice board's read-only JSON.

Every route here needs the secretary except ``GET /api/board/{token}``, which its unguessable
token authorises. Errors are the kiosk's: 4xx ``{"detail", "code"}``, never a 5xx for a body.
"Today" (for the windows) is the date in Beijing, or ``KIOSK_TODAY`` when set (tests only). A
publicity period's end is counted by :mod:`server.campaign.calendar` (``KIOSK_HOLIDAYS_FILE``).

The sitting-linked routes of section 5 (``POST /api/sessions {"batch_id"}``, interviews by
``application_id``) belong to the sitting's routes and call :mod:`server.campaign.sessions`;
the batch ranking below reads the results of those interviews (:mod:`server.campaign.link`).

**Shapes** (ids are integers, dates ``YYYY-MM-DD``, decimals strings)::

    campaign    {"id", "title", "announced_on", "term_years", "pass_line", "board_token",
                 "board_url", "posts": [post], "batches": [batch]}
    post        {"id", "code", "name", "unit", "level", "openings", "openings_left",
                 "shortlist_ratio"}
    batch       {"id", "campaign_id", "name", "scope", "apply_from", "apply_until",
                 "change_until", "posts": [{"code", "name", "openings"}],
                 "sittings": [session ids], "publicity": null | publicity}
    applicant   {"id", "campaign_id", "name", "id_masked", "sex", "birth_date",
                 "retirement_base", "retirement_date", "education", "employment",
                 "current_level", "appraisal", "under_investigation", "discipline_until",
                 "leadership"}  (+ "id_number" in full: POST's answer and GET /api/applicants/{id})
    application {"id", "campaign_id", "batch_id", "applicant_id", "name", "id_masked",
                 "post_code", "status", "checks": {"education", "retirement", "standing",
                 "scope"}, "eligible", "failed": [check names], "reason", "review_reason",
                 "inspection", "decision", "outcomes": [{"stage", "result", "note"}],
                 "session_id", "interview_id", "draw_no", "total", "interview"}
    publicity   {"batch_id", "published_on", "ends_on", "appointees": [{"application_id",
                 "name", "post_code"}]}

**Routes** (secretary)::

    POST   /api/campaigns                         → 201 campaign
    GET    /api/campaigns                         → {"campaigns": [{"id", "title",
                                                     "announced_on", "term_years", "pass_line",
                                                     "posts", "batches", "applicants"}]} (counts)
    GET    /api/campaigns/{cid}                   → campaign
    GET    /api/campaigns/{cid}/audit.jsonl       → the campaign's chain (kiosk verify)
    POST   /api/campaigns/{cid}/posts             → 201 post
    POST   /api/campaigns/{cid}/batches           → 201 batch
    GET    /api/batches/{bid}                     → batch
    POST   /api/campaigns/{cid}/applicants        → 201 applicant (full)
    GET    /api/campaigns/{cid}/applicants        → {"applicants": [applicant (masked)]}
    GET    /api/applicants/{id}                   → applicant (full) + "applications"
    POST   /api/batches/{bid}/applications        → 201 application
    GET    /api/batches/{bid}/applications        → {"applications": [application]}
    GET    /api/applications/{aid}                → application
    PUT    /api/applications/{aid} {"post_code"}  → 200 application (change of post)
    DELETE /api/applications/{aid}                → 200 application ("withdrawn")
    POST   /api/applications/{aid}/review         → 200 application
    POST   /api/applications/{aid}/outcome        → 200 application
    GET    /api/batches/{bid}/counts              → {"posts": [{"code", "name", "openings",
                                                     "applicants"}]}
    GET    /api/batches/{bid}/ranking             → {"positions": [{"code", "name", "openings",
                                                     "shortlist_size", "ranking": [{"rank",
                                                     "application_id", "session_id",
                                                     "interview_id", "draw_no", "candidate_name",
                                                     "total", "interview", "eligible",
                                                     "shortlisted", "tie_at_cutoff"}]}]}
    POST   /api/sessions/{sid}/draw {"post_codes"?} → 201 {"batch_id", "session_id", "posts":
                                                     [{"code", "draw": [{"draw_no",
                                                     "application_id", "interview_id",
                                                     "name"}]}]}  (a batch's sitting: the
                                                     server's draw of the approved applications
                                                     without an interview; 409 nothing_to_draw)
    POST   /api/batches/{bid}/publicity           → 201 publicity
    GET    /api/batches/{bid}/publicity           → publicity (404 before it is published)

**The notice board** (公告栏), ``GET /api/board/{token}``, public, only what the plan
publishes (no ids but the batch's, no full ID number, no review reason, no inspection result)::

    {"title", "announced_on", "today",
     "posts": [{"code", "name", "unit", "openings"}],
     "batches": [{"id", "name", "scope", "apply_from", "apply_until", "change_until",
                  "window_open",          # today within apply_from–change_until
                  "counts": null | [{"code", "name", "openings", "applicants"}],
                                          # live applications per post, while window_open
                  "qualified": [{"name", "id_masked", "post_code"}],   # approved
                  "scores": [{"code", "name", "ranking": [{"rank", "name", "total",
                              "interview"}]}],                   # posts with a scored interview
                  "inspection": [{"post_code", "name"}],         # the shortlist (考察对象)
                  "publicity": null | {"published_on", "ends_on",
                                       "appointees": [{"name", "post_code", "post_name"}]}}]}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlmodel import Session

from server.api.deps import CurrentSecretary
from server.campaign import calendar, rules, sessions, store
from server.campaign import decider as cd
from server.campaign import models as m
from server.campaign.schemas import (
    ApplicantIn,
    ApplicationIn,
    BatchIn,
    CampaignIn,
    ChangeIn,
    DrawIn,
    OutcomeIn,
    PostIn,
    PublicityIn,
    ReviewIn,
)
from server.errors import NotFound
from server.store.models import MAX_ID

router = APIRouter(prefix="/api", dependencies=[CurrentSecretary], tags=["campaign"])
board = APIRouter(prefix="/api", tags=["notice board"])

CampaignId = Annotated[int, Path(ge=1, le=MAX_ID, description="The campaign's id")]
BatchId = Annotated[int, Path(ge=1, le=MAX_ID, description="The batch's id")]
ApplicationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The application's id")]
ApplicantId = Annotated[int, Path(ge=1, le=MAX_ID, description="The applicant's id")]


def mount(app: FastAPI) -> None:
    """Add the campaign's routes and the notice board's JSON to ``app``."""
    app.include_router(router)
    app.include_router(board)


# --- per-app objects ---------------------------------------------------------------------------


def campaigns(request: Request) -> store.Campaigns:
    state = request.app.state
    held = getattr(state, "campaigns", None)
    if held is None:
        held = state.campaigns = store.Campaigns(state.kiosk.db)
    return held


def today(request: Request) -> date:
    """The Beijing date, or ``KIOSK_TODAY`` (tests)."""
    return getattr(request.app.state.settings, "today", None) or rules.beijing_today()


_calendars: dict[tuple[str, float], calendar.Calendar] = {}


def holiday_calendar(request: Request) -> calendar.Calendar:
    """The holiday calendar, read again whenever the data file changes (no restart needed)."""
    path: FilePath = getattr(request.app.state.settings, "holidays_file", None) or calendar.PACKAGED
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        key = (str(path), -1.0)
    found = _calendars.get(key)
    if found is None:
        try:
            found = calendar.load(path)
        except (OSError, ValueError) as exc:
            # The office's file is broken: say so, and count nothing from a guess.
            from server.errors import ScheduleMissing

            raise ScheduleMissing(
                f"节假日数据文件 {path} 无法读取（{exc}），无法计算工作日；请修正该文件，或直接填写公示截止日期。",
                f"The holidays file {path} cannot be read ({exc}): fix it, or give the end date yourself.",
            ) from None
        _calendars.clear()
        _calendars[key] = found
    return found


def by_campaign(cid: int) -> Callable[[Session], int]:
    return lambda db: store.campaign_row(db, cid).id or cid


def by_batch(bid: int) -> Callable[[Session], int]:
    return lambda db: store.campaign_of_batch(db, bid)


def by_application(aid: int) -> Callable[[Session], int]:
    return lambda db: store.campaign_of_application(db, aid)


# --- shapes ------------------------------------------------------------------------------------


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def post_json(s: cd.CampaignState, p: cd.Post) -> dict[str, Any]:
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "unit": p.unit,
        "level": p.level,
        "openings": p.openings,
        "openings_left": s.openings_left(p),
        "shortlist_ratio": p.shortlist_ratio,
    }


def publicity_json(n: cd.Publicity) -> dict[str, Any]:
    return {
        "batch_id": n.batch_id,
        "published_on": n.published_on.isoformat(),
        "ends_on": n.ends_on.isoformat(),
        "appointees": [dict(a) for a in n.appointees],
    }


def batch_json(s: cd.CampaignState, b: cd.Batch) -> dict[str, Any]:
    notice = s.publicity.get(b.id)
    return {
        "id": b.id,
        "campaign_id": s.id,
        "name": b.name,
        "scope": b.scope,
        "apply_from": b.apply_from.isoformat(),
        "apply_until": b.apply_until.isoformat(),
        "change_until": b.change_until.isoformat(),
        "posts": [
            {"code": code, "name": _post(s, code).name, "openings": openings}
            for code, openings in b.posts.items()
        ],
        "sittings": sorted(b.sittings),
        "publicity": None if notice is None else publicity_json(notice),
    }


def _post(s: cd.CampaignState, code: str) -> cd.Post:
    post = s.post_by_code(code)
    assert post is not None
    return post


def campaign_json(request: Request, row: m.Campaign, s: cd.CampaignState) -> dict[str, Any]:
    settings = request.app.state.settings
    base = (getattr(settings, "public_url", None) or str(request.base_url)).rstrip("/") + "/"
    return {
        "id": s.id,
        "title": s.title,
        "announced_on": s.announced_on.isoformat(),
        "term_years": s.term_years,
        "pass_line": s.pass_line,
        "board_token": row.board_token,
        "board_url": f"{base}board/{row.board_token}",
        "posts": [post_json(s, p) for p in sorted(s.posts.values(), key=lambda p: p.id)],
        "batches": [batch_json(s, b) for b in sorted(s.batches.values(), key=lambda b: b.id)],
    }


def applicant_json(s: cd.CampaignState, a: cd.Applicant, full: bool = False) -> dict[str, Any]:
    out = {
        "id": a.id,
        "campaign_id": s.id,
        "name": a.name,
        "id_masked": rules.mask_id(a.id_number),
        "sex": a.sex,
        "birth_date": a.birth_date.isoformat(),
        "retirement_base": a.retirement_base,
        "retirement_date": a.retirement_date.isoformat(),
        "education": a.education,
        "employment": a.employment,
        "current_level": a.current_level,
        "appraisal": a.appraisal,
        "under_investigation": a.under_investigation,
        "discipline_until": _iso(a.discipline_until),
        "leadership": a.leadership,
    }
    if full:
        out["id_number"] = a.id_number
    return out


def application_json(s: cd.CampaignState, x: cd.Application) -> dict[str, Any]:
    person = s.applicants[x.applicant_id]
    outcomes = [
        {"stage": stage, "result": result, "note": note}
        for stage, result, note in (
            ("inspection", x.inspection, x.inspection_note),
            ("decision", x.decision, x.decision_note),
        )
        if result is not None
    ]
    return {
        "id": x.id,
        "campaign_id": s.id,
        "batch_id": x.batch_id,
        "applicant_id": x.applicant_id,
        "name": person.name,
        "id_masked": rules.mask_id(person.id_number),
        "post_code": x.post_code,
        "status": x.status,
        "checks": dict(x.checks),
        "eligible": x.eligible,
        "failed": [k for k, ok in x.checks.items() if not ok],
        "reason": x.reason,
        "review_reason": x.reason,
        "inspection": x.inspection,
        "decision": x.decision,
        "outcomes": outcomes,
        "session_id": x.session_id,
        "interview_id": x.interview_id,
        "draw_no": x.draw_no,
        "total": x.score.total if x.score else None,
        "interview": x.score.interview if x.score else None,
    }


def counts_json(s: cd.CampaignState, b: cd.Batch) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "name": _post(s, code).name,
            "openings": openings,
            "applicants": sum(
                1
                for a in s.applications.values()
                if a.batch_id == b.id and a.post_code == code and a.live
            ),
        }
        for code, openings in b.posts.items()
    ]


def ranking_json(s: cd.CampaignState, b: cd.Batch) -> dict[str, Any]:
    positions = []
    for code, openings in b.posts.items():
        post = _post(s, code)
        placed = cd.rank_post(s, b, code)
        positions.append(
            {
                "code": code,
                "name": post.name,
                "openings": openings,
                "shortlist_size": cd.shortlist_size(openings, post.shortlist_ratio),
                "ranking": [
                    {
                        "rank": p.rank,
                        "application_id": p.application.id,
                        "session_id": p.application.score.session_id
                        if p.application.score
                        else None,
                        "interview_id": p.application.interview_id,
                        "draw_no": p.application.draw_no,
                        "candidate_name": s.applicants[p.application.applicant_id].name,
                        "total": p.application.score.total if p.application.score else None,
                        "interview": p.application.score.interview if p.application.score else None,
                        "eligible": p.eligible,
                        "shortlisted": p.shortlisted,
                        "tie_at_cutoff": p.tie_at_cutoff,
                    }
                    for p in placed
                ],
            }
        )
    return {"positions": positions}


def _batch_of(s: cd.CampaignState, bid: int) -> cd.Batch:
    batch = s.batches.get(bid)
    if batch is None:
        raise NotFound(f"批次 {bid} 不存在。", f"There is no batch {bid}.")
    return batch


# --- campaign, posts, batches ------------------------------------------------------------------


@router.post("/campaigns", status_code=201)
async def create_campaign(body: CampaignIn, request: Request) -> dict[str, Any]:
    done = await campaigns(request).create(
        lambda cid: cd.CreateCampaign(
            cid, body.title, body.announced_on, body.term_years, body.pass_line
        )
    )
    row, state = await campaigns(request).read(by_campaign(done.state.id))
    return campaign_json(request, row, state)


@router.get("/campaigns")
async def list_campaigns(request: Request) -> dict[str, Any]:
    out = []
    for row in await campaigns(request).list():
        assert row.id is not None
        _, s = await campaigns(request).read(by_campaign(row.id))
        out.append(
            {
                "id": s.id,
                "title": s.title,
                "announced_on": s.announced_on.isoformat(),
                "term_years": s.term_years,
                "pass_line": s.pass_line,
                "posts": len(s.posts),
                "batches": len(s.batches),
                "applicants": len(s.applicants),
            }
        )
    return {"campaigns": out}


@router.get("/campaigns/{cid}")
async def get_campaign(cid: CampaignId, request: Request) -> dict[str, Any]:
    row, state = await campaigns(request).read(by_campaign(cid))
    return campaign_json(request, row, state)


@router.get("/campaigns/{cid}/audit.jsonl", response_class=PlainTextResponse)
async def campaign_audit(cid: CampaignId, request: Request) -> PlainTextResponse:
    lines = await campaigns(request).lines(cid)
    return PlainTextResponse(
        "".join(line + "\n" for line in lines),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="campaign-{cid}-audit.jsonl"'},
    )


@router.post("/campaigns/{cid}/posts", status_code=201)
async def add_post(cid: CampaignId, body: PostIn, request: Request) -> dict[str, Any]:
    def make(db: Session, s: cd.CampaignState) -> cd.Command:
        return cd.AddPost(
            store.next_id(db, m.CampaignPost),
            body.code,
            body.name,
            body.unit.strip(),
            body.level,
            body.openings,
            format(body.shortlist_ratio, "f"),
        )

    done = await campaigns(request).run(by_campaign(cid), make)
    s = done.state
    return post_json(s, s.posts[done.recorded[0].data["post_id"]])


@router.post("/campaigns/{cid}/batches", status_code=201)
async def add_batch(cid: CampaignId, body: BatchIn, request: Request) -> dict[str, Any]:
    def make(db: Session, s: cd.CampaignState) -> cd.Command:
        return cd.AddBatch(
            store.next_id(db, m.CampaignBatch),
            body.name,
            body.scope,
            body.apply_from,
            body.apply_until,
            body.change_until,
            tuple(body.posts),
        )

    done = await campaigns(request).run(by_campaign(cid), make)
    s = done.state
    return batch_json(s, s.batches[done.recorded[0].data["batch_id"]])


@router.get("/batches/{bid}")
async def get_batch(bid: BatchId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_batch(bid))
    return batch_json(s, _batch_of(s, bid))


# --- applicants --------------------------------------------------------------------------------


@router.post("/campaigns/{cid}/applicants", status_code=201)
async def add_applicant(cid: CampaignId, body: ApplicantIn, request: Request) -> dict[str, Any]:
    def make(db: Session, s: cd.CampaignState) -> cd.Command:
        return cd.AddApplicant(
            applicant_id=store.next_id(db, m.Applicant),
            name=body.name,
            id_number=body.id_number,
            sex=body.sex,
            birth_date=body.birth_date,
            education=body.education,
            employment=body.employment,
            current_level=body.current_level,
            retirement_base=body.retirement_base,
            appraisal=body.appraisal,
            under_investigation=body.under_investigation,
            discipline_until=body.discipline_until,
            leadership=body.leadership,
        )

    done = await campaigns(request).run(by_campaign(cid), make)
    s = done.state
    return applicant_json(s, s.applicants[done.recorded[0].data["applicant_id"]], full=True)


@router.get("/campaigns/{cid}/applicants")
async def list_applicants(cid: CampaignId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_campaign(cid))
    return {
        "applicants": [
            applicant_json(s, a) for a in sorted(s.applicants.values(), key=lambda a: a.id)
        ]
    }


@router.get("/applicants/{pid}")
async def get_applicant(pid: ApplicantId, request: Request) -> dict[str, Any]:
    def locate(db: Session) -> int:
        row = db.get(m.Applicant, pid)
        if row is None:
            raise NotFound(f"竞聘者 {pid} 不存在。", f"There is no applicant {pid}.")
        return row.campaign_id

    _, s = await campaigns(request).read(locate)
    out = applicant_json(s, s.applicants[pid], full=True)
    out["applications"] = [
        application_json(s, x)
        for x in sorted(s.applications.values(), key=lambda x: x.id)
        if x.applicant_id == pid
    ]
    return out


# --- applications ------------------------------------------------------------------------------


@router.post("/batches/{bid}/applications", status_code=201)
async def apply(bid: BatchId, body: ApplicationIn, request: Request) -> dict[str, Any]:
    day = today(request)

    def make(db: Session, s: cd.CampaignState) -> cd.Command:
        return cd.Apply(
            store.next_id(db, m.Application), bid, body.applicant_id, body.post_code, day
        )

    done = await campaigns(request).run(by_batch(bid), make)
    s = done.state
    return application_json(s, s.applications[done.recorded[0].data["application_id"]])


@router.get("/batches/{bid}/applications")
async def list_applications(bid: BatchId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_batch(bid))
    _batch_of(s, bid)
    return {
        "applications": [
            application_json(s, x)
            for x in sorted(s.applications.values(), key=lambda x: x.id)
            if x.batch_id == bid
        ]
    }


@router.get("/applications/{aid}")
async def get_application(aid: ApplicationId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_application(aid))
    return application_json(s, s.applications[aid])


async def _on_application(
    request: Request, aid: int, make: Callable[[cd.CampaignState], cd.Command]
) -> dict[str, Any]:
    done = await campaigns(request).run(by_application(aid), lambda db, s: make(s))
    return application_json(done.state, done.state.applications[aid])


@router.put("/applications/{aid}")
async def change_post(aid: ApplicationId, body: ChangeIn, request: Request) -> dict[str, Any]:
    day = today(request)
    return await _on_application(request, aid, lambda s: cd.ChangePost(aid, body.post_code, day))


@router.delete("/applications/{aid}")
async def withdraw(aid: ApplicationId, request: Request) -> dict[str, Any]:
    day = today(request)
    return await _on_application(request, aid, lambda s: cd.Withdraw(aid, day))


@router.post("/applications/{aid}/review")
async def review(aid: ApplicationId, body: ReviewIn, request: Request) -> dict[str, Any]:
    return await _on_application(request, aid, lambda s: cd.Review(aid, body.decision, body.reason))


@router.post("/applications/{aid}/outcome")
async def outcome(aid: ApplicationId, body: OutcomeIn, request: Request) -> dict[str, Any]:
    done = await campaigns(request).run(
        by_application(aid),
        lambda db, s: cd.RecordOutcome(aid, body.stage, body.result, body.note),
        scores=True,  # the shortlist as the sittings' record says now
    )
    return application_json(done.state, done.state.applications[aid])


# --- counts, ranking, publicity ----------------------------------------------------------------


@router.get("/batches/{bid}/counts")
async def counts(bid: BatchId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_batch(bid))
    return {"posts": counts_json(s, _batch_of(s, bid))}


@router.get("/batches/{bid}/ranking")
async def ranking(bid: BatchId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_batch(bid))
    return ranking_json(s, _batch_of(s, bid))


SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The sitting's id")]


@router.post("/sessions/{sid}/draw", status_code=201)
async def draw(sid: SessionId, request: Request, body: DrawIn | None = None) -> dict[str, Any]:
    """The draw of a batch's sitting: the approved applications of the batch that have no
    interview yet, per post, in an order drawn by the server, become the sitting's interviews;
    the campaign's chain records the draw (``batch.drawn``). All or nothing."""
    codes = body.post_codes if body is not None else None
    return await sessions.draw(campaigns(request), request.app.state.kiosk, sid, codes)


@router.post("/batches/{bid}/publicity", status_code=201)
async def publicize(bid: BatchId, body: PublicityIn, request: Request) -> dict[str, Any]:
    ends_on = body.ends_on
    if ends_on is None:
        # Computed before the write (the calendar reads a file): 422 for an unpublished year.
        ends_on = holiday_calendar(request).publicity_end(body.published_on)
    fixed = ends_on
    done = await campaigns(request).run(
        by_batch(bid), lambda db, s: cd.Publicize(bid, body.published_on, fixed)
    )
    return publicity_json(done.state.publicity[bid])


@router.get("/batches/{bid}/publicity")
async def get_publicity(bid: BatchId, request: Request) -> dict[str, Any]:
    _, s = await campaigns(request).read(by_batch(bid))
    _batch_of(s, bid)
    notice = s.publicity.get(bid)
    if notice is None:
        raise NotFound("本批次尚未发布公示。", "This batch has not been published yet.")
    return publicity_json(notice)


# --- the notice board --------------------------------------------------------------------------


def board_json(s: cd.CampaignState, day: date) -> dict[str, Any]:
    """What the plan publishes, and nothing else (see the module's docstring)."""
    batches = []
    for b in sorted(s.batches.values(), key=lambda b: b.id):
        open_ = rules.within(day, b.apply_from, b.change_until)
        mine = sorted(
            (a for a in s.applications.values() if a.batch_id == b.id), key=lambda a: a.id
        )
        scores = []
        inspection = []
        for code in b.posts:
            placed = cd.rank_post(s, b, code)
            if placed:
                scores.append(
                    {
                        "code": code,
                        "name": _post(s, code).name,
                        "ranking": [
                            {
                                "rank": p.rank,
                                "name": s.applicants[p.application.applicant_id].name,
                                "total": format(p.total, "f"),
                                "interview": format(p.interview, "f"),
                            }
                            for p in placed
                        ],
                    }
                )
            inspection += [
                {"post_code": code, "name": s.applicants[p.application.applicant_id].name}
                for p in placed
                if p.shortlisted
            ]
        notice = s.publicity.get(b.id)
        batches.append(
            {
                "id": b.id,
                "name": b.name,
                "scope": b.scope,
                "apply_from": b.apply_from.isoformat(),
                "apply_until": b.apply_until.isoformat(),
                "change_until": b.change_until.isoformat(),
                "window_open": open_,
                "counts": counts_json(s, b) if open_ else None,
                "qualified": [
                    {
                        "name": s.applicants[a.applicant_id].name,
                        "id_masked": rules.mask_id(s.applicants[a.applicant_id].id_number),
                        "post_code": a.post_code,
                    }
                    for a in mine
                    if a.status == "approved"
                ],
                "scores": scores,
                "inspection": inspection,
                "publicity": None
                if notice is None
                else {
                    "published_on": notice.published_on.isoformat(),
                    "ends_on": notice.ends_on.isoformat(),
                    "appointees": [
                        {
                            "name": a["name"],
                            "post_code": a["post_code"],
                            "post_name": _post(s, a["post_code"]).name,
                        }
                        for a in notice.appointees
                    ],
                },
            }
        )
    return {
        "title": s.title,
        "announced_on": s.announced_on.isoformat(),
        "today": day.isoformat(),
        "posts": [
            {"code": p.code, "name": p.name, "unit": p.unit, "openings": p.openings}
            for p in sorted(s.posts.values(), key=lambda p: p.id)
        ],
        "batches": batches,
    }


@board.get("/board/{token}")
async def notice_board(token: str, request: Request) -> JSONResponse:
    _, s = await campaigns(request).read(lambda db: store.campaign_by_token(db, token).id or 0)
    # A screen polls this: no cache between it and the office's latest counts.
    return JSONResponse(board_json(s, today(request)), headers={"cache-control": "no-store"})
