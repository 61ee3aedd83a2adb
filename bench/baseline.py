"""The bare baseline: uvicorn + a broadcast over WebSockets, no database, no validation.

It speaks just enough of the kiosk's protocol for the load generator to drive it the same way:
``/ws/judge/{room}:{seat}``, ``/ws/display/{room}``, ``/ws/console/{room}``; a judge's ``submit``
is acknowledged at once and every socket of the room then gets a state frame (the judges a small
one, the display the counts, the console a copy of the room), as the kiosk does after a commit.
``POST /api/interviews/{room}:{n}/start|announce`` and ``/api/display/{room}/signature`` only
broadcast. As in the kiosk, the interview being marked and the one announced are apart, so with
interviews back to back candidate k is announced and signs while k+1 is marked, and the display's
``current`` names the interview by its key (``{room}:{n}``). Run it as ``uvicorn
bench.baseline:app``. What it costs is the floor under the kiosk.

With ``BASELINE_COMMIT=durable`` in its environment (the server kind of that name in
``bench/run.py``) each mark is first committed to a SQLite file (WAL, ``synchronous=FULL``: one
fsync a commit) on one writer thread, and only then acknowledged and broadcast: the least any
server pays that keeps the kiosk's rule (nothing acknowledged before it is on disk) without
blocking its event loop on the disk. With ``BASELINE_COMMIT=inline`` the same commit is made on
the event loop. It commits one mark at a time; it is the floor at the low rates it is measured at.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import sqlite3
from collections import defaultdict
from typing import Any

ROOMS: dict[str, dict[str, Any]] = defaultdict(
    lambda: {"judges": set(), "displays": set(), "consoles": set(), "live": None, "marks": {},
             "announced": None, "signed": False, "version": 0}
)


#: "durable": commit each mark on a writer thread; "inline": on the event loop; else no database.
COMMIT = os.environ.get("BASELINE_COMMIT", "")
_WRITER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="baseline-writer")
_DB: list[sqlite3.Connection] = []


def _commit_mark(room: str, seat: str, request_id: str, score: str) -> None:
    """On the writer thread: one transaction, one fsync, as the kiosk commits a lone mark."""
    if not _DB:
        db = sqlite3.connect("baseline.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE IF NOT EXISTS mark (room TEXT, seat TEXT, request_id TEXT, score TEXT)")
        _DB.append(db)
    db = _DB[0]
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO mark VALUES (?, ?, ?, ?)", (room, seat, request_id, score))
    db.execute("COMMIT")


class Outbox:
    """One socket's queue and sender task, as in the kiosk's hub."""

    def __init__(self, send: Any) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue(256)
        self.send = send
        self.task = asyncio.get_running_loop().create_task(self.pump())

    def put(self, frame: Any) -> None:
        if not self.queue.full():
            self.queue.put_nowait(frame)

    async def pump(self) -> None:
        while True:
            frame = await self.queue.get()
            await self.send({"type": "websocket.send", "text": json.dumps(frame)})


def broadcast(room: dict[str, Any]) -> None:
    room["version"] += 1
    current = None
    if room["live"] is not None:
        current = {"id": room["live"], "state": "interviewing", "submitted": len(room["marks"]),
                   "expected": 7}
    announcement = None
    if room["announced"] is not None:
        announcement = {"interview_id": room["announced"],
                        "state": "confirmed" if room["signed"] else "announced"}
    display = {"type": "state", "version": room["version"], "current": current,
               "announcement": announcement}
    for box in room["judges"]:
        box.put({"type": "state", "interview": current, "submitted": len(room["marks"])})
    for box in room["displays"]:
        box.put(display)
    console = {"type": "session", "session": {"interviews": [current, announcement],
                                              "marks": dict(room["marks"])}}
    for box in room["consoles"]:
        box.put(console)


async def websocket(scope: dict[str, Any], receive: Any, send: Any) -> None:
    parts = scope["path"].strip("/").split("/")
    if len(parts) != 3 or parts[0] != "ws":
        await send({"type": "websocket.close", "code": 1008})
        return
    kind, key = parts[1], parts[2]
    room = ROOMS[key.split(":")[0]]
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    box = Outbox(send)
    members = room[{"judge": "judges", "display": "displays", "console": "consoles"}[kind]]
    members.add(box)
    box.put({"type": "state", "current": None})
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                break
            frame = json.loads(message.get("text") or "{}")
            if frame.get("type") == "submit":
                seat = key.split(":")[1]
                if COMMIT == "inline":
                    _commit_mark(key, seat, str(frame["request_id"]), str(frame["score"]))
                elif COMMIT == "durable":
                    await asyncio.get_running_loop().run_in_executor(
                        _WRITER, _commit_mark, key, seat, str(frame["request_id"]),
                        str(frame["score"]))
                room["marks"][seat] = str(frame["score"])
                box.put({"type": "ack", "request_id": frame["request_id"],
                         "interview_id": frame["interview_id"], "score": str(frame["score"])})
                if len(room["marks"]) >= 7:
                    room["live"] = None  # scored
                broadcast(room)
            elif frame.get("type") == "ping":
                box.put({"type": "pong"})
    finally:
        members.discard(box)
        box.task.cancel()


async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    path = scope["path"].strip("/").split("/")
    status = 200
    body: dict[str, Any] = {"ok": True}
    if path == ["healthz"]:
        body = {"status": "ok"}
    elif len(path) == 4 and path[:2] == ["api", "interviews"]:
        room = ROOMS[path[2].split(":")[0]]
        if path[3] == "start":
            room.update(live=path[2], marks={})
        elif path[3] == "announce":
            room.update(announced=path[2], signed=False)
        broadcast(room)
    elif len(path) == 4 and path[:2] == ["api", "display"]:
        room = ROOMS[path[2]]
        room["signed"] = True
        broadcast(room)
        status = 201
    else:
        status, body = 404, {"detail": "not found"}
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await websocket(scope, receive, send)
    elif scope["type"] == "http":
        await http(scope, receive, send)
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
