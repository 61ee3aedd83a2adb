"""One process per SQLite file, a sound file, a whole file after a clean stop, and ``kiosk backup``.

Issue 8, item 5, with real ``kiosk serve`` processes: a second server on a file a live one
serves stops at once naming the file; a damaged file, or one that is not a database, is refused
before anything is served; a clean stop checkpoints the WAL, so ``kiosk.db`` alone holds every
mark; ``kiosk backup`` copies a live database to one consistent file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.store.audit import link_hash
from tests.support import Api, ServerProcess, Socket, free_port

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(
        bool(os.environ.get("KIOSK_TEST_DATABASE_URL")), reason="about the SQLite file"
    ),
]


def kiosk(
    server: ServerProcess, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the ``kiosk`` command with the server's environment (same database)."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=server.env,
        cwd=server.data_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def serve(server: ServerProcess, port: int) -> subprocess.CompletedProcess[str]:
    return kiosk(
        server,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        timeout=30,
    )


def db_file(server: ServerProcess) -> Path:
    return server.data_dir / "kiosk.db"


def mark_all(
    server: ServerProcess, sitting: dict[str, Any], scores: list[str], prefix: str = "r"
) -> list[str]:
    """Every judge marks the sitting's first interview; return the acknowledged scores."""
    iid = sitting["interviews"][0]["id"]
    acked = []
    for seat, score in enumerate(scores, start=1):
        sock = Socket(f"{server.ws_url}/ws/judge/{sitting['judges'][seat - 1]['token']}")
        try:
            sock.recv()
            ack = sock.submit(iid, score, f"{prefix}{seat}")
            assert ack["type"] == "ack", ack
            acked.append(ack["score"])
        finally:
            sock.close()
    return acked


