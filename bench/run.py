"""Load generator: N rooms at once against a real ``kiosk serve`` process, and the bare baseline.

Each room has 7 judge sockets, a display socket and a console socket (``/ws/console/{sid}`` with
the login token) and goes through whole sittings: the secretary starts an interview over HTTP,
the seven marks arrive within a couple of seconds with random spacing, the secretary announces,
the candidate signs on the display. Everything runs in this one asyncio process (uvloop), which
shares the machine's cores with the server: its CPU is measured and printed beside the server's.

    .venv/bin/python -m bench                     # issue 8's targets: back to back, 50/100/200 rooms,
                                                  # CPU a mark at 5 and 60 interviews, 2,000 idle sockets
    .venv/bin/python -m bench --rooms 10 --lengths 0 --idle 0 --no-baseline     # a quick run
    .venv/bin/python -m bench --pause 20 --rooms 10,50,100,200,400 --lengths 0  # paced, as a real day
    .venv/bin/python -m bench --server-dir /tmp/kiosk-before --out /tmp/bench-before   # other code
    .venv/bin/python -m bench.compare /tmp/bench-before /tmp/bench-after --out bench   # side by side
    scripts/with-postgres sh -c '.venv/bin/python -m bench --database-url "$KIOSK_TEST_DATABASE_URL" \
        --processes 2 --rooms 200 --lengths 0 --idle 0 --no-baseline --out /tmp/pg2'  # two processes

**Back to back** (``--pause 0``, the default, the hard case): a room starts its next interview as
soon as the previous one is scored, and the previous candidate is announced (0.3 s later) and
signs (0.2 s after that) while the next one is being marked, as the plan's rhythm has it. The
server refuses to announce while another candidate is still on the display, so candidate k signs
before k+1 is announced. This measures capacity: each room offers 3.5 marks/s.

**Paced** (``--pause 20``): the next candidate starts 20 s (±50 %) after the last one signed, and
the rooms start at random within the first cycle, so the marks arrive at a steady rate with bursts
of seven: a real hall's latency, far from capacity.

**CPU a mark against the sitting's length** (``--lengths 5,60``): ``--length-rooms`` rooms first
go through 5 whole interviews as fast as the server allows (not measured); then, ``--length-rounds``
times, every room starts one more interview, and only while its seven marks (over 2 s) are
submitted, scored and shown is the server's CPU and every byte the room's screens receive counted.
Then the rooms go on to 60 interviews behind them and the same is measured again. The interviews
are created as they are needed, so the sitting holds exactly the interviews behind it and the one
being marked. Unless ``--no-baseline``, the same rooms, rounds and rate are first measured against
two floors: the bare baseline, and the baseline that commits each mark to SQLite (one fsync) on a
writer thread before acknowledging it. This machine charges a process CPU for every wake-up
(about a quarter of a millisecond after an idle spell), so at a low rate the floors show what any
server pays a mark here before doing any work of its own.

Latencies are taken in this process: submit→ack is from sending the frame to reading its ack;
submit→display is from sending the frame to the first display frame that counts the mark (the
n-th acknowledged mark of an interview is shown when the display's ``submitted`` reaches n, or
the interview has left ``interviewing``). Bytes are the payloads of every frame the 7 judges, the
display and the console of a room receive, counted as they arrive. After each run every
acknowledged mark is looked up with ``GET /api/sessions/{sid}``: one missing or different is a
lost mark. ``results.json`` in ``--out`` holds every figure for ``python -m bench.compare``.

**Several processes** (``--processes N --database-url URL``, a PostgreSQL database they share):
N ``kiosk serve`` processes on free ports, each given the URL as ``KIOSK_DATABASE_URL`` and the
same lifted socket caps. Room i's judges are dealt in turn from process i mod N, its display goes
to the next process (never its first judge's), its console to the one after when N >= 3; the
secretary's HTTP calls go where the console is, the signature where the display is. So a mark is
acknowledged by one process and shown by another: the display latency includes the cross-process
fan-out. Server CPU is the sum over the processes; peak RSS is given a process.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-secretary-pw"
JUDGES = 7
ROLES = ("judge", "display", "console")
STROKES = [[[10, 10, 0], [60, 40, 16], [120, 80, 32], [160, 30, 48]]]
#: Seconds the server is watched idle (sockets open) before each sitting-length measurement.
IDLE_PROBE = 3.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def load_avg() -> float:
    return os.getloadavg()[0]


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), to see what others took."""
    t = psutil.cpu_times()
    # Linux counts guest time inside user time already; steal is what the host took.
    return t.user + t.nice + t.system + sum(
        getattr(t, name, 0.0) for name in ("irq", "softirq", "steal"))


def database_cpu(url: str | None) -> float | None:
    """CPU seconds of the PostgreSQL server behind ``url`` so far, if it runs on this machine.

    The postmaster listening on the URL's port (``-p PORT`` on its command line, as
    ``scripts/with-postgres`` starts it), its live backends, and those it has reaped. None for
    SQLite (its work is in the kiosk process) or a server this cannot see.
    """
    if not url or not url.startswith("postgres"):
        return None
    from sqlalchemy.engine import make_url

    port = str(make_url(url).port or 5432)
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if cmd and cmd[0].endswith("postgres") and "-p" in cmd[:-1] and cmd[cmd.index("-p") + 1] == port:
            with contextlib.suppress(psutil.Error):
                t = proc.cpu_times()
                total = t.user + t.system + t.children_user + t.children_system
                for child in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        c = child.cpu_times()
                        total += c.user + c.system
                return total
    return None


# --- the server under test -------------------------------------------------------------------


def kiosk_env(server_dir: Path) -> dict[str, str]:
    """The kiosk server's environment: its code from ``server_dir``, caps lifted for one address."""
    env = {**os.environ, "PYTHONPATH": str(server_dir)}
    env["KIOSK_SECRETARY_PASSWORD"] = PASSWORD
    env["KIOSK_WS_RATE"] = "50"
    # Every simulated phone connects from 127.0.0.1: lift the per-address socket cap, and the
    # connection cap above the 2,000 idle sockets plus 400 rooms of 9.
    env["KIOSK_WS_MAX_PER_ADDRESS"] = "0"
    env["KIOSK_MAX_CONNECTIONS"] = "10000"
    return env


