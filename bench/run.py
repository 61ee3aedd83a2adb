"""Load generator: N rooms at once against a real ``kiosk serve`` process, and the bare baseline.

Each room has 7 judge sockets, a display socket and a console socket (``/ws/console/{sid}`` with
the login token) and goes through whole sittings: the secretary starts an interview over HTTP,
the seven marks arrive within a couple of seconds with random spacing, the secretary announces,
the candidate signs on the display. Everything runs in this one asyncio process (uvloop), which
shares the machine's cores with the server: its CPU is measured and printed beside the server's.

    .venv/bin/python -m bench                      # 10, 50, 100, 200, 400 rooms + 2,000 idle sockets
    .venv/bin/python -m bench --rooms 10,50 --idle 0 --no-baseline     # a quick run
    .venv/bin/python -m bench --rooms 50 --pause 0 --candidates 3      # back to back: capacity

Pacing: a real interview lasts 10 to 20 minutes; here the next candidate starts 20 s (±50 %)
after the last one signed (``--pause``), and the rooms start at random within the first cycle,
so the marks arrive at a steady rate with bursts of seven. ``--pause 0`` runs the sittings back
to back, which measures the server's capacity rather than its latency.

Latencies are taken in this process: submit→ack is from sending the frame to reading its ack;
submit→display is from sending the frame to the first display frame that counts the mark (the
n-th acknowledged mark of an interview is shown when the display's ``submitted`` reaches n, or
the interview has left ``interviewing``). After each run every acknowledged mark is looked up
with ``GET /api/sessions/{sid}``: one missing or different is a lost mark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-secretary-pw"
JUDGES = 7
STROKES = [[[10, 10, 0], [60, 40, 16], [120, 80, 32], [160, 30, 48]]]


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


# --- the server under test -------------------------------------------------------------------


class Server:
    """A server subprocess on a free loopback port, watched with psutil."""

    def __init__(self, kind: str, workdir: Path, database_url: str | None = None) -> None:
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if kind == "kiosk":
            env["KIOSK_DATABASE_URL"] = database_url or f"sqlite:///{workdir}/kiosk.db"
            env["KIOSK_SECRETARY_PASSWORD"] = PASSWORD
            env["KIOSK_WS_RATE"] = "50"
            # Every simulated phone connects from 127.0.0.1: lift the per-address socket cap, and
            # the connection cap above the 2,000 idle sockets plus 400 rooms of 9.
            env["KIOSK_WS_MAX_PER_ADDRESS"] = "0"
            env["KIOSK_MAX_CONNECTIONS"] = "10000"
            cmd = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning"]
        else:
            cmd = [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--ws-per-message-deflate",
                   "false", "--ws-max-size", "4096"]
        self.log = open(workdir / "server.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.peak_rss = 0
        self._sampling = False

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


# --- one room --------------------------------------------------------------------------------


@dataclass
class Mark:
    room: int
    interview: int
    seat: int
    request_id: str
    score: str
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


class Run:
    """One load run of ``rooms`` rooms against one server."""

    def __init__(self, server: Server, rooms: int, candidates: int, spread: float, seed: int,
                 pause: float = 0.0) -> None:
        self.server = server
        self.pause = pause
        self.n = rooms
        self.candidates = candidates
        self.spread = spread
        self.rng = random.Random(seed)
        self.rooms: list[Room] = []
        self.errors: dict[str, int] = {}
        self.pending: dict[str, asyncio.Future[float]] = {}
        self.readers: list[asyncio.Task[None]] = []
        self.http: httpx.AsyncClient | None = None
        self.login_token = ""
        self.closing = False

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def post(self, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        assert self.http is not None
        try:
            response = await self.http.post(path, json=body)
        except httpx.HTTPError as exc:
            self.error(f"http {type(exc).__name__}")
            return None
        if response.status_code not in expect:
            self.error(f"http {response.status_code} {path.split('/')[-1]}")
            return None
        return response.json()

    # setting up

    async def setup(self) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        self.http = httpx.AsyncClient(base_url=self.server.url, timeout=60, limits=limits)
        if self.server.kind == "kiosk":
            login = await self.http.post("/api/login", json={"password": PASSWORD})
            self.login_token = login.json()["token"]
            self.http.headers["Authorization"] = f"Bearer {self.login_token}"
        gate = asyncio.Semaphore(16)

        async def make(i: int) -> Room:
            async with gate:
                return await self.make_room(i)

        self.rooms = list(await asyncio.gather(*(make(i) for i in range(self.n))))

    async def make_room(self, i: int) -> Room:
        if self.server.kind != "kiosk":
            return Room(i, f"r{i}", [f"r{i}:{s}" for s in range(1, JUDGES + 1)], f"r{i}",
                        [f"r{i}:{c}" for c in range(1, self.candidates + 1)])
        session = await self.post("/api/sessions", {"title": f"压测考场 {i + 1}", "judge_count": JUDGES})
        sid = session["id"]
        await self.post(f"/api/sessions/{sid}/positions", {"code": "P1", "name": "科员"})
        interviews = []
        for c in range(1, self.candidates + 1):
            row = await self.post(
                f"/api/sessions/{sid}/interviews",
                {"draw_no": c, "candidate_name": f"考生{i}-{c}", "position_code": "P1"},
            )
            interviews.append(row["id"])
        return Room(i, sid, [j["token"] for j in session["judges"]], session["display"]["token"],
                    interviews)

    async def connect(self, with_console: bool = True) -> int:
        """Open every room's sockets; return how many are open."""
        gate = asyncio.Semaphore(64)
        opened = 0

        async def open_one(room: Room, role: str, key: str) -> None:
            nonlocal opened
            async with gate:
                path = {"judge": f"/ws/judge/{key}", "display": f"/ws/display/{key}",
                        "console": f"/ws/console/{key}"}[role]
                # The console socket is the secretary's: authorised by a header, never the URL.
                headers = ({"Authorization": f"Bearer {self.login_token}"}
                           if role == "console" else None)
                try:
                    ws = await websockets.connect(self.server.ws_url + path, open_timeout=60,
                                                  max_size=2**22, compression=None,
                                                  ping_interval=None,
                                                  additional_headers=headers)
                except Exception as exc:  # noqa: BLE001 - counted, reported
                    self.error(f"connect {role} {type(exc).__name__}")
                    return
            opened += 1
            room.sockets.append(ws)
            self.readers.append(asyncio.create_task(self.read(room, role, ws)))

        jobs = []
        for room in self.rooms:
            for key in room.judge_keys:
                jobs.append(open_one(room, "judge", key))
            jobs.append(open_one(room, "display", room.display_key))
            if with_console:
                jobs.append(open_one(room, "console", str(room.session_id)))
        await asyncio.gather(*jobs)
        return opened

    async def read(self, room: Room, role: str, ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.perf_counter()
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

    # the sittings

    async def room_flow(self, room: Room) -> None:
        # Rooms are not in step: each starts somewhere in the first cycle.
        await asyncio.sleep(self.rng.uniform(0, self.spread + self.pause))
        judges = [ws for ws in room.sockets if ws.request.path.startswith("/ws/judge/")]
        judges.sort(key=lambda ws: ws.request.path)
        by_key = {ws.request.path.rsplit("/", 1)[1]: ws for ws in judges}
        for n, iid in enumerate(room.interviews):
            if n and self.pause:  # the next candidate's interview before the marks come in
                await asyncio.sleep(self.rng.uniform(0.5, 1.5) * self.pause)
            if await self.post(f"/api/interviews/{iid}/start") is None:
                return
            await asyncio.gather(*(
                self.submit(room, by_key[key], iid, seat)
                for seat, key in enumerate(room.judge_keys, start=1) if key in by_key
            ))
            await asyncio.sleep(0.3)
            if await self.post(f"/api/interviews/{iid}/announce") is None:
                return
            await asyncio.sleep(0.2)
            body = {"interview_id": iid, "strokes": STROKES}
            if await self.post(f"/api/display/{room.display_key}/signature", body) is None:
                return

    async def submit(self, room: Room, ws: Any, iid: Any, seat: int) -> None:
        await asyncio.sleep(self.rng.uniform(0.05, self.spread))
        score = f"{self.rng.randint(600, 990) / 10:.1f}"
        mark = Mark(room.index, iid, seat, f"r{room.index}-{iid}-{seat}", score)
        room.marks.append(mark)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[mark.request_id] = future
        mark.sent = time.perf_counter()
        await ws.send(json.dumps({"type": "submit", "request_id": mark.request_id,
                                  "interview_id": iid, "score": score}))
        try:
            mark.acked, mark.ack_score = await asyncio.wait_for(future, 30)
        except TimeoutError:
            self.error("ack timeout")
        except RuntimeError:
            pass

    async def flow(self) -> None:
        await asyncio.gather(*(self.room_flow(room) for room in self.rooms))

    # afterwards

    def match_display(self) -> None:
        for room in self.rooms:
            by_interview: dict[Any, list[Mark]] = {}
            for mark in room.marks:
                if mark.acked is not None:
                    by_interview.setdefault(mark.interview, []).append(mark)
            for iid, marks in by_interview.items():
                marks.sort(key=lambda m: m.acked or 0)
                for rank, mark in enumerate(marks, start=1):
                    for t, current, submitted, _state in room.display_frames:
                        if t <= mark.sent:
                            continue
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
            session = (await self.http.get(f"/api/sessions/{room.session_id}")).json()
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
        if self.http is not None:
            await self.http.aclose()


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


async def measure(kind: str, rooms: int, args: argparse.Namespace, workdir: Path) -> Row:
    server = Server(kind, workdir / f"{kind}-{rooms}", args.database_url)
    sampler = None
    try:
        server.wait_ready()
        run = Run(server, rooms, args.candidates, args.spread, args.seed + rooms, args.pause)
        await run.setup()
        sockets = await run.connect()
        await asyncio.sleep(1.0)
        sampler = asyncio.create_task(server.sample())
        me = psutil.Process()
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
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(30)
        run.match_display()
        lost = await run.lost_marks()
        await run.close()
        marks = [m for room in run.rooms for m in room.marks]
        acked = [m for m in marks if m.acked is not None]
        ack_ms = [(m.acked - m.sent) * 1000 for m in acked if m.acked is not None]
        shown_ms = [(m.shown - m.sent) * 1000 for m in acked if m.shown is not None]
        if len(shown_ms) < len(acked):
            run.errors["mark never shown on the display"] = len(acked) - len(shown_ms)
        first = min((m.sent for m in marks), default=t0)
        last = max((m.acked for m in acked if m.acked), default=t1)
        wall = t1 - t0
        return Row(
            target=kind, rooms=rooms, sockets=sockets, marks=len(acked),
            ack=(pct(ack_ms, 50), pct(ack_ms, 95), pct(ack_ms, 99)),
            display=(pct(shown_ms, 50), pct(shown_ms, 95), pct(shown_ms, 99)),
            marks_per_s=len(acked) / max(1e-9, last - first),
            server_cpu=100 * (cpu1 - cpu0) / wall,
            client_cpu=100 * ((me1.user + me1.system) - (me0.user + me0.system)) / wall,
            peak_rss_mb=server.peak_rss / 2**20,
            errors=sum(run.errors.values()) + (len(marks) - len(acked) if not run.errors else 0),
            lost=lost,
            error_kinds=dict(run.errors),
            cpu_ms_per_mark=1000 * (cpu1 - cpu0) / max(1, len(acked)),
            load=os.getloadavg()[0],
        )
    finally:
        if sampler is not None:
            sampler.cancel()
        server.stop()


async def idle_sockets(kind: str, count: int, args: argparse.Namespace, workdir: Path) -> tuple[int, float, float]:
    """Open ``count`` judge and display sockets and leave them idle; return (open, RSS MB, before MB)."""
    server = Server(kind, workdir / f"{kind}-idle", args.database_url)
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


def table(rows: list[Row]) -> str:
    head = ("| target | rooms | sockets | marks | ack p50/p95/p99 ms | display p50/p95/p99 ms "
            "| marks/s | server CPU % | CPU ms/mark | client CPU % | peak RSS MB | errors | lost "
            "| load avg |")
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        lines.append(
            f"| {r.target} | {r.rooms} | {r.sockets} | {r.marks} "
            f"| {r.ack[0]:.1f} / {r.ack[1]:.1f} / {r.ack[2]:.1f} "
            f"| {r.display[0]:.1f} / {r.display[1]:.1f} / {r.display[2]:.1f} "
            f"| {r.marks_per_s:.0f} | {r.server_cpu:.0f} | {r.cpu_ms_per_mark:.1f} "
            f"| {r.client_cpu:.0f} | {r.peak_rss_mb:.0f} | {r.errors} | {r.lost} | {r.load:.1f} |"
        )
    return "\n".join(lines)


def plot(rows: list[Row], path: Path) -> None:
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


async def main_async(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    rows: list[Row] = []
    started = time.monotonic()
    targets = ["kiosk"] + ([] if args.no_baseline else ["baseline"])
    for n in args.rooms:
        for kind in targets:
            row = await measure(kind, n, args, workdir)
            rows.append(row)
            extra = f"  {row.error_kinds}" if row.error_kinds else ""
            print(table([row]).splitlines()[-1] + extra, flush=True)
    idle_lines = []
    if args.idle:
        for kind in targets:
            opened, rss, before = await idle_sockets(kind, args.idle, args, workdir)
            idle_lines.append(f"{kind}: {opened} idle sockets, server RSS {rss:.0f} MB "
                              f"({before:.0f} MB before they opened)")
    db = "SQLite synchronous=FULL" if not args.database_url else args.database_url.split("://")[0]
    report = [
        f"# interview-kiosk load benchmark",
        "",
        f"Command: `{' '.join(['python -m bench'] + sys.argv[1:])}`  ",
        f"Machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"one server process ({db}); the load generator is one asyncio process on the same cores.  ",
        f"Each room: {JUDGES} judge sockets, a display socket, a console socket; "
        f"{args.candidates} candidates a room, marks spread over {args.spread:.1f} s, "
        f"{args.pause:.1f} s (±50 %) between a signature and the next start.  ",
        "CPU % is CPU time over the flow's wall time (100 % = one core); 'client CPU' is the load "
        "generator's own, measured the same way, and competes with the server for the 2 cores.",
        "",
        table(rows),
        "",
        *(f"- {line}" for line in idle_lines),
        "",
        f"Total time {time.monotonic() - started:.0f} s.",
    ]
    text = "\n".join(report)
    print()
    print(text)
    (out / "RESULTS.md").write_text(text + "\n", encoding="utf-8")
    plot(rows, out / "latency.png")
    print(f"\nwrote {out / 'RESULTS.md'} and {out / 'latency.png'}")
    shutil.rmtree(workdir, ignore_errors=not args.keep)
    bad = sum(r.errors + r.lost for r in rows if r.target == "kiosk")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="10,50,100,200,400",
                        help="comma-separated room counts (default: %(default)s)")
    parser.add_argument("--candidates", type=int, default=2, help="interviews per room (%(default)s)")
    parser.add_argument("--spread", type=float, default=2.0,
                        help="seconds over which a room's seven marks arrive (%(default)s)")
    parser.add_argument("--pause", type=float, default=20.0,
                        help="seconds (±50%%) of interview between a signature and the next start; "
                             "0 = back to back, the harshest (%(default)s)")
    parser.add_argument("--idle", type=int, default=2000,
                        help="idle sockets for the memory check, 0 to skip (%(default)s)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare uvicorn baseline")
    parser.add_argument("--database-url", default=None,
                        help="run the kiosk on this database instead of a fresh SQLite file")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy record the server during the largest run (speedscope JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the servers' work directories")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    args = parser.parse_args(argv)
    args.rooms = [int(n) for n in args.rooms.split(",") if n.strip()]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        return uvloop.run(main_async(args))
    except ImportError:
        return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
