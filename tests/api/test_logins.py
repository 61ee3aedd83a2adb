"""The secretary's login check remembers good tokens only where that is exact.

Through a real server: a token used (and so remembered) stops at once on logout, and a token
older than the login lifetime stops though it was remembered young. On the object: a check that
read the database before a logout committed does not remember what it read, and on PostgreSQL
(another process may end a login) every check reads the database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server.api.deps import Logins
from server.errors import NotAuthenticated
from tests.support import PASSWORD, ServerProcess


class FakeDatabase:
    """``read`` answers the token's start from ``tokens``, after ``gate`` opens if one is set."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.tokens: dict[str, datetime] = {}
        self.reads = 0
        self.gate: asyncio.Event | None = None

    async def read(self, fn: Any) -> Any:
        self.reads += 1
        if self.gate is not None:
            await self.gate.wait()
        return fn(self)

    def get(self, _model: Any, digest: str) -> Any:
        created = self.tokens.get(digest)
        return None if created is None else type("Row", (), {"created_at": created})()


def logins(sqlite: bool, *tokens: str) -> tuple[Logins, FakeDatabase]:
    from server.store.repository import _digest

    db = FakeDatabase(sqlite)
    for token in tokens:
        db.tokens[_digest(token)] = datetime.now(UTC)
    return Logins(type("Kiosk", (), {"db": db})(), timedelta(hours=12)), db


def test_a_remembered_token_is_checked_without_reading_again() -> None:
    checker, db = logins(True, "tok")
    asyncio.run(checker.check("tok"))
    asyncio.run(checker.check("tok"))
    assert db.reads == 1


def test_on_postgresql_every_check_reads_the_database() -> None:
    checker, db = logins(False, "tok")
    asyncio.run(checker.check("tok"))
    asyncio.run(checker.check("tok"))
    assert db.reads == 2


def test_unknown_and_missing_tokens_are_refused_and_not_remembered() -> None:
    checker, db = logins(True, "tok")
    for bad in (None, "", "other", "x" * 201):
        with pytest.raises(NotAuthenticated):
            asyncio.run(checker.check(bad))
    assert checker._known == {}


def test_a_read_begun_before_a_logout_is_not_remembered() -> None:
    checker, db = logins(True, "tok")

    async def scenario() -> None:
        db.gate = asyncio.Event()
        pending = asyncio.create_task(checker.check("tok"))
        await asyncio.sleep(0)  # the check is now waiting on its database read
        checker.forget("tok")  # the logout committed meanwhile
        db.gate.set()
        await pending  # it began before the logout: this one request may pass
        db.tokens.clear()  # the row is gone, as after the logout's commit
        db.gate = None
        with pytest.raises(NotAuthenticated):
            await checker.check("tok")

    asyncio.run(scenario())


def test_forget_all_ends_every_remembered_login() -> None:
    checker, db = logins(True, "a", "b")
    asyncio.run(checker.check("a"))
    asyncio.run(checker.check("b"))
    checker.forget()
    db.tokens.clear()
    for token in ("a", "b"):
        with pytest.raises(NotAuthenticated):
            asyncio.run(checker.check(token))


def test_a_remembered_token_still_grows_old() -> None:
    checker, db = logins(True, "tok")
    asyncio.run(checker.check("tok"))
    checker.max_age = timedelta(0)  # twelve hours later, as far as the check can tell
    with pytest.raises(NotAuthenticated):
        asyncio.run(checker.check("tok"))


def test_a_used_token_stops_at_once_on_logout_for_writes_too(server: ServerProcess) -> None:
    token = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    body = {"title": "登录测试", "judge_count": 5}
    # A write: checked by the gate and remembered; then a read, remembered too.
    assert httpx.post(f"{server.url}/api/sessions", json=body, headers=auth).status_code == 201
    assert httpx.get(f"{server.url}/api/sessions", headers=auth).status_code == 200
    assert httpx.post(f"{server.url}/api/logout", headers=auth).status_code == 200
    assert httpx.post(f"{server.url}/api/sessions", json=body, headers=auth).status_code == 401
    assert httpx.get(f"{server.url}/api/sessions", headers=auth).status_code == 401
