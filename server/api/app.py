"""The FastAPI application: routers, error handlers, start-up."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.api.deps import Logins, end_all_logins
from server.api.guard import BodyRefused, Gate, refusal
from server.config import Settings, get_settings
from server.errors import KioskError
from server.live import sockets
from server.live.hub import Hub
from server.live.screens import Screens
from server.service import Kiosk
from server.storage import StorageWatch, is_disk_full, storage_full
from server.store import repository as repo
from server.store.engine import LOCK_BOOTSTRAP, Database, exclusive

log = logging.getLogger("kiosk")
PASSWORD_ALPHABET = (
    "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on a laptop
)


def generate_password() -> str:
    groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def _is_empty_password(hasher: PasswordHasher, stored: str) -> bool:
    try:
        return hasher.verify(stored, "")
    except Exception:  # noqa: BLE001 - a mismatch (or a malformed hash) means "not empty"
        return False


def bootstrap(db: Database, settings: Settings) -> str | None:
    """Create the schema and make sure a secretary password exists; return a new one if made."""
    db.create_schema()
    # Several processes starting at once on PostgreSQL: exactly one makes (and prints) the
    # password, the others then find it stored.
    with exclusive(db.write_engine, LOCK_BOOTSTRAP, 1):
        return _bootstrap_password(db, settings)


def _bootstrap_password(db: Database, settings: Settings) -> str | None:
    hasher = PasswordHasher()
    # Settings already read an empty or blank KIOSK_SECRETARY_PASSWORD as unset (None).
    if settings.secretary_password is not None:
        wanted = settings.secretary_password.get_secret_value()
        stored = db.read_sync(lambda s: repo.get_setting(s, "secretary_password"))
        try:
            if stored and hasher.verify(stored, wanted):
                return None
        except Exception:  # noqa: BLE001 - any mismatch means: store the configured one
            pass
        db.write_sync(lambda s: _store_password(s, hasher.hash(wanted)))
        return None
    stored = db.read_sync(lambda s: repo.get_setting(s, "secretary_password"))
    if stored is not None and not _is_empty_password(hasher, stored):
        return None
    # No password yet, or the empty one an earlier release stored from ``KIOSK_SECRETARY_PASSWORD=``:
    # either way the console must not open without a real password, so make one.
    password = generate_password()
    db.write_sync(lambda s: _store_password(s, hasher.hash(password)))
    return password


def _store_password(s: Any, hashed: str) -> None:
    # A new password ends every login made with the old one.
    repo.put_setting(s, "secretary_password", hashed)
    end_all_logins(s)


#: Garbage-collector thresholds while serving: a young collection every 20,000 new container
#: objects instead of 700, and the oldest generation far less often (Python's default: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 50)


def settle_heap() -> None:
    """Take what start-up built out of the collector's sight and make it collect less often.

    Modules, routes, schemas and table metadata live as long as the process; left in the oldest
    generation, every full collection walked them all again, holding the GIL 40-100 ms at a time
    while 50 rooms marked (every socket and the writer waited: the benchmark's ack p99 was such a
    pause). Frozen, they are never scanned; reference counting still frees what dies.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def limit_sqlite_pages(db: Database, pages: int) -> None:
    """Cap the SQLite file at ``pages`` pages (or its size at connection, if larger): a test knob."""

    def cap(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count = {int(pages)}")
        cur.close()

    db.write_engine.dispose()  # connections made before now lack the cap
    event.listen(db.write_engine, "connect", cap)


#: Each Pydantic error type (and the validators' own, in server.api.schemas) as a phrase in both
#: languages; ``{...}`` is filled from the error's context.
_VALIDATION: dict[str, tuple[str, str]] = {
    "missing": ("缺少此项", "is missing"),
    "string_too_short": ("不能为空", "must not be empty"),
    "string_too_long": (
        "太长了（最多 {max_length} 个字符）",
        "is too long (at most {max_length} characters)",
    ),
    "too_short": ("至少要有 {min_length} 项", "needs at least {min_length} items"),
    "too_long": ("太长了（最多 {max_length} 项）", "is too long (at most {max_length} items)"),
    "int_type": ("必须是整数", "must be a whole number"),
    "int_parsing": ("必须是整数", "must be a whole number"),
    "int_from_float": ("必须是整数", "must be a whole number"),
    "string_type": ("必须是文本", "must be text"),
    "bool_type": ("必须是 true 或 false", "must be true or false"),
    "greater_than_equal": ("不能小于 {ge}", "must be at least {ge}"),
    "less_than_equal": ("不能大于 {le}", "must be at most {le}"),
    "greater_than": ("必须大于 {gt}", "must be greater than {gt}"),
    "less_than": ("必须小于 {lt}", "must be less than {lt}"),
    "literal_error": ("只能是 {expected}", "must be {expected}"),
    "enum": ("只能是 {expected}", "must be {expected}"),
    "json_invalid": ("不是有效的 JSON", "is not valid JSON"),
    "json_type": ("不是有效的 JSON", "is not valid JSON"),
    "model_attributes_type": ("必须是 JSON 对象", "must be a JSON object"),
    "model_type": ("必须是 JSON 对象", "must be a JSON object"),
    "dict_type": ("必须是 JSON 对象", "must be a JSON object"),
    "list_type": ("必须是列表", "must be a list"),
    "blank": ("不能为空白", "must not be blank"),
    "invisible_characters": (
        "不能包含控制字符或不可见字符（如换行、文字方向控制符、零宽字符）",
        "must not contain control or invisible characters (line breaks, direction marks, zero-width spaces)",
    ),
    "decimal_text": (
        "必须是写成文本的小数，例如 {example}",
        "must be a decimal written as a string, e.g. {example}",
    ),
    "decimal_range": ("必须大于 0 且不超过 {upper}", "must be greater than 0 and at most {upper}"),
    "decimal_range_open": (
        "必须大于 0 且小于 {upper}",
        "must be greater than 0 and less than {upper}",
    ),
    "decimal_places": ("最多保留 {places} 位小数", "may have at most {places} decimal places"),
    "min_scores_above_judges": (
        "最少有效分数（{min_scores}）不能多于评委人数（{judge_count}）",
        "the minimum number of marks ({min_scores}) cannot exceed the number of judges ({judge_count})",
    ),
}

#: Field names as a secretary knows them.
_FIELDS: dict[str, tuple[str, str]] = {
    "title": ("标题", "title"),
    "batch": ("批次", "batch"),
    "judge_count": ("评委人数", "number of judges"),
    "score_decimals": ("评分小数位数", "decimal places of a mark"),
    "result_decimals": ("成绩小数位数", "decimal places of a result"),
    "min_scores": ("最少有效分数", "minimum number of marks"),
    "language": ("语言", "language"),
    "code": ("岗位代码", "post code"),
    "name": ("名称", "name"),
    "openings": ("招聘人数（开考人数）", "number of openings"),
    "shortlist_ratio": ("入围比例", "shortlist ratio"),
    "draw_no": ("抽签号", "draw number"),
    "candidate_name": ("考生姓名", "candidate's name"),
    "position_code": ("岗位代码", "post code"),
    "seat": ("评委席位", "seat"),
    "reason": ("原因", "reason"),
    "note": ("说明", "note"),
    "countdown_minutes": ("倒计时分钟数", "countdown minutes"),
    "minutes": ("分钟数", "minutes"),
    "password": ("密码", "password"),
    "interview_id": ("面试编号", "interview id"),
    "session_id": ("场次编号", "session id"),
    "component_id": ("成绩项编号", "component id"),
    "strokes": ("签名笔画", "signature strokes"),
    "weight": ("权重", "weight"),
    "score": ("分数", "score"),
    "file": ("文件", "file"),
}


_WHOLE_BODY = frozenset(
    {"json_invalid", "missing", "model_attributes_type", "dict_type", "model_type"}
)


def _where(loc: list[Any], lang: str) -> str:
    zh = lang == "zh"
    words = []
    for part in loc:
        if isinstance(part, int):
            words.append(f"第 {part + 1} 项" if zh else f"item {part + 1}")
        elif part in _FIELDS:
            words.append(_FIELDS[part][0 if zh else 1])
        else:
            words.append(str(part))
    return ("的" if zh else " ").join(words)


def describe_validation(errors: list[dict[str, Any]], lang: str) -> str:
    """Turn Pydantic's errors into one sentence a secretary can act on, wholly in ``lang``."""
    zh = lang == "zh"
    parts = []
    for error in errors[:5]:
        loc = [p for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        ctx = dict(error.get("ctx") or {})
        if zh:  # "'zh' or 'en'", '"2" or "1.5"'
            ctx = {
                k: v.replace(" or ", " 或 ") if isinstance(v, str) else v for k, v in ctx.items()
            }
        phrase = _VALIDATION.get(str(error.get("type")))
        if phrase is not None:
            try:
                what = phrase[0 if zh else 1].format(**ctx)
            except (KeyError, IndexError):
                what = phrase[0 if zh else 1]
        else:
            # An error type without a phrase yet: say so plainly rather than mix languages.
            what = (
                "格式不正确"
                if zh
                else str(error.get("msg", "is not valid")).removeprefix("Value error, ")
            )
        if error.get("type") in _WHOLE_BODY and (error.get("type") == "json_invalid" or not loc):
            # The body as a whole (json_invalid's "place" is a character offset, not a field).
            where = "请求内容" if zh else "the request body"
        else:
            where = _where(loc, lang)
        parts.append((f"{where}：{what}" if zh else f"{where} {what}") if where else what)
    if zh:
        return "；".join(parts or ["请求内容格式不正确"]) + "，请修改后重新提交。"
    sentence = "; ".join(parts or ["the request is not valid"])
    return sentence[:1].upper() + sentence[1:] + ": correct it and send it again."


def request_lang(request: Request) -> str:
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "zh"


#: The body of every 4xx (the handlers below), as the OpenAPI schema must describe it. FastAPI's
#: default says a 422's ``detail`` is a list of Pydantic errors; this app sends one sentence.
ERROR_BODY: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "code": {"type": "string", "title": "Code"},
        "errors": {
            "type": "array",
            "title": "Errors",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings.database_url)
    storage = StorageWatch(db, settings.min_free_bytes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db.open_for_serving()  # SQLite: one process per file, and a sound file, or StartRefused
        password = bootstrap(db, settings)
        if password:
            print(
                f"秘书初始密码 / secretary password: {password}  (只显示这一次 / shown once)",
                flush=True,
            )
        if settings.sqlite_max_pages and db.sqlite:
            limit_sqlite_pages(db, settings.sqlite_max_pages)
        bus = None
        if not db.sqlite:
            # PostgreSQL: other processes may serve the same sittings (DESIGN section 7).
            from server.pgbus import PgBus

            bus = PgBus(app.state.kiosk, app.state.screens)
            app.state.kiosk.publisher = bus
            await bus.start()
        app.state.bus = bus
        if app.state.settle_heap:
            settle_heap()
        yield
        if bus is not None:
            await bus.stop()
        db.close()

    # Swagger UI's files come from the fastapi-offline package: the hall has no internet.
    app = FastAPIOffline(
        title="interview-kiosk",
        version="0.1.0",
        summary="Live scoring for competitive interviews",
        lifespan=lifespan,
        # No OpenTelemetry here: without this FastAPI asks the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    # The screens (live/) implement the service's Publisher; neither imports the other.
    app.state.screens = Screens(Hub(), stale_after=settings.stale_after)
    #: ``kiosk serve`` sets it: a long-lived process tunes the garbage collector at start.
    app.state.settle_heap = False
    app.state.kiosk = Kiosk(db, app.state.screens)
    app.state.logins = Logins(app.state.kiosk, timedelta(hours=settings.login_hours))
    app.state.storage = storage
    app.add_middleware(Gate, settings=settings)

    @app.exception_handler(KioskError)
    async def kiosk_error(request: Request, exc: KioskError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.text(request_lang(request)), "code": exc.code}, exc.status_code
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(
            {
                "detail": describe_validation(errors, request_lang(request)),
                "code": "invalid",
                "errors": [
                    {"loc": list(e.get("loc", ())), "type": e.get("type")} for e in errors[:20]
                ],
            },
            422,
        )

    @app.exception_handler(BodyRefused)
    async def body_refused(request: Request, exc: BodyRefused) -> JSONResponse:
        return refusal(exc, request_lang(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "没有这个地址。", 405: "不支持此请求方法。", 413: "请求体太大。"}
        detail = (
            zh.get(exc.status_code, exc.detail) if request_lang(request) == "zh" else exc.detail
        )
        return JSONResponse(
            {"detail": detail}, exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(SQLAlchemyError)
    @app.exception_handler(OSError)
    async def storage_error(request: Request, exc: Exception) -> JSONResponse:
        if is_disk_full(exc):
            storage.failed()
            return await kiosk_error(request, storage_full())
        return await server_error(request, exc)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        # Not the client's fault; still JSON a person can read, never a bare text page.
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        text = (
            "服务器内部错误，操作可能没有保存。请刷新后重试；如仍出错请联系技术人员。"
            if request_lang(request) == "zh"
            else "Internal server error: the change may not be saved. Reload and try again; if it persists, tell IT."
        )
        return JSONResponse({"detail": text, "code": "server_error"}, 500)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        problem = await asyncio.to_thread(storage.status)
        if problem is not None:
            return JSONResponse(problem, 503)
        return JSONResponse({"status": "ok"})

    from server.api.routes import public, secretary

    app.include_router(public)
    app.include_router(secretary)
    importlib.import_module("server.campaign.routes").mount(app)  # DESIGN section 5
    app.router.routes.extend(sockets.routes)
    # Optional parts, each a module of server.api with a ``mount(app)``: results and exports,
    # the judge and display pages, the secretary's console.
    for name in ("results", "pages", "console", "campaign_pages", "score_sheets"):
        try:
            module = importlib.import_module(f"server.api.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"server.api.{name}":
                raise
            continue
        module.mount(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)  # builds and caches app.openapi_schema
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_BODY
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
