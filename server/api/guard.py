"""The gate every HTTP request passes before any route reads it.

A pure ASGI middleware, because the checks must come before FastAPI reads the body (it reads the
whole body, then solves the dependencies that check the login):

- **Body caps as bytes arrive.** A declared ``Content-Length`` over the cap is refused unread; a
  body without one (chunked) is counted as its ``http.request`` messages arrive and refused with
  413 once over the cap. The roster upload has its own, larger cap. A body that stalls is cut off
  with 408.
- **The secretary first.** A write (POST/PUT/PATCH/DELETE) to a secretary route is answered 401
  before one byte of its body is read unless it carries a valid login token.
- **Same origin for cookie writes.** A write authenticated by the login cookie (not by
  ``Authorization: Bearer``) needs a same-origin ``Origin`` (or, without one, ``Referer``): 403.
- **Headers on every answer:** Content-Security-Policy, ``X-Frame-Options: DENY``,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from server.api.deps import CHECKED
from server.config import Settings
from server.errors import NotAuthenticated

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "kiosk_token"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ROSTER_PATH = re.compile(r"^/api/sessions/[^/]+/roster/?$")
#: Pages that are not the kiosk's own (Swagger UI runs an inline script of FastAPI's).
DOCS_PATHS = ("/docs", "/redoc")


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


#: The QR sheet's print button is the only inline script of the pages: allowed by its hash alone.
INLINE_HANDLERS = ("window.print()",)
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-hashes' " + " ".join(_hash(s) for s in INLINE_HANDLERS),
        # The error page and the QR sheet carry a <style> block; styles cannot run code.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]

MESSAGES = {
    "too_large": (
        "请求内容太大（上限 {limit}）。请缩小文件或分批提交。",
        "The request body is too large (at most {limit}): send a smaller file or split it.",
    ),
    "too_slow": (
        "请求发送太慢，已中断。请检查网络后重试。",
        "The request arrived too slowly and was cut off: check the network and try again.",
    ),
    "cross_origin": (
        "拒绝跨站请求：请从本系统的控制台页面操作（请求缺少同源的 Origin/Referer）。",
        "Cross-site request refused: use the kiosk's own console page (no same-origin Origin or Referer header).",
    ),
}


def lang_of(headers: Headers) -> str:
    return "en" if headers.get("accept-language", "").lower().startswith("en") else "zh"


def size_text(limit: int) -> str:
    return f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


class BodyRefused(StarletteHTTPException):
    """Raised from ``receive`` when a body goes over its cap or stalls; answered by the gate."""

    def __init__(self, status_code: int, key: str, limit: int = 0) -> None:
        super().__init__(status_code, MESSAGES[key][1].format(limit=size_text(limit)))
        self.key, self.limit = key, limit

    def text(self, lang: str) -> str:
        return MESSAGES[self.key][0 if lang == "zh" else 1].format(limit=size_text(self.limit))


def refusal(exc: BodyRefused, lang: str) -> JSONResponse:
    # Connection: close, so the server stops reading the rest of what the client is sending.
    code = "too_large" if exc.status_code == 413 else "too_slow"
    return JSONResponse(
        {"detail": exc.text(lang), "code": code}, exc.status_code, headers={"connection": "close"}
    )


def needs_secretary(path: str) -> bool:
    """Every ``/api/`` route but the login, the logout, the display's and the notice board's own."""
    if not path.startswith("/api/"):
        return False
    return path not in ("/api/login", "/api/logout") and not path.startswith(
        ("/api/display/", "/api/board/")  # the campaign's public notice board: its token
    )


def bearer(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def cookie(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value.strip('"')
    return None


def _origin_of(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.scheme.lower(), parts.netloc.lower()


def same_origin(headers: Headers, settings: Settings) -> bool:
    """True when the request's Origin (else Referer) is this server, as reached or as published."""
    source = headers.get("origin")
    if source is None or source == "null":
        source = None if source == "null" else headers.get("referer")
    if not source:
        return False
    origin = _origin_of(source)
    if origin is None:
        return False
    trusted = [settings.public_url or "", *settings.allowed_origins]
    if origin in {_origin_of(u) for u in trusted if u}:
        return True
    # The host the browser addressed: the page and the API are served from one place. The
    # scheme is not compared, as a TLS proxy in front (proxy headers off) makes it http here.
    return origin[1] == headers.get("host", "").lower()


class Gate:
    """The middleware; ``app.add_middleware(Gate, settings=...)``."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(scope, send)
        headers = Headers(scope=scope)
        lang = lang_of(headers)
        path, method = scope.get("path", ""), scope.get("method", "GET")
        limit = (
            self.settings.max_roster_bytes
            if ROSTER_PATH.match(path)
            else self.settings.max_body_bytes
        )

        length = headers.get("content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await refusal(BodyRefused(413, "too_large", limit), lang)(scope, receive, send)
            return
        if method in WRITES and needs_secretary(path):
            answer = await self._check_secretary(scope, headers, lang)
            if answer is not None:
                await answer(scope, receive, send)
                return

        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, self._capped(receive, limit), watched_send)
        except BodyRefused as exc:
            # FastAPI turns it into JSON itself; this is for a route that let it through.
            if started:
                raise
            await refusal(exc, lang)(scope, receive, send)

    async def _check_secretary(
        self, scope: Scope, headers: Headers, lang: str
    ) -> JSONResponse | None:
        token = bearer(headers)
        if token is None:
            token = cookie(headers)
            if token is not None and not same_origin(headers, self.settings):
                text = MESSAGES["cross_origin"][0 if lang == "zh" else 1]
                return JSONResponse(
                    {"detail": text, "code": "cross_origin"}, 403, headers={"connection": "close"}
                )
        try:
            await scope["app"].state.logins.check(token)
        except NotAuthenticated as exc:
            return JSONResponse(
                {"detail": exc.text(lang), "code": exc.code}, 401, headers={"connection": "close"}
            )
        scope[CHECKED] = token  # the route's own check need not ask again
        return None

    def _capped(self, receive: Receive, limit: int) -> Receive:
        """``receive`` that counts body bytes, and gives up on a body that stalls."""
        received = 0
        done = False
        deadline = time.monotonic() + self.settings.body_timeout

        async def capped() -> Message:
            nonlocal received, done
            if done:  # the body is in: what follows is the disconnect, whenever it comes
                return await receive()
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                done = True
                raise BodyRefused(408, "too_slow") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    done = True
                    raise BodyRefused(413, "too_large", limit)
                if not message.get("more_body", False):
                    done = True
            else:
                done = True
            return message

        return capped

    def _with_headers(self, scope: Scope, send: Send) -> Send:
        docs = scope.get("path", "").startswith(DOCS_PATHS)
        csp = (DOCS_CSP if docs else CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(b"content-security-policy", csp), *SECURITY_HEADERS]
                message["headers"] = [
                    *message.get("headers", []),
                    *((n, v) for n, v in extra if n not in present),
                ]
            await send(message)

        return send_with_headers