def marks_in(path: Path) -> dict[tuple[int, int], str]:
    """(sitting, seat) → live mark, read from one SQLite file with nothing beside it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute(
            "SELECT session_id, seat, score FROM mark WHERE voided_at IS NULL"
        ).fetchall()
    finally:
        conn.close()
    return {(sid, seat): score for sid, seat, score in rows}


def chains_hold(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        rows = conn.execute(
            "SELECT session_id, seq, at, actor, kind, data, prev, hash FROM audit_event ORDER BY session_id, seq"
        ).fetchall()
    finally:
        conn.close()
    import json

    prev: dict[int, str] = {}
    for sid, seq, at, actor, kind, data, claimed_prev, digest in rows:
        if claimed_prev != prev.get(sid, "0" * 64):
            return False
        if link_hash(claimed_prev, seq, at, actor, kind, json.loads(data)) != digest:
            return False
        prev[sid] = digest
    return bool(rows)


@pytest.mark.slow
def test_a_second_serve_on_a_live_file_is_refused_naming_it(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    second = serve(fresh_server, free_port())
    assert second.returncode not in (0, None)
    path = str(db_file(fresh_server).resolve())
    assert path in second.stderr
    assert (
        "正由另一个 kiosk 进程使用" in second.stderr
        and "served by another kiosk process" in second.stderr
    )
    assert "Traceback" not in second.stderr
    # The first one never noticed.
    assert httpx.get(f"{fresh_server.url}/healthz", timeout=5).status_code == 200
    api = Api(fresh_server.url)
    api.session()
    api.http.close()
    # The lock dies with its process, however it dies: no stale lock after a SIGKILL.
    fresh_server.kill()
    fresh_server.start()
    assert httpx.get(f"{fresh_server.url}/healthz", timeout=5).status_code == 200


@pytest.mark.slow
def test_a_file_that_is_not_a_database_is_refused(fresh_server: ServerProcess) -> None:
    fresh_server.data_dir.mkdir(parents=True, exist_ok=True)
    garbage = b"these are the minutes of the meeting, not a database\n" * 200
    db_file(fresh_server).write_bytes(garbage)
    result = serve(fresh_server, fresh_server.port)
    assert result.returncode not in (0, None)
    assert str(db_file(fresh_server).resolve()) in result.stderr
    assert "已损坏" in result.stderr and "damaged" in result.stderr
    assert db_file(fresh_server).read_bytes() == garbage  # refused, not "repaired"


@pytest.mark.slow
def test_a_damaged_database_is_refused_before_serving(fresh_server: ServerProcess) -> None:
    fresh_server.start()
    api = Api(fresh_server.url)
    for _ in range(3):
        api.sitting(judges=5, candidates=20)
    api.http.close()
    fresh_server.stop()
    path = db_file(fresh_server)
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'interview'").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:  # a disk that returned garbage for one page of the interviews
        f.seek((root - 1) * page_size + 8)
        f.write(b"\xa5" * (page_size - 8))
    result = serve(fresh_server, fresh_server.port)
    assert result.returncode not in (0, None), result.stderr
    assert (
        str(path.resolve()) in result.stderr
        and "damaged" in result.stderr
        and "已损坏" in result.stderr
    )
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{fresh_server.url}/healthz", timeout=1)


@pytest.mark.slow
def test_after_a_clean_stop_the_db_file_alone_holds_every_mark(
    fresh_server: ServerProcess, tmp_path: Path
) -> None:
    fresh_server.start()
    api = Api(fresh_server.url)
    sitting = api.sitting(judges=5)
    api.flow(sitting["interviews"][0]["id"], "start")
    acked = mark_all(fresh_server, sitting, ["81.5", "77", "90.5", "66", "88"])
    api.http.close()
    # Something else has the file open (a DB browser, a copy tool): the server's connections
    # are then not the last, and SQLite would not fold the WAL in by itself on closing them.
    onlooker = sqlite3.connect(db_file(fresh_server), isolation_level=None)
    try:
        assert onlooker.execute("SELECT count(*) FROM sitting").fetchone()[0] >= 1
        fresh_server.stop()
        assert fresh_server.proc is not None and fresh_server.proc.returncode is not None
        wal = db_file(fresh_server).with_name("kiosk.db-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        alone = tmp_path / "alone" / "kiosk.db"
        alone.parent.mkdir()
        shutil.copyfile(db_file(fresh_server), alone)  # the one file, nothing beside it
    finally:
        onlooker.close()
    stored = marks_in(alone)
    assert [stored[(sitting["id"], seat)] for seat in range(1, 6)] == acked
    assert chains_hold(alone)


@pytest.mark.slow
def test_kiosk_backup_during_a_live_sitting(fresh_server: ServerProcess, tmp_path: Path) -> None:
    fresh_server.start()
    api = Api(fresh_server.url)
    done = api.sitting(judges=7)
    api.flow(done["interviews"][0]["id"], "start")
    acked = mark_all(fresh_server, done, ["81.5", "77", "90.5", "66", "88", "79.5", "84"])
    # Other rooms keep marking while the copy is made.
    busy = [api.sitting(judges=5, candidates=8) for _ in range(3)]
    stop = threading.Event()
    errors: list[BaseException] = []

    def room(sitting: dict[str, Any]) -> None:
        try:
            for n, interview in enumerate(sitting["interviews"]):
                if stop.is_set():
                    return
                api_local = Api(fresh_server.url)
                api_local.flow(interview["id"], "start")
                sitting_now = {**sitting, "interviews": [interview]}
                mark_all(fresh_server, sitting_now, ["70", "75", "80", "85", "90"], prefix=f"i{n}-")
                api_local.http.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=room, args=(s,)) for s in busy]
    for t in threads:
        t.start()
    try:
        copies = []
        for n in range(3):
            result = kiosk(fresh_server, "backup", str(tmp_path / f"copy-{n}.db"))
            assert result.returncode == 0, result.stderr
            copies.append(tmp_path / f"copy-{n}.db")
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors
    for copy in copies:
        assert not copy.with_name(copy.name + "-wal").exists()
        stored = marks_in(copy)  # integrity_check ok, read with nothing beside the file
        assert [stored[(done["id"], seat)] for seat in range(1, 8)] == acked
        assert chains_hold(copy)
    # A folder gets a dated copy; an existing file is never overwritten.
    folder = tmp_path / "backups"
    folder.mkdir()
    assert kiosk(fresh_server, "backup", str(folder)).returncode == 0
    assert len(list(folder.glob("kiosk-*.db"))) == 1
    before = copies[0].read_bytes()
    again = kiosk(fresh_server, "backup", str(copies[0]))
    assert again.returncode == 1 and copies[0].read_bytes() == before
    api.http.close()


def test_kiosk_backup_on_postgresql_names_pg_dump(tmp_path: Path) -> None:
    env = {**os.environ, "KIOSK_DATABASE_URL": "postgresql+psycopg://kiosk@127.0.0.1:9/kiosk"}
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "backup", str(tmp_path / "x.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "pg_dump" in result.stderr
    assert not (tmp_path / "x.db").exists()
