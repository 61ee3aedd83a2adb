"""Two writers (two processes' worth) on one PostgreSQL database, in one test process.

Each :class:`Database` has its own writer thread and connection, exactly as two ``kiosk serve``
processes would: their batches mix sittings in opposite orders, so a batch meets sittings the
other has locked. Every write must still stand (no deadlock, no error), and every chain verify.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from server.domain import sitting as sd
from server.store import repository as repo
from server.store import sittings as store
from server.store.audit import verify_lines
from server.store.engine import Database, is_sqlite
from tests.direct import Direct

PG_URL = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
ON_PG = bool(PG_URL) and not is_sqlite(PG_URL)

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not ON_PG,
        reason="several writers share only a PostgreSQL database: run "
        "`scripts/with-postgres .venv/bin/pytest tests/multi` (KIOSK_TEST_DATABASE_URL=postgresql+psycopg://...)",
    ),
]


@pytest.fixture
def writers() -> Iterator[tuple[Direct, Direct]]:
    one, other = Database(PG_URL), Database(PG_URL)
    one.create_schema()
    yield Direct(one), Direct(other)
    one.close()
    other.close()


def test_two_writers_mixing_sittings_in_opposite_orders_never_deadlock_nor_fork(
    writers: tuple[Direct, Direct],
) -> None:
    one, other = writers
    judges = 15
    sittings = []
    for n in range(4):
        d = (one, other)[n % 2]
        sid = d.sitting(f"并发{n}", judge_count=judges, min_scores=5)
        d.position(sid, "A", "甲")
        interviews = [d.interview(sid, k, f"考生{k}", "A") for k in (1, 2)]
        d.flow(sd.Start(interviews[0]))
        sittings.append((sid, interviews))
    futures: list[tuple[Future[object], str]] = []
    for seat in range(1, judges + 1):
        # The same marks from both sides, the sittings in opposite orders: the batches of each
        # writer hold several sittings, some locked by the other writer at that moment.
        order = sittings if seat % 2 else sittings[::-1]
        for k, (sid, interviews) in enumerate(order):
            d = (one, other)[(seat + k) % 2]
            command = sd.Submit(seat, f"r{seat}", interviews[0], str(60 + seat))
            futures.append((d.kiosk.submit(sid, command), f"{sid}:{seat}"))
    # Also new interviews (ids reserved under a lock per table) from both sides at once.
    for k in range(3, 13):
        sid, _ = sittings[k % 4]
        d = (one, other)[k % 2]
        futures.append(
            (
                d.kiosk.submit(
                    sid,
                    lambda conn, k=k: sd.AddInterview(
                        store.reserve_id(conn, "interview"),
                        k,
                        f"考生{k}",
                        "A",
                    ),
                ),
                f"{sid}:add{k}",
            )
        )
    for future, what in futures:
        outcome, _ = future.result(timeout=60)  # type: ignore[misc]
        assert outcome.events, what
    for sid, _ in sittings:
        lines = one.db.read_sync(lambda s, sid=sid: repo.audit_lines(s, sid))
        assert verify_lines(lines).ok
        kinds = [line.split('"kind": "')[1].split('"')[0] for line in lines]
        assert kinds.count("mark.submitted") == judges
        assert kinds.count("interview.scored") == 1
    print("deferred jobs:", one.db.deferred, other.db.deferred)
