"""``kiosk serve``'s main loop: one tick a second, and a stop signal heard at once."""

from __future__ import annotations

import asyncio
import signal
import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import uvicorn

from server.transport import KioskWebSocketProtocol, QuietServer
from tests.support import ServerProcess


async def _nothing(scope: Any, receive: Any, send: Any) -> None:  # an ASGI app never called
    return None


def test_the_loop_ticks_once_a_second_and_a_stop_wakes_it_at_once() -> None:
    config = uvicorn.Config(_nothing, log_level="warning")
    config.load()
    server = QuietServer(config)
    ticks: list[int] = []
    tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        return await tick(counter)

    server.on_tick = counted  # type: ignore[method-assign]

    async def run() -> float:
        loop = asyncio.create_task(server.main_loop())
        await asyncio.sleep(2.5)
        asked = time.monotonic()
        server.handle_exit(signal.SIGTERM, None)
        await asyncio.wait_for(loop, 1.0)
        return time.monotonic() - asked

    took = asyncio.run(run())
    # uvicorn's own loop would have ticked 25 times; this one at 0, 1 and 2 s, then on the stop.
    assert 3 <= len(ticks) <= 4, ticks
    assert took < 0.3
    # uvicorn refreshes the date header on a counter that is a multiple of ten: every tick here.
    assert all(counter % 10 == 0 for counter in ticks)
    assert any(name == b"date" for name, _ in server.server_state.default_headers)


def test_kiosk_serve_keeps_the_date_header_current_and_stops_on_a_signal(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path)
    server.start()
    try:
        time.sleep(2.2)
        response = httpx.get(f"{server.url}/healthz")
        sent = parsedate_to_datetime(response.headers["date"]).timestamp()
        assert abs(sent - time.time()) < 2.5
        assert server.proc is not None
        asked = time.monotonic()
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(10) == 0
        assert time.monotonic() - asked < 5
    finally:
        server.stop()


def test_keepalive_pings_fall_due_on_whole_seconds() -> None:
    """Many sockets' pings share a wake-up: each is due on a whole second of the loop clock."""

    async def run() -> list[float]:
        loop = asyncio.get_running_loop()
        due = []
        for rtt in (0.0, 0.013, 0.4):
            sock = SimpleNamespace(loop=loop, ping_interval=20.0, last_ping_rtt=rtt,
                                   send_keepalive_ping=lambda: None, ping_timer=None)
            now = loop.time()
            KioskWebSocketProtocol.schedule_ping(sock)  # type: ignore[arg-type]
            assert sock.ping_timer is not None
            when = sock.ping_timer.when()
            sock.ping_timer.cancel()
            assert now + 20.0 - rtt <= when < now + 21.0 - rtt
            due.append(when)
        return due

    assert all(when == int(when) for when in asyncio.run(run()))