def describe_code(server_dir: Path) -> dict[str, str]:
    """Say which ``server`` package the kiosk process imports, and from which commit."""
    probe = subprocess.run(
        [sys.executable, "-c", "import server; print(server.__file__)"],
        env=kiosk_env(server_dir), cwd=tempfile.gettempdir(), capture_output=True, text=True,
        check=True,
    )
    head = subprocess.run(["git", "-C", str(server_dir), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    # `git diff` only reads (unlike `git status`, which may refresh the index).
    diff = subprocess.run(["git", "-C", str(server_dir), "diff", "--shortstat", "HEAD", "--",
                           "server"], capture_output=True, text=True)
    changes = diff.stdout.strip()
    return {
        "server_dir": str(server_dir),
        "server_file": probe.stdout.strip(),
        "commit": head.stdout.strip() or "?",
        "server_changes": changes or "none",
    }


class Server:
    """A server subprocess on a free loopback port, watched with psutil."""

    def __init__(self, kind: str, workdir: Path, database_url: str | None = None,
                 server_dir: Path = ROOT) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        if kind == "kiosk":
            env = kiosk_env(server_dir)
            env["KIOSK_DATABASE_URL"] = database_url or f"sqlite:///{workdir}/kiosk.db"
            cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning"]
        else:
            # "durable" / "inline": the baseline committing each mark (one fsync) before its ack.
            env = {**os.environ, "PYTHONPATH": str(ROOT), "BASELINE_COMMIT": kind}
            cmd = [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--ws-per-message-deflate",
                   "false", "--ws-max-size", "4096"]
        self.log = open(workdir / "server.log", "ab")
        self.proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.peak_rss = 0

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited, see {self.workdir}/server.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not become healthy")

    def rss(self) -> int:
        rss = self.ps.memory_info().rss
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    async def sample(self) -> None:
        """Keep ``peak_rss`` up to date until cancelled."""
        while True:
            self.rss()
            await asyncio.sleep(0.2)

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class Cluster:
    """``count`` kiosk processes on free ports against one database, watched as one server.

    Each gets :func:`kiosk_env` (no per-address socket cap, a large connection cap); the first is
    started alone and healthy before the others, so it brings the schema up by itself. CPU is
    the sum over the processes, ``peak_rss`` the largest process's peak.
    """

    kind = "kiosk"

    def __init__(self, count: int, workdir: Path, database_url: str, server_dir: Path = ROOT) -> None:
        self.workdir = workdir
        self.servers = [Server("kiosk", workdir / "p0", database_url, server_dir)]
        try:
            self.servers[0].wait_ready()
            self.servers += [Server("kiosk", workdir / f"p{i}", database_url, server_dir)
                             for i in range(1, count)]
        except BaseException:
            self.stop()
            raise
        self.url, self.ws_url, self.proc = (self.servers[0].url, self.servers[0].ws_url,
                                            self.servers[0].proc)

    @property
    def peak_rss(self) -> int:
        return max(s.peak_rss for s in self.servers)

    def wait_ready(self, timeout: float = 30) -> None:
        for s in self.servers:
            s.wait_ready(timeout)

    def rss(self) -> int:
        return sum(s.rss() for s in self.servers)

    async def sample(self) -> None:
        await asyncio.gather(*(s.sample() for s in self.servers))

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.servers)

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


def make_server(kind: str, workdir: Path, args: argparse.Namespace) -> Server | Cluster:
    """The server under test: one process, or ``--processes`` kiosk processes on one database."""
    if kind == "kiosk" and getattr(args, "processes", 1) > 1:
        return Cluster(args.processes, workdir, args.database_url, args.server_dir)
    return Server(kind, workdir, args.database_url, args.server_dir)


# --- one room --------------------------------------------------------------------------------


@dataclass
class Mark:
    room: int
    interview: int
    seat: int
    request_id: str
    score: str
    phase: str
    sent: float = 0.0
    acked: float | None = None
    ack_score: str | None = None
    shown: float | None = None


@dataclass
class Room:
    index: int
    session_id: Any
    judge_keys: list[str]
    display_key: str
    interviews: list[Any]
    display_frames: list[tuple[float, Any, int, str]] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    sockets: list[Any] = field(default_factory=list)
    judges: dict[str, Any] = field(default_factory=dict)


class Run:
    """One load run of ``rooms`` rooms against one server."""

    def __init__(self, server: Server | Cluster, rooms: int, candidates: int, spread: float,
                 seed: int, pause: float = 0.0) -> None:
        self.server = server
        #: The processes a room's sockets and HTTP calls are dealt across (see ``place``).
        self.procs: list[Server] = getattr(server, "servers", [server])
        self.clients: list[httpx.AsyncClient] = []
        #: Each room's secretary and display have a browser of their own: one client a room and
        #: process for the interview day's calls (one shared pool of 64 connections made 200
        #: rooms' calls queue in httpx's pool, seconds at p95, while the server answered in 8 ms).
        self.room_clients: dict[tuple[int, int], httpx.AsyncClient] = {}
        self._tls: ssl.SSLContext | None = None
        self.pause = pause
        self.n = rooms
        self.candidates = candidates
        self.spread = spread
        self.rng = random.Random(seed)
        self.rooms: list[Room] = []
        self.errors: dict[str, int] = {}
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.readers: list[asyncio.Task[None]] = []
        self.http: httpx.AsyncClient | None = None
        self.login_token = ""
        self.closing = False
        self.phase = "run"
        #: Payload bytes and frames received, by role, since the sockets opened.
        self.bytes = dict.fromkeys(ROLES, 0)
        self.frames = dict.fromkeys(ROLES, 0)

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def place(self, room: int, role: str, seat: int = 1) -> int:
        """Which process a room's socket (or its holder's HTTP calls) goes to.

        The judges of room ``room`` are dealt in turn from process ``room % N``; the display
        goes to the next one (never its first judge's, when N > 1), the console to the one
        after when N >= 3 (else the first judge's). The secretary's calls go where the console
        is, the display's signature where the display is. With one process, all go to it.
        """
        n = len(self.procs)
        step = {"judge": seat - 1, "display": 1, "console": 2 if n >= 3 else 0}[role]
        return (room + step) % n

    def room_client(self, room: int, where: int) -> httpx.AsyncClient:
        client = self.room_clients.get((room, where))
        if client is None:
            shared = self.clients[where]
            # One TLS context for all (plain HTTP here, but each new client would otherwise load
            # the CA bundle: some 20 ms, 4 s of this process's loop for 200 rooms).
            if self._tls is None:
                self._tls = ssl.create_default_context()
            client = httpx.AsyncClient(
                base_url=shared.base_url, timeout=60, headers=shared.headers, verify=self._tls,
                limits=httpx.Limits(max_connections=4, max_keepalive_connections=4,
                                    keepalive_expiry=2))
            self.room_clients[(room, where)] = client
        return client

    async def post(self, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201),
                   where: int = 0, room: int | None = None) -> Any:
        assert self.http is not None
        client = self.clients[where] if room is None else self.room_client(room, where)
        try:
            response = await client.post(path, json=body)
        except httpx.HTTPError as exc:
            self.error(f"http {type(exc).__name__}")
            return None
        if response.status_code not in expect:
            self.error(f"http {response.status_code} {path.split('/')[-1]}")
            return None
        return response.json()

    # setting up

    async def setup(self) -> None:
        # Drop an idle connection before the server's keep-alive timeout (5 s) does: reusing one
        # it is closing at that moment fails with ReadError, the client's fault, not the server's.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64, keepalive_expiry=2)
        self.clients = [httpx.AsyncClient(base_url=proc.url, timeout=60, limits=limits)
                        for proc in self.procs]
        self.http = self.clients[0]
        if self.server.kind == "kiosk":
            login = await self.http.post("/api/login", json={"password": PASSWORD})
            self.login_token = login.json()["token"]
            for client in self.clients:  # the login is in the database: good on every process
                client.headers["Authorization"] = f"Bearer {self.login_token}"
        gate = asyncio.Semaphore(16)

        async def make(i: int) -> Room:
            async with gate:
                return await self.make_room(i)

        self.rooms = list(await asyncio.gather(*(make(i) for i in range(self.n))))
        for room in self.rooms:  # made now, not in the measured flow
            for role in ("console", "display"):
                self.room_client(room.index, self.place(room.index, role))

    async def make_room(self, i: int) -> Room:
        if self.server.kind != "kiosk":
            room = Room(i, f"r{i}", [f"r{i}:{s}" for s in range(1, JUDGES + 1)], f"r{i}", [])
        else:
            where = self.place(i, "console")
            session = await self.post("/api/sessions", {"title": f"压测考场 {i + 1}", "judge_count": JUDGES},
                                      where=where)
            sid = session["id"]
            await self.post(f"/api/sessions/{sid}/positions", {"code": "P1", "name": "科员"},
                            where=where)
            room = Room(i, sid, [j["token"] for j in session["judges"]], session["display"]["token"], [])
        await self.add_interviews(room, self.candidates)
        return room

    async def add_interviews(self, room: Room, count: int) -> list[Any]:
        """Add ``count`` candidates to the room's sitting, drawn after those it has."""
        added = []
        for c in range(len(room.interviews) + 1, len(room.interviews) + count + 1):
            if self.server.kind != "kiosk":
                added.append(f"r{room.index}:{c}")
                continue
            row = await self.post(
                f"/api/sessions/{room.session_id}/interviews",
                {"draw_no": c, "candidate_name": f"考生{room.index}-{c}", "position_code": "P1"},
                where=self.place(room.index, "console"),
            )
            if row is None:
                break
            added.append(row["id"])
        room.interviews.extend(added)
        return added

    async def connect(self, with_console: bool = True) -> int:
        """Open every room's sockets; return how many are open."""
        gate = asyncio.Semaphore(64)
        opened = 0

        async def open_one(room: Room, role: str, key: str, seat: int = 1) -> None:
            nonlocal opened
            proc = self.procs[self.place(room.index, role, seat)]
            async with gate:
                path = {"judge": f"/ws/judge/{key}", "display": f"/ws/display/{key}",
                        "console": f"/ws/console/{key}"}[role]
                # The console socket is the secretary's: authorised by a header, never the URL.
                headers = ({"Authorization": f"Bearer {self.login_token}"}
                           if role == "console" else None)
                try:
                    ws = await websockets.connect(proc.ws_url + path, open_timeout=60,
                                                  max_size=2**22, compression=None,
                                                  ping_interval=None,
                                                  additional_headers=headers)
                except Exception as exc:  # noqa: BLE001 - counted, reported
                    self.error(f"connect {role} {type(exc).__name__}")
                    return
            opened += 1
            room.sockets.append(ws)
            if role == "judge":
                room.judges[key] = ws
            self.readers.append(asyncio.create_task(self.read(room, role, ws)))

        jobs = []
        for room in self.rooms:
            for seat, key in enumerate(room.judge_keys, start=1):
                jobs.append(open_one(room, "judge", key, seat))
            jobs.append(open_one(room, "display", room.display_key))
            if with_console:
                jobs.append(open_one(room, "console", str(room.session_id)))
        await asyncio.gather(*jobs)
        return opened

    async def read(self, room: Room, role: str, ws: Any) -> None:
        try:
            while True:
                # Undecoded: the length is the payload's bytes, and json.loads takes bytes.
                raw = await ws.recv(decode=False)
                now = time.perf_counter()
                self.bytes[role] += len(raw)
                self.frames[role] += 1
                if role == "console":
                    continue  # nothing in it is timed; parsing 27 KB frames would load the client
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "ack":
                    future = self.pending.pop(frame["request_id"], None)
                    if future is not None and not future.done():
                        future.set_result((now, frame["score"]))
                elif kind == "error":
                    self.error(f"ws error {frame.get('code')}")
                    future = self.pending.pop(str(frame.get("request_id")), None)
                    if future is not None and not future.done():
                        future.set_exception(RuntimeError(frame.get("code")))
                elif role == "display" and kind == "state":
                    current = frame.get("current")
                    if current:
                        room.display_frames.append(
                            (now, current["id"], current["submitted"], current["state"]))
                    else:
                        room.display_frames.append((now, None, 0, ""))
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            self.error(f"{role} socket closed early")

    # one interview

    async def start(self, iid: Any, room: Room | None = None) -> bool:
        where = self.place(room.index, "console") if room is not None else 0
        return await self.post(f"/api/interviews/{iid}/start", where=where,
                               room=None if room is None else room.index) is not None

    async def score(self, room: Room, iid: Any, spread: float) -> None:
        """Send the seven marks of ``iid`` within ``spread`` seconds and wait for their acks."""
        await asyncio.gather(*(
            self.submit(room, room.judges[key], iid, seat, spread)
            for seat, key in enumerate(room.judge_keys, start=1) if key in room.judges
        ))

    async def announce_and_sign(self, room: Room, iid: Any, wait: float = 0.3) -> bool:
        await asyncio.sleep(wait)
        if await self.post(f"/api/interviews/{iid}/announce",
                           where=self.place(room.index, "console"), room=room.index) is None:
            return False
        await asyncio.sleep(wait * 2 / 3)
        body = {"interview_id": iid, "strokes": STROKES}
        return await self.post(f"/api/display/{room.display_key}/signature", body,
                               where=self.place(room.index, "display"),
                               room=room.index) is not None

    async def submit(self, room: Room, ws: Any, iid: Any, seat: int, spread: float) -> None:
        if spread > 0:
            await asyncio.sleep(self.rng.uniform(0.05, spread))
        score = f"{self.rng.randint(600, 990) / 10:.1f}"
        mark = Mark(room.index, iid, seat, f"r{room.index}-{iid}-{seat}", score, self.phase)
        room.marks.append(mark)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[mark.request_id] = future
        mark.sent = time.perf_counter()
        await ws.send(json.dumps({"type": "submit", "request_id": mark.request_id,
                                  "interview_id": iid, "score": score}))
        try:
            mark.acked, mark.ack_score = await asyncio.wait_for(future, 60)
        except TimeoutError:
            self.error("ack timeout")
        except RuntimeError:
            pass

    # whole sittings

    async def room_flow(self, room: Room) -> None:
        # Rooms are not in step: each starts somewhere in the first cycle.
        await asyncio.sleep(self.rng.uniform(0, self.spread + self.pause))
        behind: asyncio.Task[bool] | None = None  # the previous candidate's announce and sign
        for n, iid in enumerate(room.interviews):
            if n and self.pause:  # the next candidate's interview before the marks come in
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.pause)
            if not await self.start(iid, room):
                break
            await self.score(room, iid, self.spread)
            if self.pause:
                if not await self.announce_and_sign(room, iid):
                    return
            else:
                # Back to back: k is announced and signs while k+1 is marked; k+1 is announced
                # only once k has signed (the server refuses two candidates on the display).
                behind = asyncio.create_task(self.after(behind, room, iid))
        if behind is not None:
            await behind

    async def after(self, previous: asyncio.Task[bool] | None, room: Room, iid: Any) -> bool:
        if previous is not None and not await previous:
            return False
        return await self.announce_and_sign(room, iid)

    async def flow(self) -> None:
        await asyncio.gather(*(self.room_flow(room) for room in self.rooms))

    async def prefill(self, room: Room, count: int) -> None:
        """Take ``count`` more candidates through a whole interview as fast as the server allows."""
        for iid in await self.add_interviews(room, count):
            if not await self.start(iid, room):
                return
            await self.score(room, iid, 0)
            if not await self.announce_and_sign(room, iid, wait=0):
                return

    # afterwards

    def match_display(self) -> None:
        for room in self.rooms:
            times = [f[0] for f in room.display_frames]
            by_interview: dict[Any, list[Mark]] = {}
            for mark in room.marks:
                if mark.acked is not None:
                    by_interview.setdefault(mark.interview, []).append(mark)
            for iid, marks in by_interview.items():
                marks.sort(key=lambda m: m.acked or 0)
                for rank, mark in enumerate(marks, start=1):
                    for t, current, submitted, _state in room.display_frames[
                        bisect.bisect_right(times, mark.sent):
                    ]:
                        if (current == iid and submitted >= rank) or current != iid:
                            mark.shown = t
                            break

    async def lost_marks(self) -> int:
        """Acknowledged marks that ``GET /api/sessions/{sid}`` does not show as they were acked."""
        if self.server.kind != "kiosk":
            return 0
        lost = 0
        for room in self.rooms:
            assert self.http is not None
            client = self.clients[self.place(room.index, "console")]
            session = (await client.get(f"/api/sessions/{room.session_id}")).json()
            seen = {}
            for interview in session["interviews"]:
                for m in interview["marks"]:
                    if m["submitted"]:
                        seen[(interview["id"], m["seat"])] = m["score"]
            for mark in room.marks:
                if mark.acked is not None and seen.get((mark.interview, mark.seat)) != mark.ack_score:
                    lost += 1
        return lost

    async def close(self) -> None:
        self.closing = True
        for room in self.rooms:
            for ws in room.sockets:
                with contextlib.suppress(Exception):
                    await ws.close()
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        for client in [*self.clients, *self.room_clients.values()]:
            await client.aclose()


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Row:
    target: str
    rooms: int
    sockets: int
    marks: int
    ack: tuple[float, float, float]
    display: tuple[float, float, float]
    marks_per_s: float
    server_cpu: float
    client_cpu: float
    peak_rss_mb: float
    errors: int
    lost: int
    error_kinds: dict[str, int]
    cpu_ms_per_mark: float = 0.0
    load: float = 0.0
    load_end: float = 0.0
    bytes_per_mark: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    ratio: float | None = None  # marks/s over the baseline's at the same rooms, same run
    others_cpu: float | None = None  # CPU % that neither the server nor the load generator used
    processes: int = 1  # kiosk processes on one database (server CPU is their sum)
    database: str = "sqlite"  # the URL's scheme
    peak_rss_each_mb: list[float] = field(default_factory=list)  # a process each
    db_cpu_ms_per_mark: float | None = None  # the PostgreSQL server's, when it runs here


