"""The FastAPI application: routers, error handlers, start-up."""

from __future__ import annotations

import importlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from server.config import Settings, get_settings
from server.errors import KioskError
from server.live import sockets
from server.live.hub import Hub
from server.service import Kiosk
from server.store import repository as repo
from server.store.engine import Database

log = logging.getLogger("kiosk")
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on a laptop


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
    hasher = PasswordHasher()
    wanted = settings.secretary_password.get_secret_value() if settings.secretary_password else ""
    if wanted.strip():
        stored = db.read_sync(lambda s: repo.get_setting(s, "secretary_password"))
        try:
            if stored and hasher.verify(stored, wanted):
                return None
        except Exception:  # noqa: BLE001 - any mismatch means: store the configured one
            pass
        db.write_sync(lambda s: repo.put_setting(s, "secretary_password", hasher.hash(wanted)))
        return None
    stored = db.read_sync(lambda s: repo.get_setting(s, "secretary_password"))
    if stored is not None and not _is_empty_password(hasher, stored):
        return None
    # No password yet, or the empty one an earlier release stored from ``KIOSK_SECRETARY_PASSWORD=``:
    # either way the console must not open without a real password, so make one.
    password = generate_password()
    db.write_sync(lambda s: repo.put_setting(s, "secretary_password", hasher.hash(password)))
    return password


_VALIDATION_ZH = {
    "missing": "缺少此字段",
    "string_too_short": "不能为空",
    "string_too_long": "太长了（最多 {max_length} 个字符）",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "string_type": "必须是文本",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "json_invalid": "请求体不是有效的 JSON",
    "model_attributes_type": "必须是 JSON 对象",
    "dict_type": "必须是 JSON 对象",
    "list_type": "必须是列表",
    "too_long": "太长了（最多 {max_length} 项）",
}


def describe_validation(errors: list[dict[str, Any]], lang: str) -> str:
    """Turn Pydantic's errors into one sentence a secretary can act on."""
    parts = []
    for error in errors[:5]:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc) or ("请求" if lang == "zh" else "request")
        ctx = error.get("ctx") or {}
        if lang == "zh" and error.get("type") in _VALIDATION_ZH:
            try:
                what = _VALIDATION_ZH[error["type"]].format(**ctx)
            except (KeyError, IndexError):
                what = error.get("msg", "")
        else:
            what = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            if lang == "zh":
                what = "格式不正确：" + what
        parts.append(f"{where}：{what}" if lang == "zh" else f"{where}: {what}")
    return ("；" if lang == "zh" else "; ").join(parts)


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
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    db = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        password = bootstrap(db, settings)
        if password:
            print(f"秘书初始密码 / secretary password: {password}  (只显示这一次 / shown once)", flush=True)
        yield
        db.close()

    app = FastAPI(
        title="interview-kiosk",
        version="0.1.0",
        summary="Live scoring for competitive interviews",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.kiosk = Kiosk(db, Hub(), stale_after=settings.stale_after)

    @app.exception_handler(KioskError)
    async def kiosk_error(request: Request, exc: KioskError) -> JSONResponse:
        return JSONResponse({"detail": exc.text(request_lang(request)), "code": exc.code}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(
            {"detail": describe_validation(errors, request_lang(request)), "code": "invalid",
             "errors": [{"loc": list(e.get("loc", ())), "type": e.get("type")} for e in errors[:20]]},
            422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        zh = {404: "没有这个地址。", 405: "不支持此请求方法。", 413: "请求体太大。"}
        detail = zh.get(exc.status_code, exc.detail) if request_lang(request) == "zh" else exc.detail
        return JSONResponse({"detail": detail}, exc.status_code, headers=getattr(exc, "headers", None))

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return JSONResponse({"detail": "请求体太大。" if request_lang(request) == "zh" else "Request body too large."}, 413)
        return await call_next(request)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    from server.api.routes import public, secretary

    app.include_router(public)
    app.include_router(secretary)
    app.router.routes.extend(sockets.routes)
    # Optional parts, each a module of server.api with a ``mount(app)``: results and exports,
    # the judge and display pages, the secretary's console.
    for name in ("results", "pages", "console"):
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
