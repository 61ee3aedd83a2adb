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
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable
from typing import Any

# httptools and websockets come with uvicorn[standard], a dependency of the kiosk.
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

#: The ASGI scope extension under which a kiosk socket finds :meth:`KioskWebSocketProtocol.write_texts`.
WRITE_TEXTS = "kiosk.write_texts"

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
        self._disarm_stall()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm_stall()

    def resume_writing(self) -> None:
        self._disarm_stall()
        super().resume_writing()


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

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        import os
        if not os.environ.get("H8_OFF") and scope is not None and getattr(self.response, "status_code", None) == 101:
            scope["extensions"][WRITE_TEXTS] = self.write_texts

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

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_stall()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm_stall()

    def resume_writing(self) -> None:
        self._disarm_stall()
        super().resume_writing()


def protocols(header_timeout: float, stall_timeout: float) -> tuple[type, type]:
    """The HTTP and socket protocol classes with these timeouts, for ``uvicorn.run(http=, ws=)``."""
    http = type(
        "KioskHTTP",
        (KioskHTTPProtocol,),
        {"header_timeout": header_timeout, "stall_timeout": stall_timeout},
    )
    ws = type("KioskWS", (KioskWebSocketProtocol,), {"stall_timeout": stall_timeout})
    return http, ws
