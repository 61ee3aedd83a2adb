"""``python -m server.store.migrations check | new MESSAGE``: compare the models with the migrations,
or write the next revision from the difference (see the package's docstring)."""

from __future__ import annotations

import re
import sys
import tempfile

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from server.store import engine as _engine  # noqa: F401  (registers every table)
from server.store.migrations import HERE, config, upgrade


def _scratch() -> tuple[sa.Engine, tempfile.TemporaryDirectory[str]]:
    folder = tempfile.TemporaryDirectory(prefix="kiosk-migrations-")
    scratch = sa.create_engine(f"sqlite:///{folder.name}/head.db")
    upgrade(scratch)
    return scratch, folder


def check() -> int:
    scratch, folder = _scratch()
    with folder, scratch.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    scratch.dispose()
    for change in diff:
        print(change)
    print(
        "the models match the migrations"
        if not diff
        else "the models differ: write a revision (new MESSAGE)"
    )
    return 1 if diff else 0


def new(message: str) -> int:
    numbers = [
        int(m.group(1))
        for f in (HERE / "versions").glob("*.py")
        if (m := re.match(r"(\d{4})_", f.name))
    ]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"
    scratch, folder = _scratch()
    with folder, scratch.begin() as conn:
        command.revision(config(conn), message=message, autogenerate=True, rev_id=rev_id)
    scratch.dispose()
    # Alembic names the file <rev>_<slug of the message>; keep the numbering readable.
    written = next((HERE / "versions").glob(f"{rev_id}_*.py"))
    target = written.with_name(f"{rev_id}_{slug}.py")
    written.rename(target)
    print(
        f"wrote {target}: read it, give NOT NULL columns a server_default, then run tests/store/test_migrations.py"
    )
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) == 1:
        return check()
    if argv[:1] == ["new"] and len(argv) == 2:
        return new(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
