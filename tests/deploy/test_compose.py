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


def kiosks(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run ``kiosk serve`` (those given a database URL)."""
    return {
        name: service
        for name, service in compose["services"].items()
        if "KIOSK_DATABASE_URL" in environment(service)
    }


def test_every_kiosk_waits_for_the_database_and_connects_with_psycopg(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    services = kiosks(compose)
    assert len(services) == 2, sorted(services)  # two processes on one database (DESIGN section 7)
    example = env_file(ROOT / ".env.example")
    urls = set()
    for name, app in services.items():
        assert app["depends_on"]["db"]["condition"] == "service_healthy", name
        assert app["build"] in (".", {"context": "."}), name
        # Reached only through the proxy: nothing published, port 8000 inside the network.
        assert "ports" not in app and [str(p) for p in app["expose"]] == ["8000"], name
        assert "/healthz" in " ".join(app["healthcheck"]["test"]), name
        raw = environment(app)["KIOSK_DATABASE_URL"]
        assert "${POSTGRES_PASSWORD" in raw  # interpolated from .env, not written down
        url = make_url(interpolate(raw, example))
        db_env = environment(db)
        assert url.drivername == "postgresql+psycopg"
        assert url.host == "db" and (url.port or 5432) == 5432
        assert url.username == db_env["POSTGRES_USER"] and url.database == db_env["POSTGRES_DB"]
        assert url.password == example["POSTGRES_PASSWORD"]
        with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
            interpolate(raw, {})
        urls.add(raw)
        # Every phone arrives from the proxy's address: the per-address socket cap is off.
        assert environment(app)["KIOSK_WS_MAX_PER_ADDRESS"] == "0", name
    assert len(urls) == 1  # the same database for both


def nginx_conf(compose: dict[str, Any]) -> tuple[dict[str, Any], str]:
    proxy = compose["services"]["proxy"]
    mounts = [v.split(":") for v in proxy["volumes"]]
    conf = [m for m in mounts if m[1].startswith("/etc/nginx/")]
    assert len(conf) == 1, proxy["volumes"]
    source = ROOT / conf[0][0]
    assert source.is_file(), source
    return proxy, source.read_text(encoding="utf-8")


def test_one_nginx_port_fronts_both_kiosks_sockets_included(compose: dict[str, Any]) -> None:
    proxy, conf = nginx_conf(compose)
    assert proxy["image"].startswith("nginx:")
    assert [str(p) for p in proxy["ports"]] == ["8000:8000"]
    # The only published port: nothing reaches a kiosk or the database past the proxy.
    for name, service in compose["services"].items():
        if name != "proxy":
            assert "ports" not in service, name
    for name in kiosks(compose):
        assert proxy["depends_on"][name]["condition"] == "service_healthy", name
    body = re.sub(r"#.*", "", conf)
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", body)
    assert upstream is not None, conf
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstream.group(2), re.M)
    assert sorted(servers) == sorted((name, "8000") for name in kiosks(compose))
    assert re.search(rf"proxy_pass\s+http://{upstream.group(1)}\s*;", body)
    assert re.search(r"listen\s+8000\s*;", body)
    # WebSockets: HTTP/1.1 upstream and the upgrade headers passed on, long reads allowed.
    assert re.search(r"proxy_http_version\s+1\.1\s*;", body)
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade\s*;", body)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade\s*;", body)
    assert re.search(r"map\s+\$http_upgrade\s+\$connection_upgrade", body)
    # The phone's host and port reach the kiosk: links, QR codes and the sockets' Origin check.
    assert re.search(r"proxy_set_header\s+Host\s+\$http_host\s*;", body)
    timeout = re.search(r"proxy_read_timeout\s+(\d+)([smh]?)\s*;", body)
    assert timeout is not None
    seconds = int(timeout.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[timeout.group(2)]
    assert seconds > 40  # beyond the kiosk's 20 s ping and its 20 s timeout
    # Roster uploads (5 MiB) get through to the kiosk, which answers 413 itself beyond them.
    size = re.search(r"client_max_body_size\s+(\d+)m\s*;", body)
    assert size is not None and int(size.group(1)) >= 5


def test_the_image_serves_on_all_interfaces_with_the_postgres_extra() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"pip install .*\[postgres\]", dockerfile)
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.M)
    assert cmd is not None
    assert '"kiosk", "serve", "--host", "0.0.0.0", "--port", "8000"' in cmd.group(1)
    for folder in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (ROOT / folder).exists(), folder