@dataclass
class LengthRow:
    behind: int
    rooms: int
    marks: int
    ack: tuple[float, float, float]
    display: tuple[float, float, float]
    cpu_ms_per_mark: float
    bytes_per_mark: dict[str, float]
    errors: int
    lost: int
    error_kinds: dict[str, int]
    load: float
    load_end: float
    others_cpu: float | None = None
    #: The server's CPU while idle with the same sockets open (ms a second), measured just before.
    idle_cpu_ms_per_s: float | None = None
    #: CPU a mark once that idle rate over the measured wall time is taken off.
    net_cpu_ms_per_mark: float | None = None
    #: "kiosk", or the floor under it at the same rate: "baseline" (bare), "durable" (commits).
    target: str = "kiosk"


def latencies(marks: list[Mark]) -> tuple[list[Mark], list[float], list[float]]:
    acked = [m for m in marks if m.acked is not None]
    ack_ms = [(m.acked - m.sent) * 1000 for m in acked if m.acked is not None]
    shown_ms = [(m.shown - m.sent) * 1000 for m in acked if m.shown is not None]
    return acked, ack_ms, shown_ms


def per_mark(counts: dict[str, int], before: dict[str, int], marks: int) -> dict[str, float]:
    out = {role: (counts[role] - before[role]) / max(1, marks) for role in ROLES}
    out["total"] = sum(out[role] for role in ROLES)
    return out


