"""Score sheets by element (评分要素): the ready templates and the judges' calibration.

The criteria themselves travel with the sitting (``POST /api/sessions {"criteria", "trim"}``)
and a judge's parts with their submit; this module only reads. ``GET
/api/sessions/{sid}/judges`` answers, per seat, how often its mark was dropped as the highest and
as the lowest and its mean deviation from the interview score (DESIGN.md section 6), with each
deviation of the day for a chart; for a sitting whose batch has other sittings, each room's mean
against the batch's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request

from server.api.deps import CurrentSecretary, KioskDep, SessionId
from server.domain import sheets
from server.exports import sheet_record
from server.store import repository as repo

router = APIRouter(prefix="/api", dependencies=[CurrentSecretary], tags=["score sheets"])


@router.get("/sheet-templates")
async def sheet_templates(request: Request) -> dict[str, Any]:
    """The ready element sets to start a sitting's sheet from, in the console's language."""
    lang = request.query_params.get("lang")
    if lang not in ("zh", "en"):
        lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"
    return {"templates": sheets.templates(lang)}


@router.get("/sessions/{session_id}/judges")
async def judges(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    """How each seat scores against the panel, over the sitting's scored interviews."""
    view = await kiosk.view(session_id)
    body = sheet_record.calibration(view)
    body["batch"] = None
    if view.batch.strip():
        rows = await kiosk.db.read(repo.list_sittings)
        same = sorted(r.id for r in rows if r.id is not None and r.batch == view.batch)
        if len(same) > 1:
            views = [view if sid == view.id else await kiosk.view(sid) for sid in same]
            body["batch"] = {
                "name": view.batch,
                **sheets.room_means(sheet_record.rooms(views), view.result_decimals),
            }
    return body


def mount(app: FastAPI) -> None:
    app.include_router(router)
