"""Engines and the single writer, with group commit.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` and foreign keys on. Every write
runs on one dedicated thread and opens its transaction with ``BEGIN IMMEDIATE``, so concurrent
judges queue in-process instead of failing with "database is locked"; reads use their own
engine and pool and never block the writer. PostgreSQL uses the same code path.

Group commit: while one transaction is committing (an fsync, ~4 ms here), the writes that arrive
queue up; the writer then runs all of them, each in its own SAVEPOINT, inside one transaction
and commits once. A write that raises rolls back to its savepoint only; the others stand. No
caller hears back, success or error, before that one commit returns, so nothing is acknowledged
or broadcast before it is durable. Nobody waits for a batch to fill: a write that finds the
writer idle runs at once, alone.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from server.store import models  # noqa: F401  (registers the tables)
from server.store import components  # noqa: F401

T = TypeVar("T")

#: Most writes committed together; a bound on how long the last of a batch waits for the first.
MAX_BATCH = 64

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]

_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=NullPool if not immediate else None,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from the sqlite3 module so BEGIN is ours to write.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass(eq=False)
class _Job:
    fn: Callable[[Session], Any]
    future: concurrent.futures.Future[Any]


class Database:
    """The engines of one database and the thread every write runs on."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = create_engine(url, pool_pre_ping=True, pool_size=2)
            self.read_engine = create_engine(url, pool_pre_ping=True, pool_size=8)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="kiosk-writer", daemon=True)
        self._writer_started = False
        self._start_lock = threading.Lock()
        self._readers = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="kiosk-reader")
        #: Counters for the benchmark and the curious: transactions committed, writes in them.
        self.commits = 0
        self.writes = 0

    def create_schema(self) -> None:
        """Create missing tables and the triggers that keep the audit log append-only."""
        SQLModel.metadata.create_all(self.write_engine)
        statements = _SQLITE_TRIGGERS if self.sqlite else _POSTGRES_TRIGGERS
        with self.write_engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    def write_sync(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction on the calling thread and commit it."""
        with Session(self.write_engine, expire_on_commit=False) as db:
            with db.begin():
                return fn(db)

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        with Session(self.read_engine, expire_on_commit=False) as db:
            with db.begin():
                return fn(db)

    def submit(self, fn: Callable[[Session], T]) -> concurrent.futures.Future[T]:
        """Queue ``fn`` for the writer; the future settles only after its transaction commits."""
        if not self._writer_started:
            with self._start_lock:
                if not self._writer_started:
                    self._writer.start()
                    self._writer_started = True
        job = _Job(fn, concurrent.futures.Future())
        self._jobs.put(job)
        return job.future

    async def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a write transaction on the writer thread; return after the commit."""
        return await asyncio.wrap_future(self.submit(fn))

    async def read(self, fn: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.read_sync, fn)

    # --- the writer thread -----------------------------------------------------------------

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            job = self._jobs.get()
            if job is None:
                return
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Job]) -> None:
        """Run every job of ``batch`` in its own savepoint of one transaction; commit once."""
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with self.write_engine.connect() as conn, conn.begin():
                for job in batch:
                    if not job.future.set_running_or_notify_cancel():
                        continue
                    session = Session(
                        bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
                    )
                    try:
                        with session.begin():
                            outcomes.append((job, True, job.fn(session)))
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        outcomes.append((job, False, exc))
                    finally:
                        session.close()
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nobody's write stands
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        self.commits += 1
        self.writes += len(outcomes)
        for job, ok, value in outcomes:
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)

    def integrity_ok(self) -> bool:
        if not self.sqlite:
            return True
        with self.read_engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    def close(self) -> None:
        if self._writer_started:
            self._jobs.put(None)
            self._writer.join()
        self._readers.shutdown(wait=True)
        self.write_engine.dispose()
        self.read_engine.dispose()
