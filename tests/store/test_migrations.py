"""Migrations (issue 8, item 6): revision 0001 is the landed schema, and a database the landed
release wrote upgrades in place with every sitting, mark and audit line intact.

The landed schema is kept as the DDL that release's code emitted (``landed_schema.*.sql`` beside
this file, generated from commit 15d0490), so these tests do not depend on the migrations to
build the "old" database they migrate.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from server.store import migrations
from server.store.audit import GENESIS, link_hash
from server.store.engine import Database
from tests.support import Api, ServerProcess, Socket

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get("KIOSK_TEST_DATABASE_URL", "")
ROOT = HERE.parents[1]


def landed_statements(dialect: str) -> list[str]:
    text = (
        HERE / f"landed_schema.{'sqlite' if dialect == 'sqlite' else 'postgres'}.sql"
    ).read_text(encoding="utf-8")
    out = []
    for chunk in re.split(r"(?m)^-- ;$", text):
        statement = "\n".join(
            line for line in chunk.splitlines() if not line.startswith("--")
        ).strip()
        if statement:
            out.append(statement)
    return out


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server (the shared one already has tables)."""
    if not PG_URL.startswith("postgresql"):
        pytest.skip("needs KIOSK_TEST_DATABASE_URL on PostgreSQL (scripts/with-postgres)")
    name = f"kiosk_mig_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/kiosk.db"
    return request.getfixturevalue("pg_database")


def test_the_history_is_one_line_from_the_landed_schema() -> None:
    script = ScriptDirectory.from_config(migrations.config())
    assert script.get_heads() == [migrations.head()]
    order = [rev.revision for rev in script.walk_revisions("base", "heads")][::-1]
    assert order[0] == migrations.LANDED == "0001" and "0002" in order


def test_revision_0001_is_exactly_the_landed_schema(tmp_path: Path) -> None:
    landed = sqlite3.connect(tmp_path / "landed.db")
    for statement in landed_statements("sqlite"):
        landed.execute(statement)
    landed.commit()
    engine = sa.create_engine(f"sqlite:///{tmp_path}/migrated.db")
    with engine.begin() as conn:
        command.upgrade(migrations.config(conn), migrations.LANDED)
    engine.dispose()
    migrated = sqlite3.connect(tmp_path / "migrated.db")

    def schema(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '%alembic%'"
        )
        return {(kind, name): re.sub(r"\s+", " ", sql or "").strip() for kind, name, sql in rows}

    assert schema(migrated) == schema(landed)
    assert ("trigger", "audit_event_no_update") in schema(migrated)
    landed.close()
    migrated.close()


def test_the_models_and_the_newest_revision_agree(empty_url: str) -> None:
    """A model change without its revision fails here: run ``python -m server.store.migrations new``."""
    db = Database(empty_url)
    try:
        db.create_schema()
        db.create_schema()  # at head: nothing to do
        with db.write_engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, SQLModel.metadata)
        assert diff == [], f"the models differ from the migrations: add a revision ({diff})"
    finally:
        db.close()


