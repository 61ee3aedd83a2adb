"""Results and the official record: the ranking, weighted components, XLSX and PDF exports.

Reads never change the record. Component writes are the sitting's commands (:meth:`Kiosk.run`), each with
its audit event, so the console learns of them after the commit. The XLSX and PDF are rendered on a
worker thread: a long export never holds up a judge's acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, FastAPI, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from server.api.deps import CurrentSecretary, InterviewId, KioskDep, SessionId
from server.api.schemas import Body, Text, bounded_decimal
from server.domain import ranking
from server.domain import sitting as sd
from server.domain.scoring import JsonNumberText, NonFinite, fmt
from server.exports.record import (
    Record,
    ascii_filename,
    content_disposition,
    ensure_not_scoring,
    export_filename,
    read_ranking,
    read_record,
)
from server.service import ByInterview
from server.store import components
from server.store import sittings as store
from server.store.models import MAX_ID

router = APIRouter(prefix="/api", dependencies=[CurrentSecretary], tags=["results"])

M = TypeVar("M", bound=BaseModel)
ComponentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The component's id")]


_weight = bounded_decimal("weight", '"0.4"', Decimal(1), upper_inclusive=False)


class ComponentIn(Body):
    name: Text(50)  # type: ignore[valid-type]
    weight: Annotated[Any, AfterValidator(_weight)]


class ComponentScoreIn(Body):
    # Parsed like a mark (string or number, 0–100, at most 2 places) inside the transaction.
    score: Any = Field(default=None)


async def exact_body(request: Request, model: type[M]) -> M:
    """Read a JSON body keeping numbers as their text (no float is made), then validate it."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null", parse_float=JsonNumberText, parse_constant=NonFinite)
    except ValueError:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _component(c: components.Component) -> dict[str, Any]:
    return {"id": c.id, "session_id": c.session_id, "name": c.name, "weight": c.weight}


async def _record(kiosk: Any, session_id: int) -> Record:
    return await kiosk.db.read(lambda db: read_record(db, session_id))


@router.get("/sessions/{session_id}/ranking")
async def get_ranking(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    ranked = await kiosk.db.read(lambda db: read_ranking(db, session_id))
    return {
        "session_id": session_id,
        "result_decimals": ranked.result_decimals,
        **ranking.to_wire(ranked),
    }


@router.get("/sessions/{session_id}/components")
async def list_components(session_id: SessionId, kiosk: KioskDep) -> dict[str, Any]:
    def read(db: Any) -> tuple[list[components.Component], dict[int, dict[int, Decimal]]]:
        return components.list_components(db, session_id), components.scores(db, session_id)

    rows, scores = await kiosk.db.read(read)
    specs = [ranking.ComponentSpec(c.id or 0, c.name, Decimal(c.weight)) for c in rows]
    return {
        "interview_weight": fmt(ranking.interview_weight(specs)),
        "components": [_component(c) for c in rows],
        "scores": [
            {"interview_id": iid, "component_id": cid, "score": fmt(score)}
            for iid, by_component in sorted(scores.items())
            for cid, score in sorted(by_component.items())
        ],
    }


@router.post("/sessions/{session_id}/components", status_code=201)
async def create_component(
    session_id: SessionId, request: Request, kiosk: KioskDep
) -> dict[str, Any]:
    """Add a weighted component, e.g. ``{"name": "笔试", "weight": "0.4"}``; the interview keeps the rest."""
    body = await exact_body(request, ComponentIn)

    def command(conn: Any) -> sd.AddComponent:
        return sd.AddComponent(store.reserve_id(conn, "score_component"), body.name, body.weight)

    await kiosk.state(session_id, include_removed=True)  # an unknown sitting: 404
    outcome = await kiosk.run(session_id, command)
    cid = outcome.events[0].data["component_id"]
    component = outcome.state.components[cid]
    return {"id": cid, "session_id": session_id, "name": component.name, "weight": component.weight}


@router.put("/interviews/{interview_id}/components/{component_id}")
async def set_component_score(
    interview_id: InterviewId, component_id: ComponentId, request: Request, kiosk: KioskDep
) -> dict[str, Any]:
    """Enter or correct a candidate's component score, ``{"score": "88.5"}``."""
    body = await exact_body(request, ComponentScoreIn)
    outcome = await kiosk.run(
        ByInterview(interview_id), sd.ScoreComponent(interview_id, component_id, body.score)
    )
    data = outcome.events[0].data
    return {
        "interview_id": interview_id,
        "component_id": component_id,
        "score": data["score"],
        "old_score": data["old_score"],
    }


def _download(
    body: bytes,
    media_type: str,
    filename: str,
    fallback: str,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename, fallback), **(headers or {})},
    )


@router.get("/sessions/{session_id}/export.xlsx")
async def export_xlsx(session_id: SessionId, kiosk: KioskDep) -> Response:
    """The workbook; 409 while an interview is being scored (its audit sheet holds every mark)."""
    record = await _record(kiosk, session_id)
    ensure_not_scoring(record.session)
    from server.exports import xlsx_export  # loaded on first export: idle servers stay small

    body = await asyncio.to_thread(xlsx_export.render, record)
    return _download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        export_filename(record.session, "xlsx"),
        ascii_filename(record.session, "xlsx"),
    )


#: Names the characters of an exported PDF that no installed font could draw (``U+4DAE U+20000``).
MISSING_GLYPHS_HEADER = "X-Kiosk-Missing-Glyphs"


@router.get("/sessions/{session_id}/export.pdf")
async def export_pdf(session_id: SessionId, kiosk: KioskDep) -> Response:
    record = await _record(kiosk, session_id)
    from server.exports import pdf_export  # reportlab is loaded on first export

    body, missing = await asyncio.to_thread(pdf_export.render_report, record)
    headers = (
        {MISSING_GLYPHS_HEADER: " ".join(f"U+{ord(c):04X}" for c in missing)} if missing else {}
    )
    return _download(
        body,
        "application/pdf",
        export_filename(record.session, "pdf"),
        ascii_filename(record.session, "pdf"),
        headers,
    )


def mount(app: FastAPI) -> None:
    """Add the results routes to the application."""
    app.include_router(router)