async def measure(kind: str, rooms: int, args: argparse.Namespace, workdir: Path) -> Row:
    server = make_server(kind, workdir / f"{kind}-{rooms}", args)
    sampler = None
    try:
        server.wait_ready()
        run = Run(server, rooms, args.candidates, args.spread, args.seed + rooms, args.pause)
        await run.setup()
        sockets = await run.connect()
        await asyncio.sleep(1.0)
        sampler = asyncio.create_task(server.sample())
        me = psutil.Process()
        bytes0 = dict(run.bytes)
        load0 = load_avg()
        busy0, db0 = machine_busy(), database_cpu(args.database_url)
        cpu0, me0, t0 = server.cpu(), me.cpu_times(), time.perf_counter()
        profiler = None
        if args.profile and kind == "kiosk" and rooms == max(args.rooms):
            profiler = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(server.proc.pid), "--rate", "200",
                 "--format", "raw", "--output", str(Path(args.out) / f"profile-{rooms}.txt"),
                 "--nonblocking", "--idle", "--threads"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await run.flow()
        await asyncio.sleep(0.5)  # let the last display frames arrive
        t1, cpu1, me1 = time.perf_counter(), server.cpu(), me.cpu_times()
        busy1, bytes1, db1 = machine_busy(), dict(run.bytes), database_cpu(args.database_url)
        db = db1 - db0 if db0 is not None and db1 is not None and kind == "kiosk" else None
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        run.match_display()
        lost = await run.lost_marks()
        await run.close()
        marks = [m for room in run.rooms for m in room.marks]
        acked, ack_ms, shown_ms = latencies(marks)
        if len(shown_ms) < len(acked):
            run.errors["mark never shown on the display"] = len(acked) - len(shown_ms)
        first = min((m.sent for m in marks), default=t0)
        last = max((m.acked for m in acked if m.acked), default=t1)
        wall = t1 - t0
        client = (me1.user + me1.system) - (me0.user + me0.system)
        return Row(
            target=kind, rooms=rooms, sockets=sockets, marks=len(acked),
            ack=(pct(ack_ms, 50), pct(ack_ms, 95), pct(ack_ms, 99)),
            display=(pct(shown_ms, 50), pct(shown_ms, 95), pct(shown_ms, 99)),
            marks_per_s=len(acked) / max(1e-9, last - first),
            server_cpu=100 * (cpu1 - cpu0) / wall,
            client_cpu=100 * client / wall,
            others_cpu=100 * max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - client - (db or 0)) / wall,
            peak_rss_mb=server.peak_rss / 2**20,
            errors=sum(run.errors.values()) + (len(marks) - len(acked) if not run.errors else 0),
            lost=lost,
            error_kinds=dict(run.errors),
            cpu_ms_per_mark=1000 * (cpu1 - cpu0) / max(1, len(acked)),
            load=load0,
            load_end=load_avg(),
            bytes_per_mark=per_mark(bytes1, bytes0, len(acked)),
            wall_s=wall,
            processes=len(run.procs),
            database=(args.database_url or "sqlite").split("://")[0] if kind == "kiosk" else "–",
            peak_rss_each_mb=[s.peak_rss / 2**20 for s in run.procs],
            db_cpu_ms_per_mark=None if db is None else 1000 * db / max(1, len(acked)),
        )
    finally:
        if sampler is not None:
            sampler.cancel()
        server.stop()


