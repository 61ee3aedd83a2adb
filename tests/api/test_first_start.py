"""The secretary password: generated on first start, stored hashed, printed once."""

import re
import sqlite3

import httpx
import pytest
from argon2 import PasswordHasher

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


def test_an_empty_password_variable_counts_as_unset(fresh_server: ServerProcess) -> None:
    # The docker-compose path: .env.example ships ``KIOSK_SECRETARY_PASSWORD=``. That must never
    # become the password; a configured password must survive a later start with the empty value.
    fresh_server.env["KIOSK_SECRETARY_PASSWORD"] = "first-pw"
    fresh_server.start()
    fresh_server.stop()
    fresh_server.env["KIOSK_SECRETARY_PASSWORD"] = ""
    fresh_server.start()
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": ""}).status_code == 401
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": "first-pw"}).status_code == 200
    assert "secretary password:" not in fresh_server.log()
    fresh_server.stop()
    # The same through a .env file beside the server, as compose's env_file gives it.
    fresh_server.env.pop("KIOSK_SECRETARY_PASSWORD")
    (fresh_server.data_dir / ".env").write_text("KIOSK_SECRETARY_PASSWORD=\n")
    fresh_server.start()
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": ""}).status_code == 401
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": "first-pw"}).status_code == 200


@pytest.mark.sqlite_only
def test_an_empty_password_stored_by_an_old_release_is_replaced(fresh_server: ServerProcess) -> None:
    fresh_server.env.pop("KIOSK_SECRETARY_PASSWORD")
    fresh_server.start()
    fresh_server.stop()
    path = fresh_server.env["KIOSK_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # what the landed release stored for KIOSK_SECRETARY_PASSWORD=
        conn.execute("UPDATE setting SET value = ? WHERE key = 'secretary_password'",
                     (PasswordHasher().hash(""),))
    fresh_server.env["KIOSK_SECRETARY_PASSWORD"] = ""
    fresh_server.start()
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": ""}).status_code == 401
    found = re.findall(r"secretary password: (\S+)", fresh_server.log())
    assert len(found) == 2, fresh_server.log()  # a new one was made and printed
    assert httpx.post(f"{fresh_server.url}/api/login", json={"password": found[-1]}).status_code == 200
