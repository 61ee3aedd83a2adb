"""The screens of a sitting, told of each committed change: the in-process :class:`Publisher`.

For every change each view is built once and encoded once per channel, whatever the number of
sockets on it: a judge seat's state, the display's state, and for the console only the
interviews that changed with the seats' status (the whole sitting when the sitting itself
changed: its posts, its panel, the roster). A socket that joins late gets full state first.
"""

from __future__ import annotations

import time
from typing import Any

from server.domain import sitting as sd
from server.domain import views
from server.domain.views import SittingView
from server.live.hub import Hub
from server.publish import Change

MAX_SEATS = 15  # the most judges a sitting may have (DESIGN.md section 4)
LINK_GONE = 1008  # policy violation: the same close code as a refused link


def encode(frame: Any) -> str:
    """JSON text for a frame (see :func:`server.live.sockets.encode_frame`)."""
    from server.live.sockets import encode_frame

    return encode_frame(frame)


class Screens:
    """Implements :class:`server.service.Publisher` over the in-process :class:`Hub`."""

    def __init__(self, hub: Hub, stale_after: float = 15.0) -> None:
        self.hub = hub
        self.stale_after = stale_after
        #: Judges' phones held by other processes on the same database (PostgreSQL), as they
        #: last told: sitting → process → (when heard, monotonic; [(connections, seconds since
        #: heard or None), …] per seat). Kept fresh by :class:`server.pgbus.PgBus`.
        self.remote: dict[int, dict[int, tuple[float, list[tuple[int, float | None]]]]] = {}
        #: Called with a sitting's own seat rows whenever they change here (the bus passes
        #: them on to the other processes); None with one process.
        self.on_presence: Any = None

    def publish(self, sitting_id: int, change: Change) -> None:
        """Send every screen of the sitting what ``change`` means to it (newest state wins)."""
        state = change.state
        if change.links_gone_from is not None:
            self.close_links(sitting_id, change.links_gone_from, display=change.display_gone)
        if not self.hub.fresher(sitting_id, state.version):
            return
        version = state.version
        view = sd.sitting_view(state)
        for seat in range(1, state.judge_count + 1):
            subscribers = self.hub.subscribers(f"judge:{sitting_id}:{seat}")
            if subscribers:
                text = encode(views.judge_state(view, seat))
                for subscriber in subscribers:
                    subscriber.offer_state(text, version)
        displays = self.hub.subscribers(f"display:{sitting_id}")
        if displays:
            text = encode(views.display_state(view))
            for subscriber in displays:
                subscriber.offer_state(text, version)
        self.tell_console(view, change)

    def tell_console(self, view: SittingView, change: Change) -> None:
        consoles = self.hub.subscribers(f"console:{view.id}")
        if not consoles:
            return
        seats = self.seat_status(view.id, view.judge_count)
        frame: dict[str, Any]
        if change.whole or not change.interviews:
            frame = console_state(view, seats)
        else:
            frame = {
                "type": "interviews",
                "version": view.version,
                "interviews": [
                    views.interview_for_secretary(view, i)
                    for i in view.picked(set(change.interviews))
                ],
                "seats": seats,
            }
        text = encode(frame)
        for subscriber in consoles:
            # A correction may change the panel's size: presence frames follow it.
            subscriber.meta["judge_count"] = view.judge_count
            subscriber.put(text)

    def local_seats(self, sitting_id: int, judge_count: int) -> list[tuple[int, float | None]]:
        """This process's phones per seat: (open sockets, seconds since the freshest was heard)."""
        now = time.monotonic()
        rows: list[tuple[int, float | None]] = []
        for seat in range(1, judge_count + 1):
            subs = self.hub.subscribers(f"judge:{sitting_id}:{seat}")
            freshest = max((s.last_seen for s in subs), default=None)
            rows.append((len(subs), None if freshest is None else now - freshest))
        return rows

    def seat_status(self, sitting_id: int, judge_count: int) -> list[dict[str, Any]]:
        """Each seat's phones: how many sockets are open and whether any is heard from recently.

        With several processes the phones of one sitting may be spread over them: the counts
        the others last told (within ``stale_after``, so a process that died drops out) add in.
        """
        now = time.monotonic()
        local = self.local_seats(sitting_id, judge_count)
        counts = [count for count, _ in local]
        ages = [age for _, age in local]
        for heard, rows in self.remote.get(sitting_id, {}).values():
            if now - heard > self.stale_after:
                continue
            for index, (count, age) in enumerate(rows[:judge_count]):
                if count:
                    counts[index] += count
                    if age is not None:
                        aged = age + (now - heard)
                        known = ages[index]
                        ages[index] = aged if known is None else min(known, aged)
        status = []
        for seat, (count, age) in enumerate(zip(counts, ages, strict=True), start=1):
            status.append(
                {
                    "seat": seat,
                    "connections": count,
                    "live": age is not None and age <= self.stale_after,
                    "seconds_since_heard": None if age is None else round(age, 1),
                }
            )
        return status

    def close_links(self, sitting_id: int, from_seat: int, display: bool = False) -> None:
        """Close the open sockets of judge seats from ``from_seat`` on (and the display's).

        Their links no longer work (a seat removed by a correction, a sitting removed): the
        page learns it at once instead of showing a sitting that is no longer there.
        """
        channels = [f"judge:{sitting_id}:{seat}" for seat in range(from_seat, MAX_SEATS + 1)]
        if display:
            channels.append(f"display:{sitting_id}")
        for channel in channels:
            for subscriber in self.hub.subscribers(channel):
                subscriber.close(LINK_GONE, "link removed")

    def presence_changed(self, sitting_id: int, local: bool = True) -> None:
        """Tell the console that a judge's phone connected, went quiet or left.

        ``local``: a phone of this process (the other processes are told too, when there are).
        """
        if local and self.on_presence is not None:
            self.on_presence(sitting_id)
        consoles = self.hub.subscribers(f"console:{sitting_id}")
        if not consoles:
            return
        judge_count = consoles[0].meta.get("judge_count", 0)
        text = encode({"type": "seats", "seats": self.seat_status(sitting_id, judge_count)})
        for subscriber in consoles:
            subscriber.put(text)


def console_state(view: SittingView, seats: list[dict[str, Any]]) -> dict[str, Any]:
    """The console's full frame: the sitting as ``GET`` shows it, and each seat's phones."""
    return {"type": "session", "session": views.session_for_secretary(view), "seats": seats}
