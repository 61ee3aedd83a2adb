"""Live sittings in memory, the database as the record (server/store/sittings.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from server.domain import sitting as sd
from server.errors import DuplicateEntry, NotFound
from server.service import ByInterview, Kiosk
from server.store import repository as repo
from server.store import sittings as store
from server.store.audit import verify_lines
from server.store.engine import Database
from tests.direct import Direct, rows_view


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/k.db")
    database.create_schema()
    yield database
    database.close()


def scored_sitting(d: Direct) -> tuple[int, int]:
    sid = d.sitting("内存", judge_count=3, min_scores=3)
    d.position(sid, "A", "甲")
    iid = d.interview(sid, 1, "张三", "A")
    d.interview(sid, 2, "李四", "A")
    d.flow(sd.Start(iid))
    for seat, score in ((1, "80"), (2, "85.5"), (3, "90")):
        d.submit(sid, seat, f"r{seat}", iid, score)
    return sid, iid


def test_a_reloaded_sitting_is_the_one_in_memory(db: Database) -> None:
    d = Direct(db)
    sid, _ = scored_sitting(d)
    held = d.kiosk.sittings.current(sid)
    fresh = Kiosk(db)  # another process's view of the same file: folded from the chain
    other = fresh.run_sync(sid, sd.CorrectSitting(title="内存"))  # a no-op, decided after a load
    assert other.events == [] and other.state == held
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert verify_lines(lines).ok and held is not None and held.version == len(lines)


def test_the_next_event_links_to_the_head_after_a_reload(db: Database) -> None:
    sid, iid = scored_sitting(Direct(db))
    again = Direct(db)  # nothing in memory: the head hash comes from the database
    again.flow(sd.Announce(iid))
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert verify_lines(lines).ok and lines[-1].count('"interview.announced"') == 1


def test_an_interview_finds_its_sitting_lazily(db: Database) -> None:
    sid, iid = scored_sitting(Direct(db))
    fresh = Direct(db)
    assert fresh.kiosk.sittings.current(sid) is None
    outcome = fresh.flow(sd.Announce(iid))
    assert outcome.sitting_id == sid and outcome.state.interviews[iid].state == "announced"
    with pytest.raises(NotFound, match="面试 99999 不存在"):
        fresh.run(ByInterview(99999), sd.Start(99999))


def test_a_removed_rows_id_is_never_given_again(db: Database) -> None:
    d = Direct(db)
    sid = d.sitting("编号", judge_count=3, min_scores=3)
    d.position(sid, "A", "甲")
    d.interview(sid, 1, "张三", "A")
    last = d.interview(sid, 2, "李四", "A")
    d.flow(sd.RemoveInterview(last))  # the highest id goes
    again = d.interview(sid, 2, "李四", "A")
    assert again > last
    gone = d.position(sid, "B", "乙")
    d.run(sid, sd.RemovePosition("B"))
    assert d.position(sid, "B", "乙") > gone
    assert [i.id for i in rows_view(db, sid).interviews] == [again - 2, again]


def test_a_failed_transaction_leaves_memory_and_the_next_command_right(db: Database) -> None:
    d = Direct(db)
    sid = d.sitting("失败", judge_count=3, min_scores=3)
    d.position(sid, "A", "甲")
    iid = d.interview(sid, 1, "张三", "A")
    d.flow(sd.Start(iid))
    before = d.kiosk.sittings.current(sid)

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO audit_event"):
            raise RuntimeError("the disk went away")

    event.listen(db.write_engine, "before_cursor_execute", refuse)
    try:
        with pytest.raises(RuntimeError, match="disk went away"):
            d.submit(sid, 1, "r1", iid, "80")
    finally:
        event.remove(db.write_engine, "before_cursor_execute", refuse)
    assert d.kiosk.sittings.current(sid) is before  # nothing staged stayed
    assert rows_view(db, sid).interviews[0].marks == {}
    ack = d.submit(sid, 1, "r1", iid, "80")  # the same request id is new: it was never recorded
    assert not ack.replay and ack.score == "80.0"
    assert d.submit(sid, 1, "r1", iid, "80").replay  # and now it is remembered
    lines = db.read_sync(lambda s: repo.audit_lines(s, sid))
    assert verify_lines(lines).ok and len(lines) == 5


def test_several_commands_stand_or_fall_together(db: Database) -> None:
    d = Direct(db)
    sid = d.sitting("名单", judge_count=3, min_scores=3)
    d.position(sid, "A", "甲")
    before = d.kiosk.sittings.current(sid)

    def roster(conn: Any) -> list[sd.Command]:
        return [
            sd.AddInterview(store.reserve_id(conn, "interview"), 1, "张三", "A"),
            sd.AddInterview(store.reserve_id(conn, "interview"), 1, "李四", "A"),  # same draw
        ]

    with pytest.raises(DuplicateEntry):
        d.run(sid, roster)
    assert d.kiosk.sittings.current(sid) is before and rows_view(db, sid).interviews == []
