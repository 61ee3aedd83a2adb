"""Settings, read from the environment with the ``KIOSK_`` prefix (and an optional ``.env``)."""

from __future__ import annotations

from functools import lru_cache

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
    max_body_bytes: int = 2_000_000

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