async def measure_lengths(args: argparse.Namespace, workdir: Path,
                          kind: str = "kiosk") -> list[LengthRow]:
    """CPU and bytes a mark with ``args.lengths`` whole interviews already in each sitting.

    ``kind`` "baseline" or "durable": the same rooms, rounds and rate against the bare baseline
    (which keeps no sitting: one row) or the baseline that commits each mark first, the floor
    any server keeping the durability rule pays on this machine at this rate.
    """
    server = make_server(kind, workdir / f"{kind}-lengths", args)
    rows: list[LengthRow] = []
    try:
        server.wait_ready()
        run = Run(server, args.length_rooms, 0, args.spread, args.seed)
        await run.setup()
        await run.connect()
        await asyncio.sleep(1.0)
        done = 0
        for behind in args.lengths if kind == "kiosk" else [0]:
            run.phase = "prefill"
            await asyncio.gather(*(run.prefill(room, behind - done) for room in run.rooms))
            done = behind
            run.phase = f"behind {behind}"
            # What the process costs doing nothing, sockets open: on this VM a sleeping process
            # is charged CPU by the wall clock (uvicorn's 10 Hz tick alone shows ~16 ms a second).
            await asyncio.sleep(1.0)
            idle0, idle_t0 = server.cpu(), time.perf_counter()
            await asyncio.sleep(IDLE_PROBE)
            idle_rate = (server.cpu() - idle0) / (time.perf_counter() - idle_t0)
            cpu = others = wall = 0.0
            counted = dict.fromkeys(ROLES, 0)
            load0 = load_avg()
            errors_before = dict(run.errors)
            for _ in range(args.length_rounds):
                added = await asyncio.gather(*(run.add_interviews(room, 1) for room in run.rooms))
                pairs = [(room, iids[0]) for room, iids in zip(run.rooms, added, strict=True) if iids]
                started = await asyncio.gather(*(run.start(iid, room) for room, iid in pairs))
                live = [pair for pair, ok in zip(pairs, started, strict=True) if ok]
                await asyncio.sleep(0.3)  # the start's frames are not a mark's
                cpu0, bytes0 = server.cpu(), dict(run.bytes)
                me0, busy0, t0 = psutil.Process().cpu_times(), machine_busy(), time.perf_counter()
                await asyncio.gather(*(run.score(room, iid, args.spread) for room, iid in live))
                await asyncio.sleep(0.3)  # the last mark's frames (the interview scored)
                me1, busy1, t1 = psutil.Process().cpu_times(), machine_busy(), time.perf_counter()
                cpu += server.cpu() - cpu0
                others += (busy1 - busy0) - (server.cpu() - cpu0) - (
                    me1.user + me1.system - me0.user - me0.system)
                wall += t1 - t0
                for role in ROLES:
                    counted[role] += run.bytes[role] - bytes0[role]
                await asyncio.gather(*(run.announce_and_sign(room, iid, wait=0) for room, iid in live))
                done += 1
            run.match_display()
            marks = [m for room in run.rooms for m in room.marks if m.phase == run.phase]
            acked, ack_ms, shown_ms = latencies(marks)
            new_errors = {k: v - errors_before.get(k, 0) for k, v in run.errors.items()
                          if v > errors_before.get(k, 0)}
            rows.append(LengthRow(
                behind=behind, rooms=len(run.rooms), marks=len(acked),
                ack=(pct(ack_ms, 50), pct(ack_ms, 95), pct(ack_ms, 99)),
                display=(pct(shown_ms, 50), pct(shown_ms, 95), pct(shown_ms, 99)),
                cpu_ms_per_mark=1000 * cpu / max(1, len(acked)),
                bytes_per_mark=per_mark(counted, dict.fromkeys(ROLES, 0), len(acked)),
                errors=sum(new_errors.values()) + len(marks) - len(acked), lost=0,
                error_kinds=new_errors, load=load0, load_end=load_avg(),
                others_cpu=100 * max(0.0, others) / max(1e-9, wall),
                idle_cpu_ms_per_s=1000 * idle_rate,
                net_cpu_ms_per_mark=1000 * max(0.0, cpu - idle_rate * wall) / max(1, len(acked)),
                target=kind,
            ))
            print(length_table([rows[-1]]).splitlines()[-1], flush=True)
        lost = await run.lost_marks() if kind == "kiosk" else 0
        if lost:
            rows[-1].lost = lost
        await run.close()
        return rows
    finally:
        server.stop()


