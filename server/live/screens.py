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
            wanted = set(change.interviews)
            frame = {
                "type": "interviews",
                "version": view.version,
                "interviews": [
                    views.interview_for_secretary(view, i)
                    for i in view.interviews
                    if i.id in wanted
                ],
                "seats": seats,
            }
        text = encode(frame)
        for subscriber in consoles:
            # A correction may change the panel's size: presence frames follow it.
            subscriber.meta["judge_count"] = view.judge_count
            subscriber.put(text)

    def seat_status(self, sitting_id: int, judge_count: int) -> list[dict[str, Any]]:
        """Each seat's phones: how many sockets are open and whether any is heard from recently."""
        now = time.monotonic()
        rows = []
        for seat in range(1, judge_count + 1):
            subs = self.hub.subscribers(f"judge:{sitting_id}:{seat}")
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

    def presence_changed(self, sitting_id: int) -> None:
        """Tell the console that a judge's phone connected, went quiet or left."""
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
