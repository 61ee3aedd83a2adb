"""Helpers to build a scored sitting through the real API and judge sockets."""

from __future__ import annotations

import math
from typing import Any

import httpx

from tests.support import Api, ServerProcess, Socket


def signature_strokes(seed: int = 0) -> list[list[list[float]]]:
    """A name-like scribble: three strokes, a few dozen points, as a signature pad sends them."""
    strokes = []
    for part in range(3):
        stroke = []
        for step in range(16):
            t = step / 15
            x = 40 + part * 90 + 70 * t
            y = 60 + 30 * math.sin(t * math.pi * (2 + part + seed % 3))
            stroke.append([round(x, 1), round(y, 1), 1000 * part + 20 * step])
        strokes.append(stroke)
    return strokes


class Panel:
    """Every judge seat of a sitting, connected for the whole sitting."""

    def __init__(self, server: ServerProcess, api: Api, session: dict[str, Any]) -> None:
        self.server, self.api, self.session = server, api, session
        self.sockets = [Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in session["judges"]]
        for sock in self.sockets:
            sock.recv()  # the first state frame

    def score(self, iid: int, marks: list[str]) -> dict[str, Any]:
        """Start the interview, have each seat submit its mark, return the interview as scored."""
        self.api.flow(iid, "start")
        for seat, (sock, mark) in enumerate(zip(self.sockets, marks, strict=True), start=1):
            ack = sock.submit(iid, mark, f"r{iid}-{seat}")
            assert ack["type"] == "ack", ack
        got = next(i for i in self.api.get_session(self.session["id"])["interviews"] if i["id"] == iid)
        assert got["state"] == "scored", got
        return got

    def announce_and_sign(self, iid: int, seed: int = 0) -> None:
        self.api.flow(iid, "announce")
        token = self.session["display"]["token"]
        r = httpx.post(
            f"{self.server.url}/api/display/{token}/signature",
            json={"interview_id": iid, "strokes": signature_strokes(seed)},
        )
        assert r.status_code == 201, r.text

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
