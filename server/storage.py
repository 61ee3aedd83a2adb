"""A full disk, told apart from other failures, and remembered for ``/healthz``.

SQLite says "database or disk is full" (``SQLITE_FULL``), PostgreSQL raises ``DiskFull``
(SQLSTATE 53100), and plain file writes fail with ``ENOSPC``. Each becomes :class:`StorageFull`,
which a person can act on (tell IT, free space), instead of a bare server error.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from server.errors import StorageFull
from server.store.engine import Database

SQLITE_FULL = 13
PG_DISK_FULL = "53100"


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it wraps) says the disk or the database is full."""
    seen = 0
    while exc is not None and seen < 8:
        seen += 1
        if isinstance(exc, StorageFull):
            return True
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        if isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
            or "database or disk is full" in str(exc)
        ):
            return True
        if (
            getattr(exc, "sqlstate", None) == PG_DISK_FULL
            or getattr(exc, "pgcode", None) == PG_DISK_FULL
        ):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False


def storage_full() -> StorageFull:
    return StorageFull(
        "服务器磁盘已满，刚才的操作没有保存。请立即通知技术人员清理磁盘空间，然后重试。",
        "The server's disk is full and this change was NOT saved: tell IT to free disk space, then try again.",
    )


class StorageWatch:
    """Remembers a write that failed for lack of space until a later write commits."""

    def __init__(self, db: Database, min_free_bytes: int) -> None:
        self.db = db
        self.min_free_bytes = min_free_bytes
        self._failed_at_commit: int | None = None
        self.directory: Path | None = None
        if db.sqlite:
            path = make_url(db.url).database
            if path and path != ":memory:":
                self.directory = Path(path).resolve().parent

    def failed(self) -> None:
        """Note that a write just failed because the disk or the database is full."""
        self._failed_at_commit = self.db.commits

    def status(self) -> dict[str, Any] | None:
        """None when writes can be expected to succeed, else what ``/healthz`` reports."""
        if self._failed_at_commit is not None and self.db.commits <= self._failed_at_commit:
            return {
                "status": "disk_full",
                "detail": "the last write failed: the disk or database is full",
            }
        self._failed_at_commit = None
        if self.directory is not None:
            try:
                free = shutil.disk_usage(self.directory).free
            except OSError:
                return None
            if free < self.min_free_bytes:
                return {
                    "status": "disk_full",
                    "detail": f"only {free // 2**20} MiB free in {self.directory}",
                    "free_bytes": free,
                }
        return None
