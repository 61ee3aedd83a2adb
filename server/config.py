"""Settings, read from the environment with the ``KIOSK_`` prefix (and an optional ``.env``)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./kiosk-data/kiosk.db"
    secretary_password: SecretStr | None = None
    #: Base URL printed in links and QR codes, e.g. http://192.168.1.20:8000/ (default: as requested).
    public_url: str | None = None
    #: Extra origins allowed to open sockets (the page's own origin always is).
    allowed_origins: list[str] = []
    login_hours: int = 24
    #: Largest socket frame accepted, in bytes.
    ws_max_size: int = 4096
    #: Socket messages per second a client may send, and the burst allowed above that.
    ws_rate: float = 20.0
    ws_burst: int = 40
    #: Seconds without a heartbeat after which the console shows a judge's phone as stale.
    stale_after: float = 15.0
    #: Largest request body, in bytes, whether or not it declares a length (413 beyond).
    max_body_bytes: int = 2 * 2**20
    #: Largest roster upload (``POST /api/sessions/{sid}/roster``), in bytes.
    max_roster_bytes: int = 5 * 2**20
    #: Seconds a request's headers may take to arrive, and its whole body (408 beyond).
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    #: Seconds an idle keep-alive HTTP connection stays open.
    keep_alive_timeout: int = 5
    #: Open connections (HTTP and sockets) beyond which new requests get 503 at once.
    max_connections: int = 4096
    #: Sockets one client address may hold open (0: no limit). A phone or a screen needs one or
    #: two; 256 also carries a hall of ~28 rooms (7 judges, a display, a console each) whose
    #: devices all reach the server through one NAT address. Raise it for more behind one address.
    ws_max_per_address: int = 256
    #: Sockets open at once on one judge or display link; the oldest is closed beyond it, so a
    #: phone that reconnects is never locked out by its own half-dead socket.
    ws_max_per_token: int = 4
    #: Seconds a connection may stay unable to take what the server sends (its peer not
    #: reading) before it is dropped.
    send_stall_timeout: float = 30.0
    #: Free space (bytes) in the database's directory below which ``/healthz`` reports disk_full.
    min_free_bytes: int = 50 * 2**20
    #: Test and ops knob: SQLite ``PRAGMA max_page_count`` on every connection, to make
    #: "database or disk is full" happen on purpose. Unset in production.
    sqlite_max_pages: int | None = None
    #: The holiday schedules the office adds before ``chinesecalendar`` knows a year (JSON, see
    #: server/campaign/calendar.py); unset: the packaged file.
    holidays_file: Path | None = None
    #: Tests only: the Beijing date the campaign's windows take as today (unset: the real date).
    today: date | None = None

    @field_validator("secretary_password", mode="before")
    @classmethod
    def _empty_password_is_unset(cls, value: object) -> object:
        # ``KIOSK_SECRETARY_PASSWORD=`` (as in .env.example) means "generate one", never "the empty
        # password": an empty or blank value is treated exactly like an absent one.
        if value is None:
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and not raw.strip():
            return None
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
