"""The secretary password: generated on first start, stored hashed, printed once."""

import re
import sqlite3

import httpx

from tests.support import ServerProcess


def test_generated_password_is_printed_once_and_stored_hashed(fresh_server: ServerProcess) -> None:
    fresh_server.env.pop("KIOSK_SECRETARY_PASSWORD")
    fresh_server.start()
    found = re.search(r"secretary password: (\S+)", fresh_server.log())
    assert found, fresh_server.log()
    password = found.group(1)
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": password}).status_code == 200

    url = fresh_server.env["KIOSK_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            query = "SELECT value FROM setting WHERE key = 'secretary_password'"
            (stored,) = conn.execute(query).fetchone()
        assert stored.startswith("$argon2") and password not in stored

    fresh_server.stop()
    fresh_server.start()
    assert fresh_server.log().count("secretary password:") == 1  # not printed again
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": password}).status_code == 200


def test_the_configured_password_wins(fresh_server: ServerProcess) -> None:
    fresh_server.env["KIOSK_SECRETARY_PASSWORD"] = "first-pw"
    fresh_server.start()
    fresh_server.stop()
    fresh_server.env["KIOSK_SECRETARY_PASSWORD"] = "second-pw"
    fresh_server.start()
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": "first-pw"}).status_code == 401
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": "second-pw"}).status_code == 200
    assert "secretary password:" not in fresh_server.log()
