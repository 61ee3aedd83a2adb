"""Several processes on one PostgreSQL database: each tells its screens what the others commit.

Every sitting write sends ``NOTIFY kiosk, '<sitting_id>:<seq>'`` inside its transaction
(:func:`server.store.engine.notify`), so PostgreSQL delivers it at the commit, in commit order,
to every process listening. :class:`PgBus` listens on a connection of its own; for a sitting
this process holds in memory it reads the chain's events past the state it holds, folds them in
(:func:`server.store.sittings.fold_onto`: each link checked) and hands the change to the
process's own screens through the :class:`~server.publish.Publisher` they implement, exactly as
a command of its own would be. A process never guesses: what it tells comes from the chain.

When the listening connection drops, notifications sent meanwhile are lost to this process: it
connects and listens again, then catches up every sitting it holds from the chain.

The judges' phones of one sitting may be spread over the processes, and the console shows each
seat's phones: every process tells the others its own count per seat on ``kiosk_seats`` when it
changes, and again every few seconds while it has any, so a process that died drops out of the
counts once its last word is older than the console's stale limit (``KIOSK_STALE_AFTER``).

The process's own writes are told by :meth:`server.service.Kiosk.run` after the commit (the
judge's ack first); their notifications, recognised by the writer's backend pid, are skipped.
SQLite has no bus: one process serves the file, and :class:`~server.live.screens.Screens` is
the publisher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from typing import Any

from sqlalchemy.engine import make_url

from server.domain import sitting as sd
from server.publish import Change, Publisher
from server.service import Kiosk, change_of
from server.store import sittings as store
from server.store.engine import CHANNEL

log = logging.getLogger("kiosk.bus")

#: Seconds between liveness checks of an idle listening connection, and the longest wait
#: before connecting again after it dropped.
PROBE_EVERY = 5.0
RETRY_MAX = 2.0
#: The channel of the judges' phones per seat, and how often a process repeats its counts.
SEATS_CHANNEL = "kiosk_seats"
SEATS_EVERY = 5.0


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy PostgreSQL URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PgBus:
    """The :class:`Publisher` of a process that shares its PostgreSQL database with others.

    ``publish`` passes this process's own changes straight to its screens; the listener adds
    the other processes' changes, read from the chain.
    """

    def __init__(self, kiosk: Kiosk, screens: Publisher) -> None:
        self.kiosk = kiosk
        self.screens = screens
        #: Sittings whose seat counts changed here, and those with phones here (repeated).
        self._seats_dirty: set[int] = set()
        self._seats_held: set[int] = set()
        self._seats_wake = asyncio.Event()
        if hasattr(screens, "on_presence"):
            screens.on_presence = self._presence_changed
        #: Sittings with notifications to catch up on → the highest seq heard (None: all).
        self._pending: dict[int, int | None] = {}
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        #: Set once the listener listens (again): tests and /healthz-minded callers wait on it.
        self.listening = asyncio.Event()
        #: Times the listener connected (1 at start, +1 after each drop) and caught-up sittings.
        self.connects = 0
        self.caught_up = 0

    # --- Publisher --------------------------------------------------------------------------

    def publish(self, sitting_id: int, change: Change) -> None:
        """This process's own committed change: tell its screens at once."""
        self.screens.publish(sitting_id, change)

    # --- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start listening and catching up; return once the first LISTEN holds (or 10 s)."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="kiosk-bus-listen"),
            asyncio.create_task(self._catch_up_loop(), name="kiosk-bus-catch-up"),
            asyncio.create_task(self._tell_seats(), name="kiosk-bus-seats"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), 10)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []

    # --- listening --------------------------------------------------------------------------

    async def _listen(self) -> None:
        import psycopg

        delay = 0.05
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo(self.kiosk.db.url),
                    autocommit=True,
                    application_name=f"kiosk-listen-{os.getpid()}",
                    connect_timeout=5,
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await conn.execute(f"LISTEN {SEATS_CHANNEL}")
                    self.connects += 1
                    delay = 0.05
                    if self.connects > 1:
                        # Notifications sent while it was down never came: read the chain.
                        self._resync()
                    self.listening.set()
                    await self._hear(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the connection went: listen again
                self.listening.clear()
                log.warning("listening connection lost (%s); listening again", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)

    async def _hear(self, conn: Any) -> None:
        own = self.kiosk.db.writer_pids
        while True:
            async for note in conn.notifies(timeout=PROBE_EVERY):
                if note.channel == SEATS_CHANNEL:
                    self._seats_heard(note.payload)
                    continue
                if note.pid in own:
                    continue  # this process's own write: told by Kiosk.run already
                self._heard(note.payload)
            await conn.execute("SELECT 1")  # a dead connection says so here, not never

    def _heard(self, payload: str) -> None:
        try:
            sid_text, _, seq_text = payload.partition(":")
            sitting_id, seq = int(sid_text), int(seq_text)
        except ValueError:
            log.warning("unreadable notification %r", payload)
            return
        if self.kiosk.sittings.current(sitting_id) is None:
            return  # not held here: loaded from the chain when first needed
        if sitting_id in self._pending:
            known = self._pending[sitting_id]
            self._pending[sitting_id] = None if known is None else max(known, seq)
        else:
            self._pending[sitting_id] = seq
        self._wake.set()

    def _resync(self) -> None:
        for sitting_id in self.kiosk.sittings.held_ids():
            self._pending[sitting_id] = None
        self._wake.set()

    # --- the judges' phones per seat, across processes -------------------------------------

    def _presence_changed(self, sitting_id: int) -> None:
        self._seats_dirty.add(sitting_id)
        self._seats_wake.set()

    def _seats_heard(self, payload: str) -> None:
        try:
            told = json.loads(payload)
            pid, sitting_id = int(told["p"]), int(told["s"])
            rows = [(int(count), None if age is None else float(age)) for count, age in told["r"]]
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable seat counts %r", payload[:200])
            return
        if pid == os.getpid():
            return
        remote = getattr(self.screens, "remote", None)
        if remote is None:
            return
        by_process = remote.setdefault(sitting_id, {})
        before = by_process.get(pid)
        if any(count for count, _ in rows):
            by_process[pid] = (time.monotonic(), rows)
        else:
            by_process.pop(pid, None)
        changed = before is None or [c for c, _ in before[1]] != [c for c, _ in rows]
        if changed:
            self.screens.presence_changed(sitting_id, local=False)  # type: ignore[attr-defined]

    def _forget_silent(self) -> None:
        """Drop the counts of processes silent past the stale limit (one that died says nothing)."""
        remote = getattr(self.screens, "remote", None)
        stale_after = getattr(self.screens, "stale_after", 15.0)
        if not remote:
            return
        now = time.monotonic()
        for sitting_id, by_process in list(remote.items()):
            silent = [pid for pid, (heard, _) in by_process.items() if now - heard > stale_after]
            for pid in silent:
                del by_process[pid]
            if not by_process:
                del remote[sitting_id]
            if silent:
                self.screens.presence_changed(sitting_id, local=False)  # type: ignore[attr-defined]

    async def _tell_seats(self) -> None:
        """Send this process's seat counts when they change, and again every few seconds."""
        import psycopg

        from server.live.screens import MAX_SEATS

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo(self.kiosk.db.url),
                    autocommit=True,
                    application_name=f"kiosk-seats-{os.getpid()}",
                    connect_timeout=5,
                ) as conn:
                    while True:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._seats_wake.wait(), SEATS_EVERY)
                        self._seats_wake.clear()
                        self._forget_silent()
                        due, self._seats_dirty = self._seats_dirty | self._seats_held, set()
                        for sitting_id in sorted(due):
                            rows = self.screens.local_seats(sitting_id, MAX_SEATS)  # type: ignore[attr-defined]
                            if any(count for count, _ in rows):
                                self._seats_held.add(sitting_id)
                            else:
                                self._seats_held.discard(sitting_id)
                            told = {"p": os.getpid(), "s": sitting_id, "r": rows}
                            await conn.execute(
                                "SELECT pg_notify(%s, %s)",
                                (SEATS_CHANNEL, json.dumps(told, separators=(",", ":"))),
                            )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the connection went: connect again
                log.warning("seat-count connection lost (%s); connecting again", exc)
                await asyncio.sleep(RETRY_MAX)

    # --- catching up ------------------------------------------------------------------------

    async def _catch_up_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            pending, self._pending = self._pending, {}
            results = await asyncio.gather(
                *(self.catch_up(sid, upto) for sid, upto in pending.items()),
                return_exceptions=True,
            )
            for sid, result in zip(pending, results, strict=True):
                if isinstance(result, BaseException):
                    log.error("catching up sitting %s failed", sid, exc_info=result)

    async def catch_up(self, sitting_id: int, upto: int | None = None) -> None:
        """Fold in the chain's events past the state held (to ``upto``) and tell the screens."""
        sittings = self.kiosk.sittings
        base = sittings.live(sitting_id)
        if base is None or (upto is not None and base.state.version >= upto):
            return
        after = base.state.version
        rows = await self.kiosk.db.read(
            lambda db: store.read_chain(db.connection(), sitting_id, after=after, upto=upto)
        )
        if not rows:
            return
        now = sittings.current(sitting_id)
        if now is not None and now.version >= rows[-1][0].seq:
            return  # this process's writer got there first and tells its screens itself
        live = store.fold_onto(base, rows)
        sittings.remember(live)
        events: list[sd.Recorded] = [event for event, _, _ in rows]
        self.caught_up += 1
        self.screens.publish(sitting_id, change_of(store.Outcome(base.state, live.state, events)))
