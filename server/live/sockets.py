"""The judge, display and console sockets (contract: DESIGN.md section 4).

Limits: one client address holds at most ``ws_max_per_address`` sockets and the process
``max_connections`` (further ones are closed at once with 1008 and a reason); one judge or
display link holds ``ws_max_per_token``, the oldest giving way (1008) so a reconnecting phone is
never locked out by its own half-dead socket. The console socket is authorised by the login
cookie (or an ``Authorization: Bearer`` header), never by a token in the URL, which access logs
keep. A peer that stops reading is dropped by the transport (``server.transport``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import WebSocket
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect, WebSocketState

from server.config import Settings
from server.domain import sitting as sd
from server.domain import views
from server.errors import BadMessage, KioskError, NotAuthenticated, NotFound, RateLimited
from server.live.frames import PingFrame, parse_client_frame
from server.live.hub import CLOSE, Close, Subscriber
from server.live.screens import Screens, console_state
from server.storage import is_disk_full
from server.store import repository as repo
from server.store.models import MAX_ID
from server.transport import WRITE_TEXT_NOW, WRITE_TEXTS

try:  # Starlette 1.x raises this (a RuntimeError) on a receive after a failed send.
    from starlette.websockets import WebSocketDisconnected  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Starlette
    WebSocketDisconnected = WebSocketDisconnect  # type: ignore[misc,assignment]

log = logging.getLogger("kiosk.live")
GONE = (WebSocketDisconnect, WebSocketDisconnected, ConnectionError, RuntimeError)
POLICY_VIOLATION = 1008
FLOOD_CLOSE_AFTER = 200  # refused messages in a row before a flooding socket is closed
#: Close reasons (at most 123 bytes of UTF-8), in the socket's language.
REASONS = {
    "per_address": ("来自同一地址的连接过多", "too many connections from this address"),
    "total": ("服务器连接已满，请稍后重连", "server full: reconnect later"),
    "replaced": ("此链接已在另一处打开", "this link was opened elsewhere"),
}


class SocketLimits:
    """Open sockets per client address and in all, for the caps in the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.by_address: Counter[str] = Counter()
        self.total = 0

    def admit(self, address: str) -> str | None:
        """Count a new socket from ``address``; return why it is refused, or None."""
        per_address = self.settings.ws_max_per_address
        if per_address > 0 and self.by_address[address] >= per_address:
            return "per_address"
        if self.settings.max_connections > 0 and self.total >= self.settings.max_connections:
            return "total"
        self.by_address[address] += 1
        self.total += 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]


def limits_of(ws: WebSocket) -> SocketLimits:
    state = ws.app.state
    limits = getattr(state, "socket_limits", None)
    if limits is None:
        limits = state.socket_limits = SocketLimits(state.settings)
    return limits


def origin_allowed(ws: WebSocket, settings: Settings) -> bool:
    """Accept same-site pages (and configured ones); refuse a socket opened from another site."""
    origin = ws.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    if origin.rstrip("/") in {o.rstrip("/") for o in settings.allowed_origins}:
        return True
    host = ws.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