def test_processes_starting_at_once_migrate_once(pg_database: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        db = Database(pg_database)
        try:
            barrier.wait(10)
            db.create_schema()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    engine = sa.create_engine(pg_database)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [
            (migrations.head(),)
        ]
    engine.dispose()


# --- a database written by the landed release ---------------------------------------------


SCORED = {1: "82.0", 2: "85.5", 3: "80.0", 4: "90.0", 5: "78.0"}  # seat 3 first gave 70.0, reopened


class Landed:
    """Fill a landed-schema database through raw SQL, as that release would have written it."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.clock = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
        self.prev = GENESIS
        self.seq = 0
        self.hashes: list[str] = []
        self.tokens: dict[int, str] = {}

    def now(self) -> Any:
        self.clock += timedelta(seconds=7)
        # SQLAlchemy's SQLite DATETIME text; PostgreSQL takes the aware datetime itself.
        return self.clock.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else self.clock

    def insert(self, table: str, **row: Any) -> None:
        names = ", ".join(f'"{k}"' for k in row)
        values = ", ".join(f":{k}" for k in row)
        self.conn.execute(sa.text(f'INSERT INTO "{table}" ({names}) VALUES ({values})'), row)

    def event(self, actor: str, kind: str, data: dict[str, Any]) -> None:
        self.seq += 1
        at = (
            (self.clock + timedelta(milliseconds=1))
            .isoformat(timespec="microseconds")
            .replace("+00:00", "Z")
        )
        digest = link_hash(self.prev, self.seq, at, actor, kind, data)
        self.insert(
            "audit_event",
            id=self.seq,
            session_id=1,
            seq=self.seq,
            at=at,
            actor=actor,
            kind=kind,
            data=json.dumps(data, ensure_ascii=False, sort_keys=True),
            prev=self.prev,
            hash=digest,
        )
        self.prev = digest
        self.hashes.append(digest)

    def fill(self) -> None:
        fields = {
            "title": "迁移前的场次",
            "batch": "第一批",
            "judge_count": 6,
            "score_decimals": 1,
            "result_decimals": 2,
            "min_scores": 5,
        }
        self.insert("sitting", id=1, created_at=self.now(), announced_id=None, **fields)
        self.insert("setting", key="landed_marker", value="kept")
        for seat in range(1, 7):
            self.tokens[seat] = secrets.token_urlsafe(24)
            self.insert("token", token=self.tokens[seat], session_id=1, role="judge", seat=seat)
        self.insert(
            "token", token=secrets.token_urlsafe(24), session_id=1, role="display", seat=None
        )
        self.event("secretary", "session.created", {"session_id": 1, **fields})
        post = {"code": "A1", "name": "办公室副主任", "openings": 1, "shortlist_ratio": "2"}
        self.insert("position", id=1, session_id=1, **post)
        self.event("secretary", "position.created", {"position_id": 1, **post})
        for iid, name in ((1, "张三"), (2, "李四")):
            self.insert(
                "interview",
                id=iid,
                session_id=1,
                position_id=1,
                draw_no=iid,
                candidate_name=name,
                state="waiting",
            )
            self.event(
                "secretary",
                "interview.created",
                {
                    "interview_id": iid,
                    "draw_no": iid,
                    "candidate_name": name,
                    "position_code": "A1",
                },
            )
        self.event("secretary", "interview.started", {"interview_id": 1, "countdown_minutes": None})
        self.insert(
            "excusal", id=1, interview_id=1, seat=6, reason="与考生有亲属关系", at=self.now()
        )
        self.event(
            "secretary",
            "seat.excused",
            {"interview_id": 1, "seat": 6, "reason": "与考生有亲属关系"},
        )
        mark_id = 0

        def mark(iid: int, seat: int, score: str, request_id: str, voided: bool = False) -> None:
            nonlocal mark_id
            mark_id += 1
            self.insert(
                "mark",
                id=mark_id,
                session_id=1,
                interview_id=iid,
                seat=seat,
                score=score,
                request_id=request_id,
                submitted_at=self.now(),
                voided_at=self.now() if voided else None,
                active_key=None if voided else f"{iid}:{seat}",
            )
            self.event(
                f"judge:{seat}",
                "mark.submitted",
                {"interview_id": iid, "seat": seat, "score": score, "request_id": request_id},
            )

        mark(1, 3, "70.0", "r3-first", voided=True)
        self.event(
            "secretary",
            "mark.reopened",
            {
                "interview_id": 1,
                "seat": 3,
                "reason": "误触",
                "old_score": "70.0",
                "old_request_id": "r3-first",
            },
        )
        for seat in (1, 2, 3, 4, 5):
            mark(1, seat, SCORED[seat], f"r{seat}")
        self.event(
            "system",
            "interview.scored",
            {
                "interview_id": 1,
                "result": "82.50",
                "dropped_high": 4,
                "dropped_low": 5,
                "marks": {str(s): SCORED[s] for s in SCORED},
            },
        )
        self.event("secretary", "interview.announced", {"interview_id": 1, "result": "82.50"})
        self.event("secretary", "interview.started", {"interview_id": 2, "countdown_minutes": None})
        mark(2, 1, "88.0", "q1")
        mark(2, 2, "86.0", "q2")
        self.conn.execute(
            sa.text(
                "UPDATE interview SET state = 'announced', result = '82.50', dropped_high = 4, dropped_low = 5,"
                " started_at = :t, scored_at = :t, announced_at = :t WHERE id = 1"
            ),
            {"t": self.now()},
        )
        self.conn.execute(
            sa.text("UPDATE interview SET state = 'interviewing', started_at = :t WHERE id = 2"),
            {"t": self.now()},
        )
        self.conn.execute(sa.text("UPDATE sitting SET announced_id = 1 WHERE id = 1"))
        if (
            not self.sqlite
        ):  # explicit ids leave the sequences behind: the landed release's were not
            for table in ("sitting", "position", "interview", "mark", "excusal", "audit_event"):
                self.conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )


def build_landed(url: str) -> Landed:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in landed_statements(conn.dialect.name):
                conn.exec_driver_sql(statement)
            landed = Landed(conn)
            landed.fill()
    finally:
        engine.dispose()
    return landed


@pytest.fixture(params=["sqlite", "postgresql"])
def landed_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        if PG_URL:
            pytest.skip("the SQLite case runs in the SQLite pass")
        (tmp_path / "kiosk").mkdir()
        return f"sqlite:///{tmp_path}/kiosk/kiosk.db"
    return request.getfixturevalue("pg_database")


@pytest.mark.slow
def test_a_landed_database_upgrades_in_place(landed_url: str, tmp_path: Path) -> None:
    landed = build_landed(landed_url)
    server = ServerProcess(tmp_path / "kiosk", env={"KIOSK_DATABASE_URL": landed_url})
    server.start()
    api = None
    try:
        api = Api(server.url)
        sitting = api.get_session(1)
        assert sitting["title"] == "迁移前的场次" and sitting.get("language", "zh") == "zh"
        first, second = sitting["interviews"]
        assert first["state"] == "announced" and first["result"] == "82.50"
        assert [m["score"] for m in first["marks"]] == [
            "82.0",
            "85.5",
            "80.0",
            "90.0",
            "78.0",
            None,
        ]
        assert first["marks"][5]["excused"] and first["marks"][3]["dropped"] == "high"
        assert second["state"] == "interviewing"
        assert [m["submitted"] for m in second["marks"]] == [True, True, False, False, False, False]

        # The judges' old links still work, and the sitting carries on where it stopped.
        for seat, score in ((3, "84"), (4, "80.5"), (5, "91"), (6, "79")):
            sock = Socket(f"{server.ws_url}/ws/judge/{landed.tokens[seat]}")
            try:
                sock.recv()
                ack = sock.submit(2, score, f"new-{seat}")
                assert ack["type"] == "ack", ack
            finally:
                sock.close()
        second = api.get_session(1)["interviews"][1]
        assert second["state"] == "scored" and second["result"] == "84.63"  # 84, 86, 80.5, 88 kept

        audit = api.call("GET", "/api/sessions/1/audit.jsonl", 200).text
        lines = audit.splitlines()
        assert [json.loads(line)["hash"] for line in lines[: len(landed.hashes)]] == landed.hashes
        path = tmp_path / "audit.jsonl"
        path.write_text(audit, encoding="utf-8")
        head = json.loads(lines[-1])["hash"]
        verify = subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "verify",
                str(path),
                "--head",
                head,
                "--recompute",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert "2 scored interview(s) agree" in verify.stdout
    finally:
        if api is not None:
            api.http.close()
        server.stop()

    engine = sa.create_engine(landed_url)
    try:
        with engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            assert conn.exec_driver_sql("SELECT language FROM sitting").all() == [("zh",)]
            assert conn.exec_driver_sql(
                "SELECT value FROM setting WHERE key = 'landed_marker'"
            ).all() == [("kept",)]
            assert (
                conn.exec_driver_sql("SELECT count(*) FROM mark").scalar() == 8 + 4
            )  # the voided one kept
            assert conn.exec_driver_sql(
                "SELECT score FROM mark WHERE voided_at IS NOT NULL"
            ).all() == [("70.0",)]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_event SET kind = 'x' WHERE seq = 1")
    finally:
        engine.dispose()
