"""What one mark costs the screens of a sitting, in bytes, against a real server process.

A sitting of 7 judges and 60 candidates, every phone, the hall display and the console open:
one mark must reach them all in at most 5 KB (issue 8), whatever the size of the sitting. The
console is sent the interview that changed and the seats, not the whole sitting.
"""

from __future__ import annotations

import json
from typing import Any

from tests.support import Api, ServerProcess, Socket

BUDGET = 5 * 1024  # bytes a mark may send to all the screens of a sitting


def frame_until(sock: Socket, counted: list[int], wanted: Any) -> dict[str, Any]:
    """Read raw frames, counting their bytes, until one satisfies ``wanted``; return it."""
    while True:
        raw = sock.conn.recv(timeout=10)
        counted.append(len(raw.encode("utf-8") if isinstance(raw, str) else raw))
        frame = json.loads(raw)
        if wanted(frame):
            return frame


def test_one_mark_reaches_every_screen_of_a_big_sitting_in_under_5_kb(
    server: ServerProcess, api: Api
) -> None:
    s = api.sitting(judges=7, candidates=60, min_scores=5)
    sid, iid = s["id"], s["interviews"][0]["id"]
    api.flow(iid, "start")
    judges = [Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in s["judges"]]
    display = Socket(f"{server.ws_url}/ws/display/{s['display']['token']}")
    console = Socket(
        f"{server.ws_url}/ws/console/{sid}",
        additional_headers={"Authorization": api.http.headers["Authorization"]},
    )
    try:
        for sock in judges:
            assert sock.recv()["interview"]["id"] == iid
        assert display.recv()["current"]["id"] == iid
        first = console.recv()
        assert first["type"] == "session" and len(first["session"]["interviews"]) == 60
        assert sum(x["connections"] for x in first["seats"]) == 7  # the phones came first

        counted: list[int] = []
        judges[0].send({"type": "submit", "request_id": "m1", "interview_id": iid, "score": "88.5"})
        ack = frame_until(judges[0], counted, lambda f: f["type"] == "ack")
        assert ack == {"type": "ack", "request_id": "m1", "interview_id": iid, "score": "88.5"}
        for sock in judges:
            state = frame_until(sock, counted, lambda f: f["type"] == "state")
            assert state["submitted"] == 1 and state["interview"]["id"] == iid
        hall = frame_until(display, counted, lambda f: f["type"] == "state")
        assert hall["current"]["submitted"] == 1 and hall["announcement"] is None
        change = frame_until(console, counted, lambda f: f["type"] == "interviews")
        assert [i["id"] for i in change["interviews"]] == [iid]
        assert change["interviews"][0]["submitted"] == 1
        assert all(m["score"] is None for m in change["interviews"][0]["marks"])  # still scoring
        assert len(change["seats"]) == 7
        print(f"bytes to the screens for one mark: {sum(counted)} in {len(counted)} frames")
        assert sum(counted) <= BUDGET, (sum(counted), counted)
        # What the console holds after the change is what GET shows.
        shown = api.get_session(sid)
        assert change["version"] == shown["version"]
        assert change["interviews"][0] == next(i for i in shown["interviews"] if i["id"] == iid)
    finally:
        for sock in [*judges, display, console]:
            sock.close()