async def idle_sockets(kind: str, count: int, args: argparse.Namespace, workdir: Path) -> tuple[int, float, float]:
    """Open ``count`` judge and display sockets and leave them idle; return (open, RSS MB, before MB)."""
    server = make_server(kind, workdir / f"{kind}-idle", args)
    try:
        server.wait_ready()
        run = Run(server, -(-count // (JUDGES + 1)), 1, args.spread, args.seed)
        await run.setup()
        before = server.rss() / 2**20
        opened = await run.connect(with_console=False)
        await asyncio.sleep(5)
        rss = server.rss() / 2**20
        await run.close()
        return opened, rss, before
    finally:
        server.stop()


# --- output ----------------------------------------------------------------------------------


def fmt3(t: tuple[float, float, float] | list[float]) -> str:
    return " / ".join(f"{v:.1f}" if v < 1000 else f"{v:.0f}" for v in t)


def whole(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def kb(value: float) -> str:
    return f"{value / 1000:.1f}"


def table(rows: list[Row], label: str | None = None) -> str:
    head = ("| target | rooms | marks | ack p50/p95/p99 ms | display p50/p95/p99 ms "
            "| marks/s | ÷ baseline | server CPU % | CPU ms/mark | KB/mark to screens | client CPU % "
            "| others' CPU % | peak RSS MB | errors | lost | load avg (start→end) |")
    if label is not None:
        head = "| code " + head
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "–"
        lines.append(
            ("" if label is None else f"| {label} ")
            + f"| {r.target} | {r.rooms} | {r.marks} | {fmt3(r.ack)} | {fmt3(r.display)} "
            f"| {r.marks_per_s:.0f} | {ratio} | {r.server_cpu:.0f} | {r.cpu_ms_per_mark:.2f} "
            f"| {kb(r.bytes_per_mark.get('total', 0))} | {r.client_cpu:.0f} | {whole(r.others_cpu)} "
            f"| {r.peak_rss_mb:.0f} "
            f"| {r.errors} | {r.lost} | {r.load:.1f}→{r.load_end:.1f} |"
        )
    return "\n".join(lines)


def processes_table(rows: list[Row], label: str | None = None) -> str:
    """The kiosk rows by processes and database: throughput, p99s, CPU a mark, RSS a process."""
    head = ("| rooms | processes | database | marks | marks/s | ack p50/p95/p99 ms | display p99 ms "
            "| server CPU % (sum) | CPU ms/mark | + PostgreSQL's CPU ms/mark | peak RSS MB a process "
            "| errors | lost "
            "| load avg (start→end) |")
    if label is not None:
        head = "| run " + head
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        rss = " / ".join(f"{v:.0f}" for v in r.peak_rss_each_mb) or f"{r.peak_rss_mb:.0f}"
        lines.append(
            ("" if label is None else f"| {label} ")
            + f"| {r.rooms} | {r.processes} | {r.database} | {r.marks} | {r.marks_per_s:.0f} "
            f"| {fmt3(r.ack)} | {r.display[2]:.1f} | {r.server_cpu:.0f} | {r.cpu_ms_per_mark:.2f} "
            f"| {'–' if r.db_cpu_ms_per_mark is None else f'{r.db_cpu_ms_per_mark:.2f}'} | {rss} | {r.errors} | {r.lost} | {r.load:.1f}→{r.load_end:.1f} |"
        )
    return "\n".join(lines)


#: How the length table names the floors measured beside the kiosk.
FLOORS = {"baseline": "bare baseline (no database)",
          "durable": "baseline committing each mark (one fsync) on a writer thread",
          "inline": "baseline committing each mark (one fsync) on its event loop"}


def length_table(rows: list[LengthRow], label: str | None = None) -> str:
    head = ("| server | interviews already in the sitting | rooms | marks | CPU ms/mark "
            "| server idle CPU ms/s | CPU ms/mark above idle "
            "| KB/mark: all screens (judges / display / console) | ack p99 ms | display p99 ms "
            "| others' CPU % | errors | lost | load avg |")
    if label is not None:
        head = "| code " + head
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        b = r.bytes_per_mark
        lines.append(
            ("" if label is None else f"| {label} ")
            + f"| {FLOORS.get(r.target, r.target)} "
            + f"| {r.behind if r.target == 'kiosk' else '–'} | {r.rooms} | {r.marks} "
            f"| {r.cpu_ms_per_mark:.2f} "
            f"| {whole(r.idle_cpu_ms_per_s)} "
            f"| {'–' if r.net_cpu_ms_per_mark is None else f'{r.net_cpu_ms_per_mark:.2f}'} "
            f"| {kb(b['total'])} ({kb(b['judge'])} / {kb(b['display'])} / {kb(b['console'])}) "
            f"| {r.ack[2]:.1f} | {r.display[2]:.1f} | {whole(r.others_cpu)} | {r.errors} | {r.lost} "
            f"| {r.load:.1f}→{r.load_end:.1f} |"
        )
    return "\n".join(lines)


def plot_paced(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for target, style in (("kiosk", "-"), ("baseline", "--")):
        mine = sorted((r for r in rows if r.target == target), key=lambda r: r.rooms)
        if not mine:
            continue
        x = [r.rooms for r in mine]
        left.plot(x, [r.ack[2] for r in mine], style + "o", label=f"{target} submit→ack p99")
        left.plot(x, [r.display[2] for r in mine], style + "s", label=f"{target} submit→display p99")
        right.plot(x, [r.marks_per_s for r in mine], style + "o", label=f"{target} marks/s")
        right.plot(x, [r.server_cpu for r in mine], style + "^", label=f"{target} server CPU %")
    left.axhline(50, color="grey", lw=0.6, ls=":")
    left.axhline(100, color="grey", lw=0.6, ls=":")
    left.axhline(250, color="grey", lw=0.6, ls=":")
    left.set(xlabel="rooms (7 judges + display + console each)", ylabel="ms", yscale="log",
             title="p99 latency (targets 50 / 100 / 250 ms dotted)")
    right.set(xlabel="rooms", title="throughput and server CPU (100 % = one core)")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("interview-kiosk under load: one server process, SQLite synchronous=FULL, 2 cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_backtoback(results: list[tuple[str, dict[str, Any]]], path: Path) -> None:
    """p99 and marks/s against rooms, and CPU a mark against the sitting's length, per code version."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
    colours = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    for n, (label, result) in enumerate(results):
        colour = colours[n % len(colours)]
        name = f"kiosk {label}".strip()
        base_name = f"baseline ({label} run)" if label else "baseline"
        rows = [Row(**r) for r in result["rows"]]
        kiosk = sorted((r for r in rows if r.target == "kiosk"), key=lambda r: r.rooms)
        base = sorted((r for r in rows if r.target == "baseline"), key=lambda r: r.rooms)
        if kiosk:
            x = [r.rooms for r in kiosk]
            left.plot(x, [r.ack[2] for r in kiosk], "-o", color=colour, label=f"{name}: ack p99")
            left.plot(x, [r.display[2] for r in kiosk], "-s", color=colour, alpha=0.6,
                      label=f"{name}: display p99")
            middle.plot(x, [r.marks_per_s for r in kiosk], "-o", color=colour, label=name)
        if base:
            x = [r.rooms for r in base]
            left.plot(x, [r.display[2] for r in base], "--^", color=colour, alpha=0.5,
                      label=f"{base_name}: display p99")
            middle.plot(x, [r.marks_per_s for r in base], "--^", color=colour, alpha=0.5,
                        label=base_name)
        lengths = [LengthRow(**r) for r in result.get("lengths", [])
                   if r.get("target", "kiosk") == "kiosk"]
        if lengths:
            right.plot([r.behind for r in lengths], [r.cpu_ms_per_mark for r in lengths], "-o",
                       color=colour, label=name)
    offered = sorted({r["rooms"] for _, res in results for r in res["rows"]})
    if offered:
        middle.plot(offered, [3.5 * n for n in offered], ":x", color="grey",
                    label="offered (3.5/s a room)")
    for y in (50, 100, 250):
        left.axhline(y, color="grey", lw=0.6, ls=":")
    right.axhline(1, color="grey", lw=0.6, ls=":")
    left.set(xlabel="rooms, back to back (7 judges + display + console each)", ylabel="ms",
             yscale="log", title="p99 latency (targets 50 / 100 / 250 ms dotted)")
    middle.set(xlabel="rooms", ylabel="acknowledged marks / s", title="throughput")
    right.set(xlabel="interviews already in the sitting", ylabel="server CPU ms a mark",
              title="CPU a mark vs sitting length (target 1 ms)", ylim=(0, None))
    for ax in (left, middle, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("interview-kiosk, interviews back to back: one server process, SQLite "
                 "synchronous=FULL, 2 cores shared with the load generator (and whatever else "
                 "runs: see others' CPU in RESULTS.md)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def config_lines(args: argparse.Namespace) -> list[str]:
    db = "SQLite synchronous=FULL" if not args.database_url else args.database_url.split("://")[0]
    mode = ("back to back: the next interview starts as soon as the last is scored, the last is "
            "announced (+0.3 s) and signs (+0.5 s) while the next is marked"
            if not args.pause else
            f"paced: {args.pause:.1f} s (±50 %) between a signature and the next start")
    return [
        f"Machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        + (f"one server process ({db})" if getattr(args, "processes", 1) == 1 else
         f"{args.processes} kiosk processes on one {db} database, each room's sockets dealt "
         "across them (server CPU is their sum)")
        + "; the load generator is one asyncio process on the same cores.  ",
        f"Each room: {JUDGES} judge sockets, a display socket, a console socket; "
        f"{args.candidates} candidates a room, marks spread over {args.spread:.1f} s, {mode}.  ",
        "CPU % is CPU time over the flow's wall time (100 % = one core); CPU ms/mark is the "
        "server's CPU over the flow (starts, announcements and signatures included) divided by "
        "the marks; KB/mark is every frame payload all the screens received over the flow "
        "divided by the marks; 'client CPU' is the load generator's own; 'others' CPU' is what "
        "the rest of the machine (other people's work) took meanwhile, of the 200 % there is.",
    ]


def target_checks(result: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """Issue 8's targets: (target, measured, met)."""
    rows = [Row(**r) for r in result["rows"]]
    every = [LengthRow(**r) for r in result.get("lengths", [])]
    lengths = [r for r in every if r.target == "kiosk"]
    floors = {r.target: r for r in every if r.target != "kiosk"}
    kiosk = {r.rooms: r for r in rows if r.target == "kiosk"}
    out: list[tuple[str, str, bool | None]] = []
    if lengths:
        worst = max(r.cpu_ms_per_mark for r in lengths)
        behind = " and ".join(str(r.behind) for r in lengths)
        out.append((f"CPU a mark ≤ 1 ms (marks alone, {behind} interviews behind)",
                    " / ".join(f"{r.cpu_ms_per_mark:.2f}" for r in lengths) + " ms", worst <= 1.0))
        if all(r.net_cpu_ms_per_mark is not None for r in lengths):
            out.append(("the same, less the server's idle CPU over the same wall time",
                        " / ".join(f"{r.net_cpu_ms_per_mark:.2f}" for r in lengths) + " ms "
                        "(idle: " + " / ".join(f"{whole(r.idle_cpu_ms_per_s)}" for r in lengths)
                        + " ms a second)", None))
        for name, floor in floors.items():
            out.append((f"the same, less the CPU a mark of a floor at the same rate: {FLOORS[name]}",
                        " / ".join(f"{r.cpu_ms_per_mark - floor.cpu_ms_per_mark:.2f}"
                                   for r in lengths) + f" ms (the floor: {floor.cpu_ms_per_mark:.2f} ms)",
                        None))
        if len(lengths) >= 2:
            a, b = lengths[0].cpu_ms_per_mark, lengths[-1].cpu_ms_per_mark
            out.append((f"same within 20 % at {lengths[0].behind} and {lengths[-1].behind}",
                        f"{b / a:.2f}×", abs(b / a - 1) <= 0.20))
        out.append(("bytes to a sitting's screens a mark ≤ 5 KB (marks alone)",
                    " / ".join(f"{kb(r.bytes_per_mark['total'])}" for r in lengths) + " KB",
                    max(r.bytes_per_mark["total"] for r in lengths) <= 5000))
    if kiosk:
        out.append(("CPU a mark, back to back, all in (starts, announcements, signatures)",
                    " / ".join(f"{r.cpu_ms_per_mark:.2f}" for r in kiosk.values()) + " ms", None))
        out.append(("marks/s one core could carry at that CPU a mark (1000 ÷ ms), whatever else "
                    "runs on the machine; a room back to back offers 3.5/s",
                    " / ".join(f"{1000 / r.cpu_ms_per_mark:.0f}" for r in kiosk.values()), None))
        out.append(("KB a mark, back to back, all in",
                    " / ".join(kb(r.bytes_per_mark.get("total", 0)) for r in kiosk.values()) + " KB",
                    None))
    if 50 in kiosk:
        r = kiosk[50]
        out.append(("50 rooms back to back: ack p99 ≤ 50 ms, display p99 ≤ 100 ms",
                    f"{r.ack[2]:.1f} / {r.display[2]:.1f} ms",
                    r.ack[2] <= 50 and r.display[2] <= 100 and not r.errors and not r.lost))
    if 200 in kiosk:
        r = kiosk[200]
        ratio = r.ratio if r.ratio is not None else float("nan")
        out.append(("200 rooms: ≥ 90 % of the baseline's marks/s, display p99 ≤ 250 ms",
                    f"{100 * ratio:.0f} % ({r.marks_per_s:.0f} ÷ {r.marks_per_s / ratio:.0f}), "
                    f"{r.display[2]:.0f} ms" if r.ratio else f"{r.display[2]:.0f} ms, no baseline",
                    bool(r.ratio and ratio >= 0.9 and r.display[2] <= 250 and not r.errors
                         and not r.lost)))
    idle = result.get("idle", {}).get("kiosk")
    if idle:
        out.append((f"{idle['opened']} idle sockets ≤ 150 MB RSS", f"{idle['rss']:.0f} MB",
                    idle["rss"] <= 150))
    return out


def mark(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "–"}[met]


def report(result: dict[str, Any]) -> str:
    args = argparse.Namespace(**result["args"])
    rows = [Row(**r) for r in result["rows"]]
    lengths = [LengthRow(**r) for r in result.get("lengths", [])]
    code = result["code"]
    lines = [
        "# interview-kiosk load benchmark",
        "",
        f"Command: `{result['command']}`  ",
        f"Run: {result['started']} UTC, {result['seconds']:.0f} s, load average "
        f"{result['load_start']:.1f} at the start, {result['load_end']:.1f} at the end.  ",
        f"Server code: `{code['server_file']}` (commit {code['commit']}, changes to server/ "
        f"beyond it: {code['server_changes']}).  ",
        *config_lines(args),
        "",
        table(rows),
    ]
    if args.database_url or getattr(args, "processes", 1) > 1:
        lines += ["", processes_table([r for r in rows if r.target == "kiosk"])]
    if lengths:
        lines += ["", "CPU and bytes a mark against the sitting's length (the marks alone: "
                  f"{lengths[0].rooms} rooms, {args.length_rounds} interviews each):", "",
                  length_table(lengths)]
    for kind, idle in result.get("idle", {}).items():
        lines.append(f"- {kind}: {idle['opened']} idle sockets, server RSS {idle['rss']:.0f} MB "
                     f"({idle['before']:.0f} MB before they opened)")
    checks = target_checks(result)
    if checks:
        lines += ["", "| issue 8 target | measured | |", "|---|---|---|"]
        lines += [f"| {t} | {m} | {mark(ok)} |" for t, m, ok in checks]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    code = describe_code(args.server_dir)
    print(f"kiosk server code: {code['server_file']} ({code['commit']}, changes: "
          f"{code['server_changes']})", flush=True)
    result: dict[str, Any] = {
        "command": " ".join(["python -m bench"] + sys.argv[1:]),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "load_start": load_avg(),
        "code": code,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [], "lengths": [], "idle": {},
    }
    started = time.monotonic()
    rows: list[Row] = []
    targets = ["kiosk"] + ([] if args.no_baseline else ["baseline"])
    for n in args.rooms:
        for kind in targets:
            row = await measure(kind, n, args, workdir)
            rows.append(row)
            extra = f"  {row.error_kinds}" if row.error_kinds else ""
            print(table([row]).splitlines()[-1] + extra, flush=True)
        base = next((r for r in rows if r.target == "baseline" and r.rooms == n), None)
        kiosk = next((r for r in rows if r.target == "kiosk" and r.rooms == n), None)
        if base and kiosk and base.marks_per_s:
            kiosk.ratio = kiosk.marks_per_s / base.marks_per_s
    lengths: list[LengthRow] = []
    if args.lengths:
        # The floors first, at the same rooms, rounds and rate: what this machine charges any
        # server for a mark at this rate (its wake-ups), with and without a commit a mark.
        for kind in [] if args.no_baseline else ["baseline", "durable", "inline"]:
            lengths += await measure_lengths(args, workdir, kind)
        lengths += await measure_lengths(args, workdir)
    for kind in targets if args.idle else []:
        opened, rss, before = await idle_sockets(kind, args.idle, args, workdir)
        result["idle"][kind] = {"opened": opened, "rss": rss, "before": before}
        print(f"{kind}: {opened} idle sockets, server RSS {rss:.0f} MB ({before:.0f} MB before)",
              flush=True)
    result["rows"] = [asdict(r) for r in rows]
    result["lengths"] = [asdict(r) for r in lengths]
    result["seconds"] = time.monotonic() - started
    result["load_end"] = load_avg()
    text = report(result)
    print()
    print(text)
    (out / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    (out / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    if args.pause:
        plot_paced(rows, out / "latency.png")
        picture = out / "latency.png"
    else:
        plot_backtoback([("", result)], out / "backtoback.png")
        picture = out / "backtoback.png"
    print(f"\nwrote {out / 'RESULTS.md'}, {out / 'results.json'} and {picture}")
    if not args.keep:  # (ignore_errors=not keep removed the directories --keep was to keep)
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"kept the servers' work directories in {workdir}")
    bad = sum(r.errors + r.lost for r in rows if r.target == "kiosk")
    bad += sum(r.errors + r.lost for r in lengths if r.target == "kiosk")
    return 1 if bad else 0


def numbers(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip() and int(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="50,100,200",
                        help="comma-separated room counts (default: %(default)s)")
    parser.add_argument("--candidates", type=int, default=4, help="interviews per room (%(default)s)")
    parser.add_argument("--spread", type=float, default=2.0,
                        help="seconds over which a room's seven marks arrive (%(default)s)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds (±50%%) of interview between a signature and the next start; "
                             "0 = back to back, the harshest (%(default)s)")
    parser.add_argument("--lengths", default="5,60",
                        help="interviews already in the sitting when CPU and bytes a mark are "
                             "measured; 0 to skip (%(default)s)")
    parser.add_argument("--length-rooms", type=int, default=8,
                        help="rooms for the sitting-length measurement (%(default)s)")
    parser.add_argument("--length-rounds", type=int, default=3,
                        help="interviews measured a room at each length (%(default)s)")
    parser.add_argument("--idle", type=int, default=2000,
                        help="idle sockets for the memory check, 0 to skip (%(default)s)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare uvicorn baseline")
    parser.add_argument("--server-dir", type=Path, default=ROOT,
                        help="the checkout whose server/ the kiosk runs, e.g. a git worktree of "
                             "an older commit; this venv's packages (default: %(default)s)")
    parser.add_argument("--database-url", default=None,
                        help="run the kiosk on this database instead of a fresh SQLite file "
                             "(a PostgreSQL URL; the server gets it as KIOSK_DATABASE_URL)")
    parser.add_argument("--processes", type=int, default=1,
                        help="kiosk processes on free ports against --database-url; each room's "
                             "judges are dealt across them, its display on another process than "
                             "its first judge, its console on a third when ≥ 3 (%(default)s)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy record the server during the largest run (speedscope JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the servers' work directories")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    args = parser.parse_args(argv)
    args.rooms = numbers(args.rooms)
    args.lengths = sorted(set(numbers(args.lengths)))
    args.server_dir = args.server_dir.resolve()
    if args.processes < 1 or (args.processes > 1 and not args.database_url):
        parser.error("--processes N > 1 needs --database-url (a PostgreSQL database they share)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        return uvloop.run(main_async(args))
    except ImportError:
        return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
