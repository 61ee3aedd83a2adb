"""The LISTEN/NOTIFY bus in one test process: another writer's events reach this one's screens.

Two :class:`Database` objects on one PostgreSQL database stand for two processes: ``here``
holds a sitting in memory and tells a recording publisher (its screens); ``there`` writes.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from server.domain import sitting as sd
from server.pgbus import PgBus
from server.publish import Change
from server.service import Kiosk
from server.store.engine import Database, is_sqlite
from tests.direct import Direct

PG_URL = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
ON_PG = bool(PG_URL) and not is_sqlite(PG_URL)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not ON_PG,
        reason="LISTEN/NOTIFY needs a PostgreSQL database: run "
        "`scripts/with-postgres .venv/bin/pytest tests/multi` (KIOSK_TEST_DATABASE_URL=postgresql+psycopg://...)",
    ),
]


class Screens:
    """A publisher that records what it is told."""

    def __init__(self) -> None:
        self.told: list[tuple[int, Change]] = []
        self.arrived = asyncio.Event()

    def publish(self, sitting_id: int, change: Change) -> None:
        self.told.append((sitting_id, change))
        self.arrived.set()

    async def version(self, sitting_id: int, version: int, timeout: float = 10) -> None:
        async def reached() -> None:
            while not any(s == sitting_id and c.state.version >= version for s, c in self.told):
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(reached(), timeout)


@pytest.fixture
async def two() -> AsyncIterator[tuple[Kiosk, Screens, Direct]]:
    here_db, there_db = Database(PG_URL), Database(PG_URL)
    here_db.create_schema()
    screens = Screens()
    yield Kiosk(here_db, screens), screens, Direct(there_db)
    here_db.close()
    there_db.close()


def sitting(there: Direct) -> tuple[int, list[int]]:
    sid = there.sitting("总线", judge_count=5, min_scores=5)
    there.position(sid, "A", "甲")
    return sid, [there.interview(sid, k, f"考生{k}", "A") for k in (1, 2)]


async def test_catching_up_folds_the_chain_past_the_state_held_and_tells_the_screens_once(
    two: tuple[Kiosk, Screens, Direct],
) -> None:
    here, screens, there = two
    sid, interviews = sitting(there)
    held = (await here.state(sid)).version
    there.flow(sd.Start(interviews[0]))
    for seat in (1, 2):
        there.submit(sid, seat, f"r{seat}", interviews[0], "80")
    bus = PgBus(here, screens)  # not listening: as after a dropped connection
    await bus.catch_up(sid)
    assert len(screens.told) == 1
    _, change = screens.told[0]
    assert change.state.version == held + 3 == (await here.state(sid)).version
    assert change.interviews == (interviews[0],) and not change.whole
    assert change.state.interviews[interviews[0]].state == "interviewing"
    await bus.catch_up(sid)  # nothing new: nothing told
    assert len(screens.told) == 1


async def test_the_listener_tells_each_change_in_order_and_catches_up_after_a_drop(
    two: tuple[Kiosk, Screens, Direct],
) -> None:
    here, screens, there = two
    sid, interviews = sitting(there)
    await here.state(sid)
    bus = PgBus(here, screens)
    await bus.start()
    try:
        assert bus.listening.is_set()
        there.flow(sd.Start(interviews[0]))
        for seat in range(1, 6):
            await asyncio.to_thread(there.submit, sid, seat, f"r{seat}", interviews[0], str(80 + seat))
        last = (await asyncio.to_thread(lambda: there.kiosk.sittings.current(sid))).version
        await screens.version(sid, last)
        versions = [c.state.version for s, c in screens.told if s == sid]
        assert versions == sorted(versions) and len(set(versions)) == len(versions)
        # The listening connection drops; a write lands while it is down.
        with here.db.write_engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name"
                ),
                {"name": f"kiosk-listen-{os.getpid()}"},
            )
            conn.commit()
        await asyncio.to_thread(there.flow, sd.Announce(interviews[0]))
        await screens.version(sid, last + 1)
        assert bus.connects == 2  # it listened again, and read the chain for what it missed
        assert (await here.state(sid)).interviews[interviews[0]].state == "announced"
    finally:
        await bus.stop()
