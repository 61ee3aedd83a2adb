"""Engines and the single writer, with group commit.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` and foreign keys on. Every write
runs on one dedicated thread and opens its transaction with ``BEGIN IMMEDIATE``, so concurrent
judges queue in-process instead of failing with "database is locked"; reads use their own
engine and pool and never block the writer. PostgreSQL uses the same code path.

Group commit: while one transaction is committing (an fsync, ~4 ms here), the writes that arrive
queue up; the writer then runs all of them, each in its own SAVEPOINT, inside one transaction
and commits once. A write that raises rolls back to its savepoint only; the others stand (a
write alone in its batch needs no savepoint: its error rolls the transaction back). Listeners
(the live sittings' memory, :mod:`server.store.sittings`) hear whether each batch committed. No
caller hears back, success or error, before that one commit returns, so nothing is acknowledged
or broadcast before it is durable. Nobody waits for a batch to fill: a write that finds the
writer idle runs at once, alone.

Serving a SQLite file (:meth:`Database.open_for_serving`) takes an exclusive ``flock`` on
``<file>.lock`` for the life of the process, so a second ``kiosk serve`` on the same file stops
at once (a lock the kernel drops when the process dies, however it dies: no stale PID file), and
checks the file's integrity before anything is served. Closing a served database checkpoints the
WAL into the main file, so after a clean stop ``kiosk.db`` alone is the whole record.

While a file is served, the writer never checkpoints: SQLite's automatic checkpoint would run
inside the commit that crosses 1,000 WAL pages, copying some 4 MB into the main file and fsyncing
it (about 110 ms here) while every judge's mark queued behind it. A checkpointer thread does it
instead, ``PASSIVE`` (it never blocks the writer or a reader) on its own connection, twice a
second when something was committed. Reads share a small pool of connections: opening one, with
its pragmas, cost more than a login check's query.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from server.store import (
    components,  # noqa: F401
    models,  # noqa: F401  (registers the tables)
)

T = TypeVar("T")
log = logging.getLogger("kiosk")

#: Most writes committed together; a bound on how long the last of a batch waits for the first.
MAX_BATCH = 64

#: Seconds between the served file's background checkpoints (when anything was committed).
CHECKPOINT_EVERY = 0.5

# The tables and the triggers that keep the audit log append-only: server/store/migrations.

# --- several processes on one PostgreSQL database (DESIGN section 7) ------------------------------

#: Namespaces of the two-key advisory locks (``pg_advisory_xact_lock(namespace, id)``): a
#: sitting's writes, a campaign's, and the first start's password. Migrations take a one-key lock
#: of their own (server/store/migrations), which PostgreSQL keeps apart from two-key ones.
LOCK_SITTING = 0x4B53  # "KS"
LOCK_CAMPAIGN = 0x4B43  # "KC"
LOCK_BOOTSTRAP = 0x4B42  # "KB"
LOCK_IDS = 0x4B49  # "KI", keyed by the table

#: The LISTEN/NOTIFY channel every process hears committed sitting events on (server/pgbus.py).
CHANNEL = "kiosk"

_LOCKS_HELD = "kiosk_advisory_locks"


class Contended(Exception):
    """A lock another process holds, wanted by a transaction that already holds one.

    Waiting then could deadlock with that process (each holding what the other wants), so the
    writer commits what its batch has done so far and runs this job again first in a new
    transaction, where it may wait (:func:`advisory_lock`).
    """


def advisory_lock(conn: Connection, namespace: int, key: int) -> None:
    """PostgreSQL: hold (namespace, key) until this transaction ends; SQLite: nothing to do.

    The first lock of a transaction is waited for; a later one (a batch of several sittings) is
    only tried, and :class:`Contended` raised if another process holds it. A transaction only
    ever waits while it holds no lock, so no two processes can wait on each other.
    """
    if conn.dialect.name != "postgresql":
        return  # one process per SQLite file, and BEGIN IMMEDIATE: already serialised
    held: set[tuple[int, int]] = conn.info.setdefault(_LOCKS_HELD, set())
    params = {"n": namespace, "k": key}
    if not held:
        conn.execute(text("SELECT pg_advisory_xact_lock(:n, :k)"), params)
    elif not conn.execute(text("SELECT pg_try_advisory_xact_lock(:n, :k)"), params).scalar():
        raise Contended(f"lock ({namespace}, {key}) is held by another process")
    held.add((namespace, key))


@contextlib.contextmanager
def exclusive(engine: Engine, namespace: int, key: int) -> Iterator[None]:
    """PostgreSQL: run the block in one process at a time (a session lock); SQLite: just run it."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:n, :k)"), {"n": namespace, "k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:n, :k)"), {"n": namespace, "k": key})
            conn.commit()


