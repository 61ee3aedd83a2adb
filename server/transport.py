"""uvicorn's protocols with the two timeouts it lacks, for ``kiosk serve``.

uvicorn arms no timer while a request's headers arrive, so a client that opens a connection and
sends half a request holds a file descriptor for ever (1,100 of them exhausted the process). And
a peer that stops reading leaves the server's sends waiting for ever: the socket's outbox fills,
its sender task waits on the transport, and even a close cannot be written. So:

- **Header timeout.** From the connection (or the first byte of the next request on a kept-alive
  one) the headers must be in within ``header_timeout`` seconds, else 408 and close.
- **Stall timeout.** A transport that stays unable to take more data (above its high-water mark)
  for ``stall_timeout`` seconds is aborted, HTTP or socket alike; the application then sees a
  disconnect.

And :class:`QuietServer`: uvicorn's server wakes its event loop ten times a second to refresh the
``date`` header once a second and to notice a stop signal. It now wakes once a second, and a stop
signal wakes it at once. On a virtual machine that charges every wake-up (a quarter of a
millisecond here), an idle kiosk took 7 ms of CPU a second, most of it those ticks. For the same
reason the sockets' keep-alive pings fall due on whole seconds, so those of many sockets share a
wake-up (:meth:`KioskWebSocketProtocol.schedule_ping`).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
from collections import deque
from collections.abc import Iterable
from types import FrameType
from typing import Any

import uvicorn

# httptools and websockets come with uvicorn[standard], a dependency of the kiosk.
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.protocol import State

#: The ASGI scope extension under which a kiosk socket finds :meth:`KioskWebSocketProtocol.write_texts`.
WRITE_TEXTS = "kiosk.write_texts"
#: ... and :meth:`KioskWebSocketProtocol.write_text_now`.
WRITE_TEXT_NOW = "kiosk.write_text_now"

_TIMEOUT_BODY = '{"detail":"请求发送太慢，已断开。请检查网络后重试。","code":"too_slow"}'.encode()
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json; charset=utf-8\r\n"
    b"connection: close\r\ncontent-length: "
    + str(len(_TIMEOUT_BODY)).encode()
    + b"\r\n\r\n"
    + _TIMEOUT_BODY
)


class _StallGuard:
    """Abort a transport that stays paused for writing past ``stall_timeout`` seconds."""

    stall_timeout: float = 30.0
    transport: Any
    _stall_timer: asyncio.TimerHandle | None = None

    def _arm_stall(self) -> None:
        if self._stall_timer is None and self.stall_timeout > 0:
            self._stall_timer = asyncio.get_running_loop().call_later(
                self.stall_timeout, self._stalled
            )

    def _disarm_stall(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _stalled(self) -> None:
        self._stall_timer = None
        # close() would wait for the buffer to drain, which is what never happens.
        self.transport.abort()

    # Mixed in ahead of a uvicorn protocol: ``super()`` is that protocol.
    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_stall()
        super().connection_lost(exc)  # type: ignore[misc]

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]
        self._arm_stall()

    def resume_writing(self) -> None:
        self._disarm_stall()
        super().resume_writing()  # type: ignore[misc]


class KioskHTTPProtocol(_StallGuard, HttpToolsProtocol):
    header_timeout: float = 10.0
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_headers(self) -> None:
        if self._header_timer is None and self.header_timeout > 0:
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm_headers(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_headers()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm_headers()

    def on_headers_complete(self) -> None:
        self._disarm_headers()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_headers()
        super().connection_lost(exc)


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked text frame (a server's frames are never masked; no extension is on)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class KioskWebSocketProtocol(_StallGuard, WebSocketsSansIOProtocol):
    """uvicorn's socket with the stall guard, and a direct way out for the hub's frames.

    A frame sent through ASGI goes through a ``send`` coroutine at every middleware, Starlette's
    state checks, a ``Frame`` object and its serialisation, and one ``transport.write`` each.
    :meth:`write_texts` (offered to the application in the scope's extensions) frames the text
    messages queued for one socket itself and writes them at once: the same bytes on the wire.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # asyncio.Queue and asyncio.Event carry four deques between them (about 3 KB a socket)
        # for what is here one reader and one writer.
        self.queue = OneReaderQueue()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]
        self.app = _direct_sockets(self.app)

    def schedule_ping(self) -> None:
        """Set the next keep-alive ping due on a whole second of the loop's clock.

        uvicorn times each socket's ping from its own last one, so 2,000 idle sockets woke the
        loop a hundred times a second, one ping at a time. Rounded up to the second (a ping at
        most a second late), the pings due in the same second go out in one wake-up.
        """
        assert self.ping_interval is not None
        due = self.loop.time() + max(0.0, self.ping_interval - self.last_ping_rtt)
        self.ping_timer = self.loop.call_at(math.ceil(due), self.send_keepalive_ping)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The scope has the headers now; websockets' parser keeps the request for the socket's
        # life (a local of its generator): let it keep an empty one (about 2 KB a socket).
        event.headers = Headers()
        scope = getattr(self, "scope", None)
        if scope is not None and getattr(self.response, "status_code", None) == 101:
            scope["extensions"][WRITE_TEXTS] = self.write_texts
            scope["extensions"][WRITE_TEXT_NOW] = self.write_text_now

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (their headers) are not needed any more.
            self.request = self.response = None  # type: ignore[assignment]

    def write_text_now(self, text: str) -> bool:
        """Send ``text`` as one message at once if the socket can take it now; else False."""
        if (
            not self.writable.is_set()
            or self.disconnected
            or self.close_sent
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(text_frame(text.encode()))
        return True

    async def write_texts(self, texts: Iterable[str]) -> None:
        """Send each text as one message, in order, in a single write (waits while paused)."""
        if not self.writable.is_set():
            await self.writable.wait()
        if (
            self.disconnected
            or self.close_sent
            or self.conn.state is not State.OPEN
            or self.transport.is_closing()
        ):
            raise ClientDisconnected()
        self.transport.write(b"".join([text_frame(t.encode()) for t in texts]))


class OneReaderQueue:
    """The part of ``asyncio.Queue`` one reader needs, in one deque and (while it waits) one future.

    ``asyncio.Queue`` carries three deques and an ``Event``, a few KB a socket. Unbounded unless
    ``limit`` is given; past it ``put_nowait`` raises ``asyncio.QueueFull``. Uvicorn's socket reads
    its incoming events from one; the hub's outboxes (server/live/hub.py) are bounded ones.
    """

    __slots__ = ("_items", "_limit", "_waiter")

    def __init__(self, limit: int | None = None) -> None:
        self._items: deque[Any] = deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        if self._limit is not None and len(self._items) >= self._limit:
            raise asyncio.QueueFull
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.popleft()


class _Flag:
    """The part of ``asyncio.Event`` uvicorn's socket uses: set, clear, is_set, wait."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        await waiter


_DIRECT: dict[int, Any] = {}


def _direct_sockets(app: Any) -> Any:
    """``app`` with the kiosk's socket routes reached without the HTTP middleware stack.

    Every middleware and the router keep a coroutine frame (and FastAPI an exit stack) alive on
    every open socket for hours, about 10 KB each, and wrap each send; the middlewares all pass
    a socket scope straight through. The socket routes (``server.live.sockets.routes``) are
    matched first when ``app``'s router holds them; anything else goes to ``app`` as before.
    """
    cached = _DIRECT.get(id(app))
    if cached is not None and cached[0] is app:
        return cached[1]
    from starlette.routing import Match

    from server.live.sockets import routes

    held = getattr(getattr(app, "router", None), "routes", ())
    mine = [route for route in routes if route in held]
    if not mine:
        wrapped = app
    else:

        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "websocket":
                for route in mine:
                    match, child = route.matches(scope)
                    if match is Match.FULL:
                        scope["app"] = app
                        scope.update(child)
                        await route.handle(scope, receive, send)
                        return
            await app(scope, receive, send)

    _DIRECT[id(app)] = (app, wrapped)
    return wrapped


def protocols(header_timeout: float, stall_timeout: float) -> tuple[type, type]:
    """The HTTP and socket protocol classes with these timeouts, for ``uvicorn.run(http=, ws=)``."""
    http = type(
        "KioskHTTP",
        (KioskHTTPProtocol,),
        {"header_timeout": header_timeout, "stall_timeout": stall_timeout},
    )
    ws = type("KioskWS", (KioskWebSocketProtocol,), {"stall_timeout": stall_timeout})
    return http, ws


class QuietServer(uvicorn.Server):
    """uvicorn's server, ticking once a second instead of ten times; a stop signal wakes it."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            # uvicorn refreshes the date header when the counter is a multiple of ten.
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            should_exit = await self.on_tick(counter)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)
