"""The served SQLite file's checkpoints run beside the writer, and a serving process settles its heap.

A commit that crossed SQLite's automatic checkpoint (1,000 WAL pages) used to copy and fsync the
pages into the main file itself, some 110 ms while every judge's mark queued behind it; and a
full garbage collection walked everything start-up built, 40-100 ms with the GIL held. The
benchmark's 50-room ack p99 was those two pauses.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text

from server.api.app import GC_THRESHOLDS, settle_heap
from server.store import engine as engine_module
from server.store.engine import Database

pytestmark = pytest.mark.sqlite_only


def writer_pragma(db: Database, name: str) -> int:
    def read(conn: Connection) -> int:
        return int(conn.exec_driver_sql(f"PRAGMA {name}").scalar_one())

    return db.submit_core(read).result(10)


def fill(db: Database, rows: int) -> None:
    def insert(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, pad TEXT)"))
        conn.execute(text("INSERT INTO filler (pad) VALUES (:pad)"), [{"pad": "x" * 900}] * rows)

    db.submit_core(insert).result(10)


def wal_frames(path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames already copied into the main file), without checkpointing more."""
    conn = sqlite3.connect(path)
    try:
        # A PASSIVE checkpoint with nothing left to copy only reports; with something left it
        # would copy it, so the caller asks once the background has had its chance.
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0
        return log, done
    finally:
        conn.close()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(engine_module, "CHECKPOINT_EVERY", 0.05)
    db = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    db.open_for_serving()
    try:
        yield db, tmp_path / "kiosk.db"
    finally:
        db.close()


def test_a_served_files_writer_never_checkpoints_and_the_checkpointer_does(served: Any) -> None:
    db, path = served
    assert writer_pragma(db, "wal_autocheckpoint") == 0
    fill(db, 3000)  # about 3 MB: well past a page's worth of frames
    deadline = time.monotonic() + 10
    while db.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert db.checkpoints >= 1 and db.checkpoint_failures == 0
    time.sleep(0.2)  # the loop is idle now: nothing committed since its last run
    log, done = wal_frames(path)
    assert log > 0 and done == log, (log, done)
    # The main file holds the rows without the WAL: copy it alone and read it back.
    alone = path.with_name("alone.db")
    alone.write_bytes(path.read_bytes())
    copy = sqlite3.connect(alone)
    try:
        assert copy.execute("SELECT COUNT(*) FROM filler").fetchone() == (3000,)
    finally:
        copy.close()


def test_the_checkpointer_runs_only_after_commits(served: Any) -> None:
    db, _ = served
    fill(db, 10)
    deadline = time.monotonic() + 10
    while db.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    seen = db.checkpoints
    time.sleep(0.3)  # six periods with nothing committed
    assert db.checkpoints == seen


def test_an_unserved_database_keeps_sqlites_own_checkpoints(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'tool.db'}")  # kiosk import, backup, migrations
    try:
        assert writer_pragma(db, "wal_autocheckpoint") == 1000
    finally:
        db.close()


def test_close_stops_the_checkpointer_and_leaves_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    db = Database(f"sqlite:///{path}")
    db.open_for_serving()
    fill(db, 500)
    db.close()
    assert not any(t.name == "kiosk-checkpoint" for t in threading.enumerate())
    wal = path.with_name("kiosk.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_settle_heap_freezes_what_start_up_built_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 10_000  # this test process's modules, at the least
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