def notify(conn: Connection, payload: str) -> None:
    """PostgreSQL: tell every process's listener ``payload`` once this transaction commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


def lock_ids(conn: Connection, table: str) -> None:
    """PostgreSQL: reserve ``table``'s ids alone until this transaction ends.

    Ids are handed out as the highest so far plus one (campaign rows, a roster's block) or from
    ``id_counter`` (sittings' rows): either way two processes must not read the same highest
    id before either commits. A row lock on the counter could deadlock two writers that reserve
    two tables in opposite orders; an advisory lock taken like the others cannot.
    """
    advisory_lock(conn, LOCK_IDS, zlib.crc32(table.encode()) & 0x7FFFFFFF)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names; None for PostgreSQL or an in-memory database."""
    if not is_sqlite(url):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return Path(database)


class StartRefused(RuntimeError):
    """The database cannot be served: another process serves it, or the file is damaged."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh}\n{en}")
        self.zh = zh
        self.en = en


#: Serving locks this process holds: the SQLite file → the open descriptor of its ``.lock``.
_HELD: dict[Path, int] = {}
_HELD_LOCK = threading.Lock()


def lock_file(path: Path) -> int:
    """Take the exclusive serving lock of the SQLite file ``path``; return the open descriptor."""
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StartRefused(
            f"数据库文件 {path} 正由另一个 kiosk 进程使用，本进程不启动。请先停止那个进程，或用另一个数据库文件。",
            f"The database file {path} is being served by another kiosk process: not starting. "
            "Stop that process first, or use another database file.",
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # for a person looking; the lock is what counts
    return fd


def open_for_serving(url: str) -> Path | None:
    """Hold the serving lock of a SQLite file and check the file, or raise ``StartRefused``.

    Idempotent within a process (``kiosk serve`` checks before uvicorn starts, the lifespan
    again); returns the file, or None when there is no file to guard (PostgreSQL, in memory).
    """
    path = sqlite_path(url)
    if path is None:
        return None
    path = path.resolve()
    with _HELD_LOCK:
        if path in _HELD:
            return path
        fd = lock_file(path)
        try:
            check_file(path)
        except BaseException:
            os.close(fd)
            raise
        _HELD[path] = fd
    return path


def release(path: Path) -> None:
    """Drop this process's serving lock of ``path`` (at the very end of serving)."""
    with _HELD_LOCK:
        fd = _HELD.pop(path, None)
    if fd is not None:
        os.close(fd)


def check_file(path: Path) -> None:
    """Refuse a file that is not a sound SQLite database (``PRAGMA integrity_check``)."""
    if not path.exists() or path.stat().st_size == 0:
        return  # a new database: the schema is created next
    problem = ""
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        finally:
            conn.close()
        if rows != ["ok"]:
            problem = "; ".join(str(r) for r in rows[:5])
    except (
        sqlite3.DatabaseError
    ) as exc:  # "file is not a database", "database disk image is malformed"
        problem = str(exc)
    if problem:
        raise StartRefused(
            f"数据库文件 {path} 已损坏或不是 kiosk 数据库（{problem}），本进程不启动。"
            "请勿覆盖它：把它复制一份交技术人员检查，用最近的备份（kiosk backup 生成）恢复。",
            f"The database file {path} is damaged or not a kiosk database ({problem}): not starting. "
            "Do not overwrite it: copy it for a technician and restore the latest backup (made by kiosk backup).",
        )


def backup_sqlite(source: Path, dest: Path) -> None:
    """Copy a live SQLite database to ``dest`` as one consistent file (SQLite's online backup)."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    src = sqlite3.connect(source, timeout=30)
    try:
        out = sqlite3.connect(tmp, isolation_level=None)
        try:
            # One step (pages=-1): the copy is one read transaction, a snapshot of one moment,
            # while the server keeps writing to the WAL.
            src.backup(out, pages=-1)
            out.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            rows = [row[0] for row in out.execute("PRAGMA integrity_check")]
            if rows != ["ok"]:
                raise sqlite3.DatabaseError("; ".join(map(str, rows[:5])))
        finally:
            out.close()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, dest)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        # Reads: the reader threads and the request threads share a few connections.
        **({} if immediate else {"pool_size": 8, "max_overflow": 32}),
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
        # Straight to the driver (the sqlite3 module leaves transactions to us, above): the
        # statement needs no compiling or result, and every write transaction begins here.
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class _RunAgain(Exception):
    """A job raised in a batch run without savepoints: run the batch again with them."""


@dataclass(eq=False)
class _Job:
    fn: Callable[[Any], Any]
    future: concurrent.futures.Future[Any]
    #: Given the transaction's Connection (SQLAlchemy Core) instead of an ORM Session.
    core: bool = False
    #: Called on the writer with ``fn``'s result once its savepoint is released.
    staged: Callable[[Any], None] | None = None
    #: Its future is marked running (a job put off by :class:`Contended` runs again later).
    running: bool = False


class BatchListener(Protocol):
    """Told by the writer, on its thread, how each batch ended."""

    def committed(self) -> None: ...

    def rolled_back(self) -> None: ...


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
            # Reads see one snapshot (an export or a chain's tail read in several statements
            # never mixes two moments while other processes write); read-only transactions
            # never fail for it.
            self.read_engine = create_engine(
                url, pool_pre_ping=True, pool_size=8, isolation_level="REPEATABLE READ"
            )
            # A new transaction holds no advisory lock yet (see advisory_lock).
            event.listen(self.write_engine, "begin", lambda conn: conn.info.pop(_LOCKS_HELD, None))
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="kiosk-writer", daemon=True)
        self._writer_started = False
        self._start_lock = threading.Lock()
        self._readers = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="kiosk-reader")
        #: Counters for the benchmark and the curious: transactions committed, writes in them.
        self.commits = 0
        self.writes = 0
        #: Jobs put off to the next transaction: a sitting another process had locked (Contended).
        self.deferred = 0
        #: Batches run again with savepoints after a job raised in the first, savepoint-less run.
        self.reruns = 0
        #: The SQLite file this process serves through this object (locked, checkpointed on close).
        self._served: Path | None = None
        #: Told after every batch whether it committed (the live sittings' memory).
        self.listeners: list[BatchListener] = []
        #: The writer thread's connection, kept between batches (only that thread touches it).
        self._writer_conn: Connection | None = None
        #: Serving a SQLite file: checkpoints run on their own thread, not in the writer's commits.
        self._checkpointer: threading.Thread | None = None
        self._stop_checkpoints = threading.Event()
        #: Background checkpoints run, and those that failed (logged; the WAL keeps everything).
        self.checkpoints = 0
        self.checkpoint_failures = 0
        #: PostgreSQL backend pids the writer has used: its own notifications, which the
        #: process has already told its screens of (server/pgbus.py ignores them).
        self.writer_pids: set[int] = set()

    def open_for_serving(self) -> None:
        """Before serving: hold the file's lock and check its integrity (SQLite), or raise StartRefused."""
        self._served = open_for_serving(self.url)
        if self._served is not None and self._checkpointer is None:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop,
                args=(self._served,),
                name="kiosk-checkpoint",
                daemon=True,
            )
            self._checkpointer.start()

    def _checkpoint_loop(self, path: Path) -> None:
        """Copy committed WAL pages into the main file now and then, never blocking a writer."""
        done = -1
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_EVERY):
                if self.commits == done:
                    continue
                done = self.commits
                try:
                    if conn is None:
                        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error as exc:  # a full disk, say: the WAL still holds everything
                    self.checkpoint_failures += 1
                    log.warning("background WAL checkpoint failed: %s", exc)
        finally:
            if conn is not None:
                conn.close()

    def create_schema(self) -> None:
        """Bring the schema to the newest migration (an empty database, or the landed release's)."""
        from server.store.migrations import upgrade

        upgrade(self.write_engine)

    def write_sync(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction on the calling thread and commit it."""
        with Session(self.write_engine, expire_on_commit=False) as db, db.begin():
            return fn(db)

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        with Session(self.read_engine, expire_on_commit=False) as db, db.begin():
            return fn(db)

    def submit(self, fn: Callable[[Session], T]) -> concurrent.futures.Future[T]:
        """Queue ``fn`` for the writer; the future settles only after its transaction commits."""
        self._start()
        job = _Job(fn, concurrent.futures.Future())
        self._jobs.put(job)
        return job.future

    def submit_core(
        self, fn: Callable[[Connection], T], staged: Callable[[T], None] | None = None
    ) -> concurrent.futures.Future[T]:
        """Queue ``fn`` for the writer with the transaction's Connection (no ORM).

        ``staged`` runs on the writer once ``fn``'s savepoint holds, before the commit; the
        listeners then hear whether the batch committed.
        """
        self._start()
        job = _Job(fn, concurrent.futures.Future(), core=True, staged=staged)
        self._jobs.put(job)
        return job.future

    def _start(self) -> None:
        if not self._writer_started:
            with self._start_lock:
                if not self._writer_started:
                    self._writer.start()
                    self._writer_started = True

    async def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in a write transaction on the writer thread; return after the commit."""
        return await asyncio.wrap_future(self.submit(fn))

    async def read(self, fn: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self.read_sync, fn)

    # --- the writer thread -----------------------------------------------------------------

    def _write_loop(self) -> None:
        try:
            self._write_batches()
        finally:
            if self._writer_conn is not None:
                self._writer_conn.close()
                self._writer_conn = None

    def _write_batches(self) -> None:
        stopping = False
        carried: list[_Job] = []  # put off by the last batch (Contended): they go first
        while True:
            if not carried:
                if stopping:
                    return
                job = self._jobs.get()
                if job is None:
                    return
                carried = [job]
            batch = carried
            while len(batch) < MAX_BATCH and not stopping:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            carried = self._commit_batch(batch)

    def _commit_batch(self, batch: list[_Job], savepoints: bool = False) -> list[_Job]:
        """Run every job of ``batch`` in one transaction; commit once.

        Core jobs run first without savepoints (two statements fewer each, a fifth of the
        writer's time under 200 rooms): if one raises, the whole transaction is rolled back and
        the batch runs again with each job in its own savepoint (``savepoints``), where a job
        that fails takes only itself back. The jobs are decided against the live sittings'
        staged memory, which the rollback resets, so running them again is what a batch put
        off by :class:`Contended` does already. ORM jobs always have their savepoint.

        Return the jobs put off: from the first that met a lock another process holds
        (:class:`Contended`) on, in order; they run first in the next transaction.
        """
        outcomes: list[tuple[_Job, bool, Any]] = []
        deferred: list[_Job] = []
        try:
            # One connection for the writer's life: a pool checkout and its reset (a ROLLBACK)
            # per batch cost more than a mark's own statements. A failed batch drops it.
            if self._writer_conn is None:
                self._writer_conn = self.write_engine.connect()
                if self._checkpointer is not None:  # the checkpointer thread does it instead
                    driver = self._writer_conn.connection.driver_connection
                    driver.execute("PRAGMA wal_autocheckpoint=0")  # type: ignore[union-attr]
                if not self.sqlite:
                    pid = getattr(self._writer_conn.connection.driver_connection, "info", None)
                    if pid is not None:
                        self.writer_pids.add(int(pid.backend_pid))
            conn = self._writer_conn
            with conn.begin():
                for n, job in enumerate(batch):
                    if not job.running:
                        if not job.future.set_running_or_notify_cancel():
                            continue
                        job.running = True
                    if job.core:
                        if len(batch) == 1 or not savepoints:
                            # No savepoint (two statements fewer). Its statements may be half
                            # done if it raises: alone, its error rolls the transaction back and
                            # reaches the caller below; in a batch, nothing of the batch stands
                            # and it runs again with savepoints.
                            try:
                                value = job.fn(conn)
                            except BaseException as exc:
                                if len(batch) == 1:
                                    raise
                                raise _RunAgain from exc
                            if job.staged is not None:
                                job.staged(value)
                            outcomes.append((job, True, value))
                            continue
                        try:
                            with conn.begin_nested():
                                value = job.fn(conn)
                            if job.staged is not None:
                                job.staged(value)
                            outcomes.append((job, True, value))
                        except Contended:
                            deferred = batch[n:]
                            break
                        except BaseException as exc:  # noqa: BLE001 - handed to the caller
                            outcomes.append((job, False, exc))
                        continue
                    session = Session(
                        bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
                    )
                    try:
                        with session.begin():
                            outcomes.append((job, True, job.fn(session)))
                    except Contended:
                        deferred = batch[n:]
                        break
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        outcomes.append((job, False, exc))
                    finally:
                        session.close()
        except _RunAgain:
            for listener in self.listeners:
                listener.rolled_back()
            self.reruns += 1
            return self._commit_batch(batch, savepoints=True)
        except Contended:
            # Alone in its transaction, the job met a second lock another process holds: nothing
            # of it stands; it runs again, first in a new transaction, after a moment.
            for listener in self.listeners:
                listener.rolled_back()
            time.sleep(0.002)
            return batch
        except BaseException as exc:  # noqa: BLE001 - the commit failed: nobody's write stands
            if self._writer_conn is not None:
                with contextlib.suppress(Exception):
                    self._writer_conn.close()
                self._writer_conn = None
            for listener in self.listeners:
                listener.rolled_back()
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(exc)
            return []
        for listener in self.listeners:
            listener.committed()
        self.commits += 1
        self.writes += len(outcomes)
        for job, ok, value in outcomes:
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        self.deferred += len(deferred)
        if deferred and deferred[0] is batch[0]:
            time.sleep(0.002)  # nothing done (a job wanting two locks): let the holder finish
        return deferred

    def integrity_ok(self) -> bool:
        if not self.sqlite:
            return True
        with self.read_engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

    def checkpoint(self) -> None:
        """Move everything in the WAL into the database file and empty the WAL (SQLite)."""
        if not self.sqlite:
            return
        # On the driver's own connection, outside any transaction (SQLAlchemy would open one).
        raw = self.write_engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            raw.close()
        if busy:  # a reader outside this process held it up; the WAL is intact, nothing is lost
            log.warning("WAL checkpoint incomplete: another connection is reading")

    def close(self) -> None:
        if self._writer_started:
            self._jobs.put(None)
            self._writer.join()
        self._readers.shutdown(wait=True)
        if self._checkpointer is not None:
            self._stop_checkpoints.set()
            self._checkpointer.join()
            self._checkpointer = None
        try:
            if self._served is not None:
                self.checkpoint()
        finally:
            self.write_engine.dispose()
            self.read_engine.dispose()
            if self._served is not None:
                release(self._served)  # the last thing: the file is whole when the lock goes
                self._served = None
