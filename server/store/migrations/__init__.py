"""Schema migrations (Alembic), run by the server itself at start: no ``alembic.ini`` needed.

:func:`upgrade` brings any database to the newest revision: an empty one is built from
revision 0001 up; one written by the landed release (tables, but no ``alembic_version``) is
first stamped 0001 — that revision *is* the landed schema — and then upgraded; any other is
upgraded from where it stands. On PostgreSQL, where several ``kiosk serve`` processes may start
at once, a session-level advisory lock makes exactly one of them run it; the others wait and
then find nothing to do. On SQLite the single writer's ``BEGIN IMMEDIATE`` does the same.

Adding a revision (a column, a table) is one command, run from the repository's root after the
model is changed::

    python -m server.store.migrations new "sitting: a venue column"

It builds a scratch SQLite database at the current head, compares it with the models and writes
``versions/NNNN_<slug>.py`` with the operations Alembic found. Read it, give a NOT NULL column a
``server_default`` (existing rows need a value), and run ``pytest tests/store/test_migrations.py``:
the models and the migrated schema must agree on SQLite and PostgreSQL. ``python -m
server.store.migrations check`` says whether they agree without writing anything.

SQLite alters a column only by copying its table (Alembic's batch mode does it). A copy of
``audit_event`` drops its append-only triggers: a revision that copies that table must create
them again (their text is in revision 0001).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).resolve().parent

#: The revision that is the landed release's schema (stamped onto databases it wrote).
LANDED = "0001"

#: pg_advisory_lock key: "kiosk" and "migrate" as ASCII, so no other lock of the app collides.
ADVISORY_KEY = 0x6B696F736B_6D6967 & 0x7FFFFFFFFFFFFFFF


def config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration built in code, optionally bound to ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: sa.Connection) -> str | None:
    """The revision ``connection``'s database is at (None: not under Alembic)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the newest revision (see the module's docstring)."""
    postgres = engine.dialect.name == "postgresql"
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if postgres:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({ADVISORY_KEY})")
            conn.commit()
        if sqlite:
            # A batch migration copies a table and drops the old one; with foreign keys on, that
            # drop would check (or cascade into) every row that refers to it. SQLite's own recipe
            # for altering a table: keys off outside the transaction, check them before commit.
            _driver(conn).execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():  # SQLite: BEGIN IMMEDIATE, so this is the only writer meanwhile
                _upgrade(conn)
                if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("a migration left rows whose foreign keys point nowhere")
        finally:
            if sqlite:
                _driver(conn).execute("PRAGMA foreign_keys=ON")
            if postgres:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({ADVISORY_KEY})")
                conn.commit()


def _driver(conn: sa.Connection) -> Any:
    """The DB-API connection under ``conn`` (PRAGMA foreign_keys works only outside a transaction)."""
    return conn.connection.driver_connection


def _upgrade(conn: sa.Connection) -> None:
    at = current(conn)
    target = head()
    if at == target:
        return
    cfg = config(conn)
    if at is None and sa.inspect(conn).has_table("sitting"):
        command.stamp(cfg, LANDED)  # written by the landed release: its schema is revision 0001
    command.upgrade(cfg, "head")
