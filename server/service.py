"""The kiosk's commands: decide against memory, write in one transaction, then tell the screens.

Every change to a sitting goes through :meth:`Kiosk.run`: on the writer thread the command is
decided against the sitting's state in memory (:mod:`server.domain.sitting`), its events and the
rows the queries read are appended in the writer's transaction (:mod:`server.store.sittings`),
and only after the commit does the state advance, the caller hear back (a judge's ack) and the
:class:`Publisher` tell the screens. Nothing is acknowledged or broadcast before it is durable.

The service knows nothing of sockets: whatever implements :class:`Publisher` (the in-process
screens of :mod:`server.live.screens` today; a PostgreSQL LISTEN/NOTIFY bus when several
processes share a database) is handed each committed :class:`Change`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from server.domain import sitting as sd
from server.domain.views import SittingView
from server.errors import NotFound
from server.publish import Change, Nobody, Publisher
from server.store import sittings as store
from server.store.engine import Database

#: Kinds that change only the interview they name: the console is sent that interview alone.
INTERVIEW_KINDS = frozenset(
    {
        "interview.started",
        "interview.countdown",
        "mark.submitted",
        "seat.excused",
        "mark.reopened",
        "interview.scored",
        "interview.announced",
        "interview.signed",
        "interview.absent",
        "interview.disputed",
        "component.scored",
    }
)


def change_of(outcome: store.Outcome) -> Change:
    """Say what the screens must hear of a committed command.

    Events of another process the writer caught up on before deciding (PostgreSQL) are told
    with it: this process's screens may not have heard of them yet.
    """
    events = [*outcome.caught_up, *outcome.events]
    interviews = tuple(
        dict.fromkeys(e.data["interview_id"] for e in events if e.kind in INTERVIEW_KINDS)
    )
    whole = any(e.kind not in INTERVIEW_KINDS for e in events)
    before = outcome.before if outcome.held is None else outcome.held
    after = outcome.state
    gone_from = None
    if before is not None and after.judge_count < before.judge_count:
        gone_from = after.judge_count + 1
    if after.removed and (before is None or not before.removed):
        gone_from = 1
    return Change(after, interviews, whole, gone_from, display_gone=gone_from == 1)


@dataclass(frozen=True)
class ByInterview:
    """A command addressed by an interview id: its sitting is found through the interview."""

    interview_id: int


class Kiosk:
    """The database, the live sittings and the publisher that tells the screens."""

    def __init__(self, db: Database, publisher: Publisher | None = None) -> None:
        self.sittings = store.Sittings()
        self.publisher: Publisher = publisher or Nobody()
        self._db: Database | None = None
        self.db = db

    @property
    def db(self) -> Database:
        assert self._db is not None
        return self._db

    @db.setter
    def db(self, db: Database) -> None:
        # The demo swaps in its own database before serving: the states held were another's.
        if self._db is not None:
            self._db.listeners.remove(self.sittings)
        self.sittings.forget()
        db.listeners.append(self.sittings)
        self._db = db

    # --- commands -------------------------------------------------------------------------------

    def submit(
        self,
        target: int | ByInterview | None,
        command: sd.Command | store.CommandFactory,
        extra: Callable[[Connection, sd.SittingState], None] | None = None,
    ) -> Any:
        """Queue one command for the writer; the future holds its :class:`Outcome` after commit."""
        sittings = self.sittings

        def work(conn: Connection) -> tuple[store.Outcome, store.Live | None]:
            sitting_id: int | None
            if isinstance(target, ByInterview):
                sitting_id = sittings.sitting_for(conn, target.interview_id)
                if sitting_id is None:
                    iid = target.interview_id
                    raise NotFound(f"面试 {iid} 不存在。", f"There is no interview {iid}.")
                held, _, _ = sittings.latest(conn, sitting_id)  # locked, the record's latest
                if held is not None and held.state.removed:
                    # The decider lets these decide on a removed sitting; the API hides it whole.
                    raise NotFound(
                        f"场次 {sitting_id} 不存在。", f"There is no sitting {sitting_id}."
                    )
            else:
                sitting_id = target
            return sittings.execute(conn, sitting_id, command, extra)

        def staged(result: tuple[store.Outcome, store.Live | None]) -> None:
            outcome, live = result
            if outcome.events and live is not None:
                sittings.stage(live, [*outcome.caught_up, *outcome.events])

        return self.db.submit_core(work, staged)

    async def run(
        self,
        target: int | ByInterview | None,
        command: sd.Command | store.CommandFactory,
        extra: Callable[[Connection, sd.SittingState], None] | None = None,
        committed: Callable[[store.Outcome], None] | None = None,
    ) -> store.Outcome:
        """Decide and record ``command``; after the commit, call ``committed``, then publish.

        ``committed`` is where a judge's ack goes: it reaches the judge ahead of the state that
        follows from it.
        """
        outcome, _ = await asyncio.wrap_future(self.submit(target, command, extra))
        if committed is not None:
            committed(outcome)
        if outcome.events:
            self.publisher.publish(outcome.sitting_id, change_of(outcome))
        return outcome

    def run_sync(
        self,
        target: int | ByInterview | None,
        command: sd.Command | store.CommandFactory,
        extra: Callable[[Connection, sd.SittingState], None] | None = None,
    ) -> store.Outcome:
        """:meth:`run` for code outside the event loop (the demo, the CLI, tests)."""
        outcome, _ = self.submit(target, command, extra).result()
        if outcome.events:
            self.publisher.publish(outcome.sitting_id, change_of(outcome))
        return outcome  # type: ignore[no-any-return]

    # --- reads ----------------------------------------------------------------------------------

    async def state(self, sitting_id: int, include_removed: bool = False) -> sd.SittingState:
        """The sitting's state in memory (loaded from its chain on first use), or ``NotFound``."""
        state = self.sittings.current(sitting_id)
        if state is None:
            live = await self.db.read(lambda db: store.load(db.connection(), sitting_id))
            if live is not None:
                self.sittings.remember(live)
                state = self.sittings.current(sitting_id)
        if state is None or (state.removed and not include_removed):
            raise NotFound(f"场次 {sitting_id} 不存在。", f"There is no sitting {sitting_id}.")
        return state

    async def view(self, sitting_id: int) -> SittingView:
        """The sitting as the views take it (``NotFound`` for an unknown or removed one)."""
        return sd.sitting_view(await self.state(sitting_id))
