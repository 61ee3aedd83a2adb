"""Shared dependencies: the kiosk, the settings, the logged-in secretary."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlmodel import Session, delete

from server.config import Settings
from server.service import Kiosk
from server.store import repository as repo
from server.store.models import MAX_ID, AuthToken

COOKIE = "kiosk_token"


# ``async``: FastAPI runs a plain ``def`` dependency on a worker thread, a trip there and back
# (and a wait for the GIL on each side) for one attribute read.
async def get_kiosk(request: Request) -> Kiosk:
    return request.app.state.kiosk


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


KioskDep = Annotated[Kiosk, Depends(get_kiosk)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def bearer_or_cookie(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


class Logins:
    """Checks the secretary's login token; remembers good ones when this process alone serves.

    A SQLite file has one serving process (its lock), so every login and logout passes through
    this object and a token it has seen in the database stays good until it logs out or grows
    too old: the check costs a dict lookup instead of a trip to a reader thread and back (two
    per write, one in the gate and one in the route, were most of a start's 7 ms). On
    PostgreSQL another process may end a login, so every check reads the database.
    """

    def __init__(self, kiosk: Any, max_age: timedelta) -> None:
        self.kiosk = kiosk  # its ``db`` is read at each check: ``--demo`` swaps it before start
        self.max_age = max_age
        self._known: dict[str, datetime] = {}
        #: Bumped by every logout: a database read that began before it is not remembered.
        self._generation = 0

    async def check(self, token: str | None) -> None:
        """Return if ``token`` is a live login, or raise ``NotAuthenticated``."""
        db = self.kiosk.db
        remember = db.sqlite
        if token and len(token) <= 200 and remember:
            known = self._known.get(repo._digest(token))
            if known is not None and not repo.login_expired(known, self.max_age):
                return
        generation = self._generation
        created = await db.read(lambda s: repo.check_login_token(s, token, self.max_age))
        if remember and token and generation == self._generation:
            self._known[repo._digest(token)] = created

    def forget(self, token: str | None = None) -> None:
        """After a logout's commit (``token``), or after every login ended (no token)."""
        self._generation += 1
        if token is None:
            self._known.clear()
        else:
            self._known.pop(repo._digest(token), None)


#: Set on the request's scope by the gate once it has checked the token (a write's second check
#: in the route is then skipped).
CHECKED = "kiosk.secretary_checked"


async def require_secretary(request: Request) -> None:
    token = bearer_or_cookie(request)
    if token is not None and request.scope.get(CHECKED) == token:
        return
    await request.app.state.logins.check(token)


def end_login(db: Session, token: str) -> None:
    """Delete one login token: it stops working at once."""
    db.exec(delete(AuthToken).where(AuthToken.token_hash == repo._digest(token)))  # type: ignore[call-overload,arg-type]


def end_all_logins(db: Session) -> None:
    """Delete every login token (the password changed)."""
    db.exec(delete(AuthToken))  # type: ignore[call-overload]


def served_over_https(request: Request, settings: Settings) -> bool:
    """Whether the browser reached the kiosk over HTTPS: directly, or through the published URL."""
    return request.url.scheme == "https" or (settings.public_url or "").lower().startswith("https:")


CurrentSecretary = Depends(require_secretary)
SessionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The sitting's id")]
InterviewId = Annotated[int, Path(ge=1, le=MAX_ID, description="The interview's id")]
