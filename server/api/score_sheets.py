"""Score sheets by element (评分要素): the ready templates and the judges' calibration.

The criteria themselves travel with the sitting (``POST /api/sessions {"criteria", "trim"}``)
and a judge's parts with their submit; this module only reads. ``GET
/api/sessions/{sid}/judges`` answers, per seat, how often its mark was dropped as the highest and
as the lowest and its mean deviation from the interview score (DESIGN.md section 6), with each
deviation of the day for a chart; for a sitting whose batch has other sittings, each room's mean
against the batch's (the campaign batch it was made for, else the sittings sharing its label).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request

from server.api.deps import CurrentSecretary, KioskDep, SessionId
from server.domain import sheets
from server.errors import NotFound
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
async def judges(session_id: SessionId, request: Request, kiosk: KioskDep) -> dict[str, Any]:
    """How each seat scores against the panel, over the sitting's scored interviews."""
    view = await kiosk.view(session_id)
    body = sheet_record.calibration(view)
    body["batch"] = None
    name, same = await _batch_of(request, kiosk, view)
    if len(same) > 1:
        views = []
        for sid in same:
            try:
                views.append(view if sid == view.id else await kiosk.view(sid))
            except NotFound:  # removed since
                continue
        if len(views) > 1:
            body["batch"] = {
                "name": name,
                **sheets.room_means(sheet_record.rooms(views), view.result_decimals),
            }
    return body


async def _batch_of(request: Request, kiosk: Any, view: Any) -> tuple[str, list[int]]:
    """The sitting's batch and its sittings: the campaign's batch if it was made for one (its
    sittings may carry any label), else the sittings sharing its batch label."""
    from server.campaign import store as campaign_store
    from server.campaign.routes import campaigns

    held = campaigns(request)
    batch_id = await held.sitting_batch(view.id)
    if batch_id is not None:
        _, state = await held.read(lambda db: campaign_store.campaign_of_batch(db, batch_id))
        batch = state.batches[batch_id]
        return batch.name, sorted(batch.sittings)
    if not view.batch.strip():
        return "", []
    rows = await kiosk.db.read(repo.list_sittings)
    return view.batch, sorted(r.id for r in rows if r.id is not None and r.batch == view.batch)


def mount(app: FastAPI) -> None:
    app.include_router(router)
