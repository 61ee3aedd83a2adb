"""An in-process hub: one send queue per socket, fan-out after commit.

Each connected socket subscribes to a channel (``judge:<sid>:<seat>``, ``display:<sid>``,
``console:<sid>``) and owns a bounded queue drained by its own sender task, so a slow display
never delays a judge's acknowledgement. A socket whose queue overflows is closed: its page
reconnects and receives a full state, which is all any screen needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from server.transport import OneReaderQueue

QUEUE_LIMIT = 256
CLOSE = object()


@dataclass(frozen=True)
class Close:
    """Put last in an outbox: the sender closes the socket with this code and reason."""

    code: int
    reason: str = ""


class Outbox(OneReaderQueue):
    """A socket's bounded FIFO, read by its sender alone (``put_nowait`` raises ``QueueFull``)."""

    __slots__ = ()

    def __init__(self, limit: int = QUEUE_LIMIT) -> None:
        super().__init__(limit)


@dataclass(eq=False)
class Subscriber:
    """One socket's outbox."""

    channel: str
    queue: Outbox = field(default_factory=Outbox)
    overflowed: bool = False
    last_seen: float = field(default_factory=time.monotonic)
    meta: dict[str, Any] = field(default_factory=dict)
    state_version: int = -1
    opened: float = field(default_factory=time.monotonic)
    #: Writes a frame to the socket at once, or returns False (paused, closing): set by the
    #: socket when its transport offers it. Used only while nothing is queued, so frames keep
    #: their order and the sender task wakes only for a backlog.
    direct: Callable[[Any], bool] | None = None

    def offer_state(self, frame: Any, version: int) -> None:
        """Queue a full state unless a newer one was already queued for this socket."""
        if version <= self.state_version:
            return
        self.state_version = version
        self.put(frame)

    def close(self, code: int, reason: str = "") -> None:
        """Drop what is queued and have the sender close the socket with ``code``."""
        self.overflowed = True  # nothing more is queued after the close
        self.queue.clear()
        self.queue.put_nowait(Close(code, reason))

    def put(self, frame: Any) -> None:
        if self.overflowed:
            return
        direct = self.direct
        if direct is not None and not self.queue.qsize() and direct(frame):
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.get_nowait()
                self.queue.put_nowait(CLOSE)


class Hub:
    """Channels of subscribers; ``publish`` never waits on a socket."""

    def __init__(self) -> None:
        self._channels: dict[str, set[Subscriber]] = defaultdict(set)
        self._versions: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str, **meta: Any) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(channel, meta=meta)
        self._channels[channel].add(subscriber)
        try:
            yield subscriber
        finally:
            members = self._channels.get(channel)
            if members is not None:
                members.discard(subscriber)
                if not members:
                    del self._channels[channel]

    def publish(self, channel: str, frame: Any) -> None:
        for subscriber in tuple(self._channels.get(channel, ())):
            subscriber.put(frame)

    def subscribers(self, channel: str) -> tuple[Subscriber, ...]:
        return tuple(self._channels.get(channel, ()))

    def count(self, prefix: str = "") -> int:
        return sum(len(s) for c, s in self._channels.items() if c.startswith(prefix))

    def fresher(self, session_id: int, version: int) -> bool:
        """Remember ``version`` as published; False when a newer state already went out."""
        if version < self._versions.get(session_id, -1):
            return False
        self._versions[session_id] = version
        return True
