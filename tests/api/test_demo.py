"""``kiosk serve --demo`` in a real subprocess: what it prints is what a newcomer can use."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support import PASSWORD, free_port

pytestmark = pytest.mark.slow


class Demo:
    def __init__(self, proc: subprocess.Popen[str], lines: list[str], base: str) -> None:
        self.proc, self.lines, self.base = proc, lines, base
        self.clients: list[httpx.Client] = []

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def client(self) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=10)
        self.clients.append(client)
        return client

    def value(self, label: str) -> str:
        found = [m.group(1) for line in self.lines if (m := re.match(rf"^{re.escape(label)}: (\S.*)$", line))]
        assert found, f"{label!r} not printed:\n{self.text[-3000:]}"
        return found[0].strip()


@contextmanager
def run_demo(cwd: Path, env: dict[str, str], host: str = "127.0.0.1") -> Iterator[Demo]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--demo", "--host", host, "--port", str(port),
         "--log-level", "warning"],
        cwd=cwd, env={**env, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
    )
    lines: list[str] = []
    incoming: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            incoming.put(line.rstrip("\n"))
        incoming.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        judges_seen = 0
        while judges_seen < 7 or not any(line.startswith("密码 / Password") for line in lines[-6:]):
            line = incoming.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, "demo exited:\n" + "\n".join(lines[-40:])
            lines.append(line)
            if line.startswith("评委 第"):
                judges_seen += 1
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        demo = Demo(proc, lines, base)
        try:
            yield demo
        finally:
            for client in demo.clients:
                client.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}


def test_demo_on_its_own_database_prints_everything_needed(tmp_path: Path) -> None:
    with run_demo(tmp_path, clean_env()) as demo:
        password = demo.value("密码 / Password")
        console = demo.value("控制台 / Console")
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", password)
        assert console.startswith(f"{demo.base}/console")
        http = demo.client()
        assert http.post("/api/login", json={"password": "wrong"}).status_code == 401
        assert http.post("/api/login", json={"password": password}).status_code == 200  # cookie kept
        sittings = http.get("/api/sessions").json()
        assert len(sittings) == 1
        session = http.get(f"/api/sessions/{sittings[0]['id']}").json()
        assert session["judge_count"] == 7
        assert len(session["positions"]) == 3
        assert len(session["interviews"]) >= 12
        assert {i["state"] for i in session["interviews"]} == {"waiting"}
        links = http.get(f"/api/sessions/{session['id']}/links").json()
        assert demo.value("大屏 / Display") == links["display"]["url"]
        for judge in links["judges"]:
            assert demo.value(f"评委 第{judge['seat']}席 / Judge seat {judge['seat']}") == judge["url"]
        assert "▀" in demo.text or "█" in demo.text  # the QR codes, drawn in the terminal
        assert http.get("/console").status_code == 200
    # Its own file; the real default database was never created.
    assert (tmp_path / "kiosk-data" / "demo.db").exists()
    assert not (tmp_path / "kiosk-data" / "kiosk.db").exists()

    # A second run adds a sitting and sets a fresh password it prints; the old one stops working.
    with run_demo(tmp_path, clean_env()) as again:
        fresh = again.value("密码 / Password")
        assert fresh != password
        http = again.client()
        assert http.post("/api/login", json={"password": password}).status_code == 401
        assert http.post("/api/login", json={"password": fresh}).status_code == 200
        assert len(http.get("/api/sessions").json()) == 2


def test_demo_never_resets_a_real_databases_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/real.db"
    env = {**clean_env(), "KIOSK_DATABASE_URL": url, "KIOSK_SECRETARY_PASSWORD": PASSWORD}
    with run_demo(tmp_path, env):
        pass  # a real database with its password set, as a deployment has it
    env.pop("KIOSK_SECRETARY_PASSWORD")
    env["KIOSK_PUBLIC_URL"] = "http://kiosk.hall.example:9000/"
    with run_demo(tmp_path, env) as demo:
        shown = demo.value("密码 / Password")
        assert PASSWORD not in demo.text
        assert "未更改" in shown
        assert demo.value("大屏 / Display").startswith("http://kiosk.hall.example:9000/display/")
        http = demo.client()
        assert http.post("/api/login", json={"password": PASSWORD}).status_code == 200
        assert len(http.get("/api/sessions").json()) == 2
    assert not (tmp_path / "kiosk-data").exists()


def test_demo_on_every_interface_prints_a_lan_address(tmp_path: Path) -> None:
    with run_demo(tmp_path, clean_env(), host="0.0.0.0") as demo:
        display = demo.value("大屏 / Display")
        host = re.match(r"http://([^:/]+):\d+/display/", display)
        assert host is not None and host.group(1) != "0.0.0.0"
        http = demo.client()
        assert http.post("/api/login", json={"password": demo.value("密码 / Password")}).status_code == 200
        sid = http.get("/api/sessions").json()[0]["id"]
        # The console's links (and so its QR codes) carry the same address as the terminal's.
        assert http.get(f"/api/sessions/{sid}/links").json()["display"]["url"] == display
