"""The engine on both databases: append-only audit, exact marks, the group-committing writer.

Every test runs on SQLite; each runs on PostgreSQL too when KIOSK_TEST_DATABASE_URL names a
PostgreSQL database, which ``scripts/with-postgres`` sets up:

    scripts/with-postgres .venv/bin/pytest -q tests/store/test_postgres.py
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text
from sqlalchemy.exc import DatabaseError, OperationalError

from server.domain import sitting as sd
from server.errors import KioskError
from server.store import repository as repo
from server.store import sittings as store
from server.store.audit import verify_lines
from server.store.engine import Database, is_sqlite
from tests.direct import Direct, rows_view

PG_URL = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
ON_PG = bool(PG_URL) and not is_sqlite(PG_URL)
SKIP_PG = (
    "needs a PostgreSQL server: run `scripts/with-postgres .venv/bin/pytest "
    "tests/store/test_postgres.py` (or set KIOSK_TEST_DATABASE_URL=postgresql+psycopg://...)"
)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not ON_PG, reason=SKIP_PG))]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = PG_URL if request.param == "postgresql" else f"sqlite:///{tmp_path}/k.db"
    database = Database(url)
    database.create_schema()
    database.create_schema()  # twice: creating the schema is idempotent on both
    yield database
    database.close()


def sitting(db: Database, judges: int = 6) -> tuple[Direct, int, int]:
    """A sitting with one post and one started interview; return (writer, sitting id, interview id)."""
    d = Direct(db)
    sid = d.sitting("引擎", judge_count=judges, min_scores=5)
    d.position(sid, "A", "甲")
    iid = d.interview(sid, 1, "张三", "A")
    d.flow(sd.Start(iid))
    return d, sid, iid


def test_the_database_refuses_to_change_or_delete_an_audit_event(db: Database) -> None:
    _, sid, _ = sitting(db)
    for statement in (
        f"UPDATE audit_event SET kind = 'x' WHERE session_id = {sid} AND seq = 2",
        f"DELETE FROM audit_event WHERE session_id = {sid} AND seq = 2",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            db.write_sync(lambda s, st=statement: s.exec(text(st)))  # type: ignore[call-overload]

        async def through_the_writer(st: str = statement) -> Any:
            return await db.write(lambda s: s.exec(text(st)))  # type: ignore[call-overload]

        with pytest.raises(DatabaseError, match="append-only"):
            asyncio.run(through_the_writer())
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert len(lines) == 4 and verify_lines(lines).ok


def test_marks_and_results_stay_exact_text(db: Database) -> None:
    d, sid, iid = sitting(db)
    for seat, score in enumerate(["79", "80", "80.0", 80, "80.5", "90"], start=1):
        ack = d.submit(sid, seat, f"r{seat}", iid, score)
        assert ack.score == f"{float(score):.1f}"
    for view in (rows_view(db, sid), sd.sitting_view(d.kiosk.sittings.current(sid))):  # type: ignore[arg-type]
        interview = view.interviews[0]
        assert str(interview.result) == "80.13"  # 80.125 rounded half up; a float gives 80.12
        assert [str(m) for _, m in sorted(interview.marks.items())] == ["79.0", "80.0", "80.0", "80.0", "80.5", "90.0"]


async def submit_all(d: Direct, sid: int, iid: int, seats: range) -> list[Any]:
    return await asyncio.gather(*(
        d.kiosk.run(sid, sd.Submit(seat, f"g{seat}", iid, "88.8")) for seat in seats
    ), return_exceptions=True)


def test_concurrent_writes_are_committed_together_and_chained_in_order(db: Database) -> None:
    d, sid, iid = sitting(db, judges=15)
    commits_before = db.commits
    outcomes = asyncio.run(submit_all(d, sid, iid, range(1, 16)))
    assert [o.ack.score for o in outcomes] == ["88.8"] * 15
    assert db.commits - commits_before < 15  # some writes shared a commit
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert verify_lines(lines).ok and len(lines) == 4 + 15 + 1  # marks, then interview.scored
    assert rows_view(db, sid).interviews[0].state == "scored"
    assert d.kiosk.sittings.current(sid).version == len(lines)  # type: ignore[union-attr]


def test_a_refused_write_rolls_back_alone_in_its_batch(db: Database) -> None:
    d, sid, iid = sitting(db)
    gate = threading.Event()

    def blocker(s: Any) -> None:
        gate.wait(10)  # holds the writer so the next three queue into one batch

    def half_done_then_refused(conn: Any, state: Any) -> None:
        # The mark and its event are written in the command's savepoint, then refused after.
        raise KioskError("refused", "refused")

    async def run() -> list[Any]:
        first = asyncio.ensure_future(db.write(blocker))
        await asyncio.sleep(0.05)
        rest = [
            d.kiosk.run(sid, sd.Submit(1, "x1", iid, "81")),
            d.kiosk.run(sid, sd.Submit(2, "x2", iid, "80"), extra=half_done_then_refused),
            d.kiosk.run(sid, sd.Submit(3, "x3", iid, "83")),
        ]
        tasks = [asyncio.ensure_future(c) for c in rest]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in tasks)  # nothing answered before its commit
        gate.set()
        await first
        return await asyncio.gather(*tasks, return_exceptions=True)

    reruns = db.reruns
    one, two, three = asyncio.run(run())
    # The batch ran first without savepoints; the refusal sent it round again with them.
    assert db.reruns == reruns + 1
    assert one.ack.score == "81.0" and three.ack.score == "83.0"
    assert isinstance(two, KioskError)
    assert sorted(rows_view(db, sid).interviews[0].marks) == [1, 3]
    held = d.kiosk.sittings.current(sid)
    assert held is not None and sorted(held.interviews[iid].marks) == [1, 3]
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert verify_lines(lines).ok and len(lines) == 6 and held.version == 6
    assert d.submit(sid, 2, "x2", iid, "82").score == "82.0"  # the refused seat marks afterwards


def test_when_the_commit_fails_no_write_of_the_batch_is_acknowledged(db: Database) -> None:
    d, sid, iid = sitting(db)
    before = d.kiosk.sittings.current(sid)

    def fail(conn: Any) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    event.listen(db.write_engine, "commit", fail)
    try:
        results = asyncio.run(submit_all(d, sid, iid, range(1, 4)))
    finally:
        event.remove(db.write_engine, "commit", fail)
    assert all(isinstance(r, OperationalError) for r in results)
    assert rows_view(db, sid).interviews[0].marks == {}
    assert len(db.read_sync(lambda s: repo.audit_lines(s, sid))) == 4
    # Memory is untouched: the same state as before, and the same request ids are new again.
    assert d.kiosk.sittings.current(sid) is before
    later = asyncio.run(submit_all(d, sid, iid, range(1, 2)))  # the writer goes on afterwards
    assert later[0].ack.score == "88.8" and not later[0].ack.replay
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert len(lines) == 5 and verify_lines(lines).ok
    assert d.kiosk.sittings.current(sid).version == 5  # type: ignore[union-attr]


def test_the_prepared_statements_store_what_core_would(db: Database) -> None:
    """A mark's statements skip the Core construct, not the column types' conversions."""
    d, sid, iid = sitting(db)
    moment = datetime(2026, 11, 30, 9, 15, 30, 123456, tzinfo=UTC)
    row = {
        "session_id": sid, "interview_id": iid, "seat": 9, "score": "77.5", "request_id": "x",
        "submitted_at": moment, "voided_at": moment, "active_key": None,
    }
    interview = store._interview_row(d.kiosk.sittings.current(sid).interviews[iid])
    with db.write_engine.begin() as conn:
        conn.execute(insert(store._mark), {**row, "request_id": "core"})
        store._INSERT_MARK.run(conn, {**row, "request_id": "prepared"})
        conn.execute(store._interview.update().where(store._interview.c.id == iid), interview)
        by_core = conn.exec_driver_sql(f"SELECT started_at FROM interview WHERE id = {iid}").scalar()
        store._UPDATE_INTERVIEW.run(conn, {"interview_id_": iid, **interview})
        by_prepared = conn.exec_driver_sql(f"SELECT started_at FROM interview WHERE id = {iid}").scalar()
        stored = {
            r.request_id: (r.submitted_at, r.voided_at, r.score, r.seat)
            for r in conn.exec_driver_sql(
                "SELECT request_id, submitted_at, voided_at, score, seat FROM mark WHERE seat = 9"
            )
        }
        conn.rollback()
    assert stored["prepared"] == stored["core"]
    assert by_prepared == by_core and by_core is not None
    if db.write_engine.dialect.name == "sqlite":  # the text SQLAlchemy writes, not sqlite3's own
        assert stored["core"][0] == "2026-11-30 09:15:30.123456"