class Bucket:
    """A token bucket: ``rate`` messages a second with bursts of ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def error_frame(error: KioskError, request_id: Any = None, lang: str = "zh") -> dict[str, Any]:
    return {
        "type": "error",
        "request_id": getattr(error, "request_id", request_id),
        "code": error.code,
        "message": error.text(lang),
    }


def encode_frame(frame: Any) -> str:
    """JSON text for a frame, always sendable as UTF-8.

    A frame may echo what a client sent (a request id, a bad score, an unknown type), and JSON
    lets a client send a lone surrogate (``"\\ud800"``) that UTF-8 cannot carry: such a frame
    is written with ASCII escapes instead, so the error still reaches the client.
    """
    try:  # orjson writes what json.dumps(ensure_ascii=False) does, compact, several times faster
        return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError):  # a lone surrogate, an integer past 64 bits
        pass
    text = json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(frame, ensure_ascii=True, separators=(",", ":"))
    return text


async def _pump(ws: WebSocket, subscriber: Subscriber) -> None:
    """Drain one socket's queue; on overflow, close it so the page reconnects for a fresh state.

    Under ``kiosk serve`` the frames waiting in the queue go out in one write, straight to the
    transport (``server.transport``); elsewhere (a test client) one ASGI send each.
    """
    write_texts = ws.scope.get("extensions", {}).get(WRITE_TEXTS)
    queue = subscriber.queue
    while True:
        frame = await queue.get()
        if write_texts is None:
            if frame is CLOSE:
                await ws.close(code=1013)
                return
            if isinstance(frame, Close):
                await ws.close(code=frame.code, reason=frame.reason)
                return
            await ws.send_text(frame if isinstance(frame, str) else encode_frame(frame))
            continue
        texts: list[str] = []
        while True:
            if frame is CLOSE or isinstance(frame, Close):
                if texts:
                    await write_texts(texts)
                if isinstance(frame, Close):
                    await ws.close(code=frame.code, reason=frame.reason)
                else:
                    await ws.close(code=1013)
                return
            texts.append(frame if isinstance(frame, str) else encode_frame(frame))
            if not queue.qsize():
                break
            frame = queue.get_nowait()
        await write_texts(texts)


async def _refuse(ws: WebSocket) -> None:
    # Closing before accept makes the server answer the handshake with 403.
    await ws.close(code=POLICY_VIOLATION)


def _lang(ws: WebSocket) -> str:
    return "en" if ws.query_params.get("lang") == "en" else "zh"


def _live(ws: WebSocket) -> tuple[Any, Screens]:
    """The kiosk (commands and reads) and the screens (the hub) of this application."""
    return ws.app.state.kiosk, ws.app.state.screens


async def _serve(
    ws: WebSocket,
    screens: Screens,
    settings: Settings,
    channel: str,
    first_frame: Any,
    version: int,
    handle: Any,
    allowed: tuple[str, ...],
    session_id: int,
    meta: dict[str, Any],
) -> None:
    """Accept, send the snapshot, then answer frames until the socket goes."""
    lang = _lang(ws)
    bucket = Bucket(settings.ws_rate, settings.ws_burst)
    refused_in_a_row = 0
    async with screens.hub.subscribe(channel, **meta) as subscriber:
        await ws.accept()
        if channel.startswith(("judge:", "display:")):
            _close_oldest(screens, channel, subscriber, settings.ws_max_per_token, lang)
        subscriber.offer_state(first_frame, version)
        first_frame = None  # an idle socket keeps nothing of the sitting but its queue
        sender = asyncio.create_task(_pump(ws, subscriber))
        write_now = ws.scope.get("extensions", {}).get(WRITE_TEXT_NOW)
        if write_now is not None:

            def direct(frame: Any) -> bool:
                return bool(write_now(frame if isinstance(frame, str) else encode_frame(frame)))

            subscriber.direct = direct
        if channel.startswith("judge:"):
            screens.presence_changed(session_id)
        try:
            while True:
                # When the sender gives up (queue overflow, dead peer) it closes the socket, and
                # this receive then ends with a disconnect: no second task a socket is needed.
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                # Frames already buffered come back without a pause: let the sender run between
                # them, or a flood would be answered only after it ends.
                await asyncio.sleep(0)
                subscriber.last_seen = time.monotonic()
                if not bucket.take():
                    refused_in_a_row += 1
                    if refused_in_a_row >= FLOOD_CLOSE_AFTER:
                        await ws.close(code=POLICY_VIOLATION)
                        break
                    subscriber.put(
                        error_frame(
                            RateLimited(
                                "消息发送过于频繁，请稍候。", "Too many messages: slow down."
                            ),
                            lang=lang,
                        )
                    )
                    continue
                refused_in_a_row = 0
                try:
                    frame = parse_client_frame(message.get("text"), allowed)
                    if isinstance(frame, PingFrame):
                        subscriber.put({"type": "pong"})
                        if channel.startswith("judge:"):
                            screens.presence_changed(session_id)
                    else:
                        await handle(subscriber, frame)
                except KioskError as error:
                    subscriber.put(error_frame(error, None, lang))
                except Exception as exc:  # never drop a judge's socket over a bug: say so instead
                    if is_disk_full(exc):
                        kiosk_storage_failed(ws)
                        subscriber.put(storage_full_frame(None, lang))
                        continue
                    log.exception("unexpected error handling a frame on %s", channel)
                    subscriber.put(
                        {
                            "type": "error",
                            "request_id": None,
                            "code": "server_error",
                            "message": "服务器处理出错，请重试或联系秘书。"
                            if lang == "zh"
                            else "Server error: try again.",
                        }
                    )
        except GONE:
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(BaseException):
                await sender
            if ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(BaseException):
                    await ws.close()
    if channel.startswith("judge:"):
        screens.presence_changed(session_id)


async def judge_socket(ws: WebSocket, token: str) -> None:
    kiosk, screens = _live(ws)
    settings: Settings = ws.app.state.settings
    if not origin_allowed(ws, settings):
        return await _refuse(ws)
    try:
        row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "judge"))
        view = await kiosk.view(row.session_id)
    except NotFound:
        return await _refuse(ws)
    session_id, seat = row.session_id, row.seat or 0
    first, version = encode_frame(views.judge_state(view, seat)), view.version
    del view, row  # the socket may stay open for hours: keep only what it needs

    async def handle(subscriber: Subscriber, frame: Any) -> None:
        def send_ack(outcome: Any) -> None:
            ack = outcome.ack
            body = {
                "type": "ack",
                "request_id": ack.request_id,
                "interview_id": ack.interview_id,
                "score": ack.score,
            }
            if ack.parts is not None:  # a score sheet's elements, as recorded
                body["parts"] = dict(ack.parts)
            subscriber.put(body)

        try:
            await kiosk.run(
                session_id,
                sd.Submit(seat, frame.request_id, frame.interview_id, frame.score, frame.parts),
                committed=send_ack,
            )
        except KioskError as error:
            subscriber.put(error_frame(error, frame.request_id, _lang(ws)))
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            kiosk_storage_failed(ws)
            subscriber.put(storage_full_frame(frame.request_id, _lang(ws)))

    await _serve(
        ws,
        screens,
        settings,
        f"judge:{session_id}:{seat}",
        first,
        version,
        handle,
        ("submit", "ping"),
        session_id,
        {"seat": seat},
    )


async def display_socket(ws: WebSocket, token: str) -> None:
    kiosk, screens = _live(ws)
    settings: Settings = ws.app.state.settings
    if not origin_allowed(ws, settings):
        return await _refuse(ws)
    try:
        row = await kiosk.db.read(lambda db: repo.resolve_token(db, token, "display"))
        view = await kiosk.view(row.session_id)
    except NotFound:
        return await _refuse(ws)
    session_id = row.session_id
    first, version = encode_frame(views.display_state(view)), view.version
    del view, row

    async def handle(subscriber: Subscriber, frame: Any) -> None:
        raise BadMessage("大屏只接收 ping 消息。", "The display only sends ping.")

    await _serve(
        ws,
        screens,
        settings,
        f"display:{session_id}",
        first,
        version,
        handle,
        ("ping",),
        session_id,
        {},
    )


async def console_socket(ws: WebSocket, session_id: int) -> None:
    """The secretary's live panel: the sitting as ``GET`` shows it, plus each seat's phones."""
    kiosk, screens = _live(ws)
    settings: Settings = ws.app.state.settings
    if not origin_allowed(ws, settings):
        return await _refuse(ws)
    if not 1 <= session_id <= MAX_ID:
        return await _refuse(ws)
    # The login cookie (a browser) or an Authorization header (a script); never the URL, which
    # the access log writes out.
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    token = (
        value.strip()
        if scheme.lower() == "bearer" and value.strip()
        else ws.cookies.get("kiosk_token")
    )
    try:
        await kiosk.db.read(
            lambda db: repo.check_login_token(db, token, timedelta(hours=settings.login_hours))
        )
        view = await kiosk.view(session_id)
    except (NotAuthenticated, NotFound):
        return await _refuse(ws)
    judge_count, version = view.judge_count, view.version
    first = encode_frame(console_state(view, screens.seat_status(session_id, judge_count)))
    del view

    async def handle(subscriber: Subscriber, frame: Any) -> None:
        raise BadMessage("控制台只发送 ping 消息。", "The console only sends ping.")

    await _serve(
        ws,
        screens,
        settings,
        f"console:{session_id}",
        first,
        version,
        handle,
        ("ping",),
        session_id,
        {"judge_count": judge_count},
    )


def _close_oldest(
    screens: Screens, channel: str, newcomer: Subscriber, limit: int, lang: str
) -> None:
    """Past ``limit`` sockets on one link, close the oldest: a reconnecting phone always gets in."""
    if limit <= 0:
        return
    others = sorted(
        (s for s in screens.hub.subscribers(channel) if s is not newcomer), key=lambda s: s.opened
    )
    reason = REASONS["replaced"][0 if lang == "zh" else 1]
    for old in others[: max(0, len(others) + 1 - limit)]:
        old.close(POLICY_VIOLATION, reason)


def storage_full_frame(request_id: Any, lang: str) -> dict[str, Any]:
    return {
        "type": "error",
        "request_id": request_id,
        "code": "storage_full",
        "message": "评分没有保存：服务器磁盘已满。请立即告诉秘书。"
        if lang == "zh"
        else "Your mark was NOT saved: the server's disk is full. Tell the secretary now.",
    }


def kiosk_storage_failed(ws: WebSocket) -> None:
    storage = getattr(ws.app.state, "storage", None)
    if storage is not None:
        storage.failed()


def _route(path: str, handler: Any, param: str) -> WebSocketRoute:
    async def endpoint(ws: WebSocket) -> None:
        limits = limits_of(ws)
        address = ws.client.host if ws.client else ""
        refused = limits.admit(address)
        if refused is not None:
            # Accept, then close with a reason: the client learns why, not just "403".
            await ws.accept()
            await ws.close(
                code=POLICY_VIOLATION, reason=REASONS[refused][0 if _lang(ws) == "zh" else 1]
            )
            return
        try:
            await handler(ws, ws.path_params[param])
        finally:
            limits.release(address)

    return WebSocketRoute(path, endpoint, name=handler.__name__)


#: Plain Starlette routes: FastAPI's dependency machinery would stay alive on every open socket
#: for hours (about 5 KB each) and these endpoints use none of it.
routes = [
    _route("/ws/judge/{token}", judge_socket, "token"),
    _route("/ws/display/{token}", display_socket, "token"),
    _route("/ws/console/{session_id:int}", console_socket, "session_id"),
]
