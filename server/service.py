"""The kiosk's commands: check and write in one transaction, then tell the screens.

Every change goes through :meth:`Kiosk.change`: the write function runs on the writer thread, the
sitting's snapshot is read inside the same transaction, and only after the commit does the hub
fan the new state out. Nothing is acknowledged or broadcast before it is durable.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from server.domain import views
from server.domain.views import SessionView
from server.live.hub import Hub
from server.store import repository as repo
from server.store.engine import Database

T = TypeVar("T")

MAX_SEATS = 15  # the most judges a sitting may have (DESIGN.md section 4)
LINK_GONE = 1008  # policy violation: the same close code as a refused link


class Kiosk:
    """The database, the hub and the settings that tie them together."""

    def __init__(self, db: Database, hub: Hub, stale_after: float = 15.0) -> None:
        self.db = db
        self.hub = hub
        self.stale_after = stale_after

    async def change(
        self,
        session_of: Callable[[T], int],
        fn: Callable[[Session], T],
        committed: Callable[[T], None] | None = None,
    ) -> tuple[T, SessionView]:
        """Run ``fn`` as one write transaction, then publish the sitting's new state.

        ``committed`` runs after the commit and before the fan-out: the judge's ack goes there,
        so it reaches the judge ahead of the state that follows from it.
        """

        def work(db: Session) -> tuple[T, SessionView]:
            result = fn(db)
            return result, repo.load_snapshot(db, session_of(result))

        result, snapshot = await self.db.write(work)
        if committed is not None:
            committed(result)
        self.tell(snapshot)
        return result, snapshot

    async def snapshot(self, session_id: int) -> SessionView:
        return await self.db.read(lambda db: repo.load_snapshot(db, session_id))

    def tell(self, snapshot: SessionView) -> None:
        """Send every screen of the sitting its view of ``snapshot`` (newest state wins)."""
        if not self.hub.fresher(snapshot.id, snapshot.version):
            return
        sid, version = snapshot.id, snapshot.version
        for seat in range(1, snapshot.judge_count + 1):
            subscribers = self.hub.subscribers(f"judge:{sid}:{seat}")
            if subscribers:
                frame = views.judge_state(snapshot, seat)
                for subscriber in subscribers:
                    subscriber.offer_state(frame, version)
        displays = self.hub.subscribers(f"display:{sid}")
        if displays:
            frame = views.display_state(snapshot)
            for subscriber in displays:
                subscriber.offer_state(frame, version)
        self.tell_console(snapshot)

    def tell_console(self, snapshot: SessionView) -> None:
        consoles = self.hub.subscribers(f"console:{snapshot.id}")
        if consoles:
            frame = {
                "type": "session",
                "session": views.session_for_secretary(snapshot),
                "seats": self.seat_status(snapshot.id, snapshot.judge_count),
            }
            for subscriber in consoles:
                # A correction may change the panel's size: presence frames follow it.
                subscriber.meta["judge_count"] = snapshot.judge_count
                subscriber.put(frame)

    def seat_status(self, session_id: int, judge_count: int) -> list[dict[str, Any]]:
        """Each seat's phones: how many sockets are open and whether any is heard from recently."""
        now = time.monotonic()
        rows = []
        for seat in range(1, judge_count + 1):
            subs = self.hub.subscribers(f"judge:{session_id}:{seat}")
            freshest = max((s.last_seen for s in subs), default=None)
            rows.append(
                {
                    "seat": seat,
                    "connections": len(subs),
                    "live": freshest is not None and now - freshest <= self.stale_after,
                    "seconds_since_heard": None if freshest is None else round(now - freshest, 1),
                }
            )
        return rows

    def close_links(self, session_id: int, from_seat: int, display: bool = False) -> None:
        """Close the open sockets of judge seats from ``from_seat`` on (and the display's).

        Their links no longer work (a seat removed by a correction, a sitting removed): the
        page learns it at once instead of showing a sitting that is no longer there.
        """
        channels = [f"judge:{session_id}:{seat}" for seat in range(from_seat, MAX_SEATS + 1)]
        if display:
            channels.append(f"display:{session_id}")
        for channel in channels:
            for subscriber in self.hub.subscribers(channel):
                subscriber.close(LINK_GONE, "link removed")

    def presence_changed(self, session_id: int) -> None:
        """Tell the console that a judge's phone connected, went quiet or left."""
        consoles = self.hub.subscribers(f"console:{session_id}")
        if not consoles:
            return
        judge_count = consoles[0].meta.get("judge_count", 0)
        frame = {"type": "seats", "seats": self.seat_status(session_id, judge_count)}
        for subscriber in consoles:
            subscriber.put(frame)
