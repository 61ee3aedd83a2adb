"""The audit chain: built with the change, append-only in the database, checked by ``kiosk verify``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from server.domain import sitting as sd
from server.store import repository as repo
from server.store.audit import GENESIS, link_hash, verify_lines
from server.store.engine import Database
from tests.direct import Direct


@pytest.fixture
def db(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path}/k.db")
    database.create_schema()
    yield database
    database.close()


def chain(db: Database) -> list[str]:
    d = Direct(db)
    sid = d.sitting("审计", judge_count=3, min_scores=3)
    d.position(sid, "A", "甲")
    iid = d.interview(sid, 1, "张三", "A")
    d.flow(sd.Start(iid))
    for seat, score in ((1, "80"), (2, "85.5"), (3, "90")):
        d.submit(sid, seat, f"r{seat}", iid, score)
    return db.read_sync(lambda s: repo.audit_lines(s, sid))


def test_every_change_is_chained_from_genesis(db: Database) -> None:
    lines = chain(db)
    events = [json.loads(line) for line in lines]
    assert [e["kind"] for e in events] == [
        "session.created", "position.created", "interview.created", "interview.started",
        "mark.submitted", "mark.submitted", "mark.submitted", "interview.scored",
    ]
    assert events[0]["prev"] == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after["prev"] == before["hash"]
    for e in events:
        assert e["hash"] == link_hash(e["prev"], e["seq"], e["at"], e["actor"], e["kind"], e["data"])
    assert events[4]["actor"] == "judge:1"
    assert events[4]["data"] == {"interview_id": 1, "seat": 1, "score": "80.0", "request_id": "r1"}
    assert events[-1]["data"]["result"] == "85.50"
    assert verify_lines(lines).ok


def test_the_database_refuses_to_change_or_delete_an_event(db: Database) -> None:
    chain(db)
    for statement in ("UPDATE audit_event SET kind = 'x' WHERE seq = 2", "DELETE FROM audit_event WHERE seq = 2"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.write_sync(lambda s, st=statement: s.exec(text(st)))  # type: ignore[call-overload]
    assert len(db.read_sync(lambda s: repo.audit_lines(s, 1))) == 8


def tamper(lines: list[str], how: str) -> list[str]:
    lines = list(lines)
    if how == "changed":
        event = json.loads(lines[5])
        event["data"]["score"] = "95.5"
        lines[5] = json.dumps(event, ensure_ascii=False)
    elif how == "removed":
        del lines[5]
    elif how == "inserted":
        lines.insert(5, lines[4])
    elif how == "reordered":
        lines[4], lines[5] = lines[5], lines[4]
    elif how == "rehashed":  # the forger recomputes this line's hash: the next line still breaks
        event = json.loads(lines[5])
        event["data"]["score"] = "95.5"
        event["hash"] = link_hash(event["prev"], event["seq"], event["at"], event["actor"], event["kind"], event["data"])
        lines[5] = json.dumps(event, ensure_ascii=False)
    return lines


@pytest.mark.parametrize(("how", "bad_line"), [
    ("changed", 6), ("removed", 6), ("inserted", 6), ("reordered", 5), ("rehashed", 7),
])
def test_kiosk_verify_names_the_first_bad_line(db: Database, tmp_path: Path, how: str, bad_line: int) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(chain(db)) + "\n", encoding="utf-8")
    ok = subprocess.run([sys.executable, "-m", "server.cli", "verify", str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "8 events" in ok.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(tamper(good.read_text(encoding="utf-8").splitlines(), how)) + "\n", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-m", "server.cli", "verify", str(bad)], capture_output=True, text=True)
    assert broken.returncode == 1
    assert f"line {bad_line}" in broken.stderr


def test_a_truncated_tail_still_verifies_but_shows_a_different_head(db: Database) -> None:
    # Removing the last lines cannot be seen from the file alone; the head hash printed on the
    # paper record (and shown by verify) is what catches it.
    lines = chain(db)
    full, cut = verify_lines(lines), verify_lines(lines[:-1])
    assert full.ok and cut.ok and full.head != cut.head
