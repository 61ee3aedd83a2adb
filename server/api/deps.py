"""Shared dependencies: the kiosk, the settings, the logged-in secretary."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session, delete

from server.config import Settings
from server.service import Kiosk
from server.store import repository as repo
from server.store.models import MAX_ID, AuthToken

COOKIE = "kiosk_token"


def get_kiosk(request: Request) -> Kiosk:
    return request.app.state.kiosk


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


KioskDep = Annotated[Kiosk, Depends(get_kiosk)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def bearer_or_cookie(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


async def require_secretary(request: Request, kiosk: KioskDep, settings: SettingsDep) -> None:
    token = bearer_or_cookie(request)
    await kiosk.db.read(
        lambda db: repo.check_login_token(db, token, timedelta(hours=settings.login_hours))
    )


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
