"""A real ``kiosk serve`` process for tests, and a small client for the secretary's API."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from websockets.sync.client import ClientConnection, connect

PASSWORD = "test-secretary-pw"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(data_dir: Path) -> str:
    """SQLite under ``data_dir`` unless KIOSK_TEST_DATABASE_URL names another database."""
    return os.environ.get("KIOSK_TEST_DATABASE_URL") or f"sqlite:///{data_dir}/kiosk.db"


#: Each test server's database, by its base URL: tests read the audit chain straight from it.
DATABASES: dict[str, str] = {}


def audit_lines_from_database(url: str, sid: int) -> list[str]:
    """The sitting's chain as ``audit.jsonl`` lines, read from the database itself.

    Tests look at the chain while an interview is still being scored, when the secretary's
    ``audit.jsonl`` export is refused (it would show marks before the interview is scored).
    """
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                sqlalchemy.text(
                    "SELECT seq, at, actor, kind, data, prev, hash FROM audit_event"
                    " WHERE session_id = :sid ORDER BY seq"
                ),
                {"sid": sid},
            ).all()
    finally:
        engine.dispose()
    return [
        json.dumps(
            {"seq": seq, "at": at, "actor": actor, "kind": kind, "data": json.loads(data),
             "prev": prev, "hash": hash_},
            ensure_ascii=False,
        )
        for seq, at, actor, kind, data, prev, hash_ in rows
    ]


class ServerProcess:
    """``kiosk serve`` in a subprocess on a free port; can be killed and started again."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "KIOSK_DATABASE_URL": database_url(data_dir),
            "KIOSK_SECRETARY_PASSWORD": PASSWORD,
            **(env or {}),
        }
        DATABASES[self.url] = self.env["KIOSK_DATABASE_URL"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"

    def start(self, timeout: float = 30) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, as when the laptop's power goes."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Api:
    """The secretary's client: logs in once and raises on unexpected statuses."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.database_url = DATABASES.get(base_url)
        token = self.http.post("/api/login", json={"password": PASSWORD}).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int | None = None, **kw: Any) -> httpx.Response:
        response = self.http.request(method, path, **kw)
        assert response.status_code < 500, response.text
        if expect is not None:
            assert response.status_code == expect, (response.status_code, response.text)
        return response

    def session(self, **fields: Any) -> dict[str, Any]:
        body = {"title": "测试场次", "judge_count": 5, **fields}
        return self.call("POST", "/api/sessions", 201, json=body).json()

    def position(self, sid: int, code: str = "A1", **fields: Any) -> dict[str, Any]:
        body = {"code": code, "name": f"岗位{code}", **fields}
        return self.call("POST", f"/api/sessions/{sid}/positions", 201, json=body).json()

    def interview(self, sid: int, draw_no: int, name: str = "张三", code: str = "A1") -> dict[str, Any]:
        body = {"draw_no": draw_no, "candidate_name": name, "position_code": code}
        return self.call("POST", f"/api/sessions/{sid}/interviews", 201, json=body).json()

    def flow(self, iid: int, step: str, expect: int = 200, **body: Any) -> dict[str, Any]:
        kw = {"json": body} if body else {}
        return self.call("POST", f"/api/interviews/{iid}/{step}", expect, **kw).json()

    def get_session(self, sid: int) -> dict[str, Any]:
        return self.call("GET", f"/api/sessions/{sid}", 200).json()

    def audit_lines(self, sid: int) -> list[str]:
        """The sitting's chain, from its database (the export is refused while scoring)."""
        assert self.database_url, "this client's server is not a ServerProcess of the tests"
        return audit_lines_from_database(self.database_url, sid)

    def sitting(self, judges: int = 5, candidates: int = 1, **fields: Any) -> dict[str, Any]:
        """A sitting with one post and ``candidates`` interviews, ready to start."""
        session = self.session(judge_count=judges, **fields)
        self.position(session["id"])
        session["interviews"] = [
            self.interview(session["id"], n, f"考生{n}") for n in range(1, candidates + 1)
        ]
        return session


class Socket:
    """A sync WebSocket client that reads frames as JSON."""

    def __init__(self, url: str, **kw: Any) -> None:
        self.conn: ClientConnection = connect(url, open_timeout=10, legacy=True, **kw)

    def send(self, frame: Any) -> None:
        self.conn.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    def recv(self, timeout: float = 10) -> dict[str, Any]:
        return json.loads(self.conn.recv(timeout=timeout))

    def recv_until(self, type_: str, timeout: float = 10, **match: Any) -> dict[str, Any]:
        """Read frames until one of ``type_`` (matching ``match``) arrives; return it."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv(max(0.01, deadline - time.monotonic()))
            if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
                return frame

    def submit(self, interview_id: int, score: Any, request_id: str) -> dict[str, Any]:
        """Submit and return the ack or error answering ``request_id``."""
        self.send({"type": "submit", "request_id": request_id, "interview_id": interview_id, "score": score})
        while True:
            frame = self.recv()
            if frame["type"] in ("ack", "error") and frame.get("request_id") == request_id:
                return frame

    def close(self) -> None:
        self.conn.close()


@contextmanager
def judge(server: ServerProcess, token: str) -> Iterator[Socket]:
    sock = Socket(f"{server.ws_url}/ws/judge/{token}")
    try:
        yield sock
    finally:
        sock.close()
