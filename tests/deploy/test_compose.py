"""docker-compose.yml parses and runs the kiosk against PostgreSQL (no Docker engine needed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[2]


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:?message}`` and ``${VAR:-default}``, as far as we use them."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op == ":-":
            return arg or ""
        raise AssertionError(f"{name} is not set ({arg})")

    return re.sub(r"\$\{(\w+)(?:(:[?-])([^}]*))?\}", one, value)


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_the_database_is_postgres_with_a_named_volume_and_a_health_check(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    volumes = [v.split(":")[0] for v in db["volumes"]]
    assert "pgdata" in volumes and "pgdata" in (compose.get("volumes") or {})
    assert any(v.split(":")[1] == "/var/lib/postgresql/data" for v in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    # The password comes from the env file, never from the compose file itself.
    assert db["env_file"] in (".env", [".env"]) and "POSTGRES_PASSWORD" not in environment(db)


def test_the_app_waits_for_the_database_and_connects_with_psycopg(compose: dict[str, Any]) -> None:
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["build"] in (".", {"context": "."})
    assert any(str(p).split(":")[-1] == "8000" for p in app["ports"])
    raw = environment(app)["KIOSK_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD" in raw  # interpolated from .env, not written down
    example = env_file(ROOT / ".env.example")
    url = make_url(interpolate(raw, example))
    db_env = environment(db)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db" and (url.port or 5432) == 5432
    assert url.username == db_env["POSTGRES_USER"] and url.database == db_env["POSTGRES_DB"]
    assert url.password == example["POSTGRES_PASSWORD"]
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        interpolate(raw, {})


def test_the_image_serves_on_all_interfaces_with_the_postgres_extra() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*\[postgres\]", dockerfile)
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M)
    assert cmd is not None
    assert '"kiosk", "serve", "--host", "0.0.0.0", "--port", "8000"' in cmd.group(1)
    for folder in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (ROOT / folder).exists(), folder
