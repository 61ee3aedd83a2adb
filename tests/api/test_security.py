"""Issue 9, HTTP side: body caps, the login before the body, same-origin cookie writes, logout,
full disk, names, headers, validation messages and offline docs — against a real server."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.support import PASSWORD, Api, ServerProcess, Socket, judge

MIB = 2**20
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- a raw HTTP client: what httpx will not do (stop half-way, chunk by hand) ------------------


def open_raw(server: ServerProcess, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(head.encode())
    return sock


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Read one response (status, lower-cased headers, body) or fail after ``timeout`` seconds."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        assert more, f"connection closed before a response: {data!r}"
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        more = sock.recv(65536)
        if not more:
            break
        body += more
    return int(lines[0].split()[1]), headers, body


def send_until_answered(sock: socket.socket, total: int) -> tuple[int, dict[str, str], bytes]:
    """Send ``total`` bytes in chunks (no final chunk), then wait for the answer."""
    piece = b"x" * 65536
    sent = 0
    try:
        while sent < total:
            sock.sendall(chunk(piece))
            sent += len(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed while we were still sending
    return read_response(sock)


def chunked_post(
    server: ServerProcess, path: str, extra: str = "", content_type: str = "application/json"
) -> str:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: {content_type}\r\n"
        f"Transfer-Encoding: chunked\r\n{extra}\r\n"
    )


# --- 1. bodies capped as they stream; the login checked before the body --------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_chunked_login_is_read_only_up_to_the_cap(server: ServerProcess, lang: str) -> None:
    sock = open_raw(server, chunked_post(server, "/api/login", f"Accept-Language: {lang}\r\n"))
    with sock:
        status, headers, body = send_until_answered(sock, 2 * MIB + 128 * 1024)
    assert status == 413, body
    detail = json.loads(body)["detail"]
    assert ("2 MiB" in detail) and (bool(CJK.search(detail)) == (lang == "zh")), detail
    assert headers.get("connection") == "close"
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_a_declared_length_over_the_cap_is_refused_unread(server: ServerProcess) -> None:
    head = (
        f"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {200 * MIB}\r\n\r\n"
    )
    with open_raw(server, head) as sock:
        status, _, body = read_response(sock)
    assert status == 413 and "请求内容太大" in json.loads(body)["detail"]


def test_a_secretary_write_without_a_login_is_refused_before_its_body(
    server: ServerProcess, api: Api
) -> None:
    sid = api.session()["id"]
    own = f"Origin: http://127.0.0.1:{server.port}\r\n"
    for path, content_type in [
        (f"/api/sessions/{sid}/roster", "multipart/form-data; boundary=b"),
        ("/api/sessions", "application/json"),
    ]:
        for extra in (
            "",
            "Authorization: Bearer not-a-token\r\n",
            f"Cookie: kiosk_token=forged\r\n{own}",
        ):
            # Headers only: the body never comes. The answer must not wait for it.
            with open_raw(server, chunked_post(server, path, extra, content_type)) as sock:
                status, _, body = read_response(sock, timeout=5)
            assert status == 401, (path, extra, body)
            assert json.loads(body)["detail"]


def test_the_roster_upload_has_its_own_larger_cap(server: ServerProcess, api: Api) -> None:
    sid = api.session()["id"]
    token = api.http.headers["Authorization"]
    boundary = "kioskboundary"
    head = chunked_post(
        server,
        f"/api/sessions/{sid}/roster",
        f"Authorization: {token}\r\n",
        f"multipart/form-data; boundary={boundary}",
    )

    def upload(size: int) -> int:
        preamble = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        with open_raw(server, head) as sock:
            sock.sendall(chunk(preamble))
            body = b"1,\xe5\xbc\xa0\xe4\xb8\x89,A1\n" * (size // 14)
            for at in range(0, len(body), 65536):
                try:
                    sock.sendall(chunk(body[at : at + 65536]))
                except (BrokenPipeError, ConnectionResetError):
                    break
            try:
                sock.sendall(chunk(f"\r\n--{boundary}--\r\n".encode()) + b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return read_response(sock, timeout=30)[0]

    assert upload(3 * MIB) not in (413, 500)  # over the 2 MiB of other bodies, under the roster's 5
    assert upload(6 * MIB) == 413


# --- 2. same origin for writes authenticated by the cookie ---------------------------------------


def logged_in_cookie(server: ServerProcess) -> str:
    r = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD})
    return r.cookies["kiosk_token"]


def test_cookie_writes_need_a_same_origin_origin_or_referer(server: ServerProcess) -> None:
    cookie = logged_in_cookie(server)
    own = f"http://127.0.0.1:{server.port}"
    with httpx.Client(base_url=server.url, cookies={"kiosk_token": cookie}) as client:
        body = {"title": "同源检查"}
        for headers in (
            {},
            {"Origin": "http://evil.example"},
            {"Origin": "null"},
            {"Referer": "http://evil.example/page"},
            {"Origin": f"http://127.0.0.1:{server.port + 1}"},
        ):
            r = client.post("/api/sessions", json=body, headers=headers)
            assert r.status_code == 403, (headers, r.text)
            assert "跨站" in r.json()["detail"]
        english = client.post("/api/sessions", json=body, headers={"Accept-Language": "en"})
        assert english.status_code == 403 and "Cross-site" in english.json()["detail"]
        assert client.post("/api/sessions", json=body, headers={"Origin": own}).status_code == 201
        assert (
            client.post(
                "/api/sessions", json=body, headers={"Referer": f"{own}/console"}
            ).status_code
            == 201
        )
        # Reads need no Origin.
        assert client.get("/api/sessions").status_code == 200
    bearer = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD}).json()["token"]
    r = httpx.post(
        f"{server.url}/api/sessions",
        json={"title": "脚本"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert r.status_code == 201


def test_the_public_url_counts_as_same_origin_and_makes_the_cookie_secure(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "kiosk", env={"KIOSK_PUBLIC_URL": "https://kiosk.example.org/"}
    )
    server.start()
    try:
        login = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD})
        assert "secure" in login.headers["set-cookie"].lower()
        with httpx.Client(
            base_url=server.url, cookies={"kiosk_token": login.json()["token"]}
        ) as client:
            ok = client.post(
                "/api/sessions",
                json={"title": "代理"},
                headers={"Origin": "https://kiosk.example.org"},
            )
            assert ok.status_code == 201, ok.text
            assert (
                client.post(
                    "/api/sessions", json={"title": "x"}, headers={"Origin": "https://evil.example"}
                ).status_code
                == 403
            )
    finally:
        server.stop()


def test_the_cookie_is_not_secure_over_plain_http(server: ServerProcess) -> None:
    login = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD})
    assert "secure" not in login.headers["set-cookie"].lower()


# --- 4. logout ends the token; a new password ends them all; the console socket by cookie -------


def test_logout_ends_a_bearer_token_at_once(server: ServerProcess) -> None:
    token = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{server.url}/api/sessions", headers=auth).status_code == 200
    assert httpx.post(f"{server.url}/api/logout", headers=auth).status_code == 200
    assert httpx.get(f"{server.url}/api/sessions", headers=auth).status_code == 401


def test_logout_ends_the_cookie_and_clears_it(server: ServerProcess) -> None:
    cookie = logged_in_cookie(server)
    own = {"Origin": f"http://127.0.0.1:{server.port}"}
    with httpx.Client(base_url=server.url, cookies={"kiosk_token": cookie}) as client:
        out = client.post("/api/logout", headers=own)
        assert out.status_code == 200
        assert (
            'kiosk_token=""' in out.headers["set-cookie"]
            or "max-age=0" in out.headers["set-cookie"].lower()
        )
    # The old cookie value no longer opens anything, even if a browser kept it.
    r = httpx.get(f"{server.url}/api/sessions", cookies={"kiosk_token": cookie})
    assert r.status_code == 401


# On PostgreSQL the test run shares one database: a new password there would end the other
# tests' logins too (which is the point of the rule), so this runs on its own SQLite file only.
@pytest.mark.sqlite_only
def test_a_new_password_ends_every_login(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "kiosk")
    server.start()
    token = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD}).json()["token"]
    server.stop()
    server.env["KIOSK_SECRETARY_PASSWORD"] = "a-new-password"
    server.start()
    try:
        r = httpx.get(f"{server.url}/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert (
            httpx.post(f"{server.url}/api/login", json={"password": "a-new-password"}).status_code
            == 200
        )
    finally:
        server.stop()
    # Restarting with the same password ends nothing.
    server.start()
    try:
        again = httpx.post(f"{server.url}/api/login", json={"password": "a-new-password"}).json()[
            "token"
        ]
        server.stop()
        server.start()
        assert (
            httpx.get(
                f"{server.url}/api/sessions", headers={"Authorization": f"Bearer {again}"}
            ).status_code
            == 200
        )
    finally:
        server.stop()


def test_the_console_socket_takes_the_cookie_not_a_token_in_the_url(
    server: ServerProcess, api: Api
) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    sid = api.session()["id"]
    cookie = logged_in_cookie(server)
    ws = Socket(
        f"{server.ws_url}/ws/console/{sid}", additional_headers={"Cookie": f"kiosk_token={cookie}"}
    )
    try:
        assert ws.recv()["type"] == "session"
    finally:
        ws.close()
    with pytest.raises((InvalidStatus, ConnectionClosed)):
        refused = Socket(f"{server.ws_url}/ws/console/{sid}?token={cookie}")
        try:
            refused.recv(timeout=5)
        finally:
            refused.close()


# --- 5. a full disk ------------------------------------------------------------------------------


@pytest.mark.sqlite_only  # max_page_count is how SQLite is made to run out of room on purpose
def test_a_full_database_is_named_to_the_secretary_the_judge_and_healthz(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "kiosk")
    server.start()
    api = Api(server.url)
    sitting = api.sitting(judges=3)
    iid = sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    api.http.close()
    server.stop()
    # The file may not grow by a single page from now on (SQLite keeps it at its current size).
    server.env["KIOSK_SQLITE_MAX_PAGES"] = "1"
    server.start()
    try:
        api = Api(server.url)
        statuses = []
        # Each countdown appends an audit event: they fill the log's last page, then SQLite
        # reports "database or disk is full".
        for _ in range(2000):
            r = api.http.post(f"/api/interviews/{iid}/countdown", json={"minutes": 10})
            statuses.append(r.status_code)
            if r.status_code != 200:
                break
        assert r.status_code == 507, (r.status_code, r.text)
        assert set(statuses[:-1]) <= {200}
        assert r.json()["code"] == "storage_full" and "磁盘已满" in r.json()["detail"]
        en = api.http.post(
            f"/api/interviews/{iid}/countdown",
            json={"minutes": 10},
            headers={"Accept-Language": "en"},
        )
        assert en.status_code == 507 and "disk is full" in en.json()["detail"]
        health = httpx.get(f"{server.url}/healthz")
        assert health.status_code == 503 and health.json()["status"] == "disk_full"
        with judge(server, sitting["judges"][0]["token"]) as ws:
            ws.recv_until("state")
            answer = ws.submit(iid, "80.0", "r" * 100)
        assert answer["type"] == "error" and answer["code"] == "storage_full", answer
        assert "没有保存" in answer["message"] and "秘书" in answer["message"]
    finally:
        api.http.close()
        server.stop()
    db = sqlite3.connect(tmp_path / "kiosk" / "kiosk.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_healthz_reports_a_disk_with_too_little_free_space(tmp_path: Path) -> None:
    from server.storage import StorageWatch
    from server.store.engine import Database

    db = Database(f"sqlite:///{tmp_path}/kiosk.db")
    try:
        assert StorageWatch(db, min_free_bytes=1).status() is None
        status = StorageWatch(db, min_free_bytes=2**62).status()
        assert status is not None and status["status"] == "disk_full"
    finally:
        db.close()


# --- 6. names without invisible characters; headers on every answer ------------------------------

INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\x07",
    "\t",
    "\x85",
    "\u2028",
]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_names_refuse_control_and_invisible_characters(api: Api, char: str) -> None:
    sid = api.session()["id"]
    api.position(sid)
    for path, body in [
        ("/api/sessions", {"title": f"场次{char}一"}),
        (f"/api/sessions/{sid}/positions", {"code": "B2", "name": f"岗{char}位"}),
        (
            f"/api/sessions/{sid}/interviews",
            {"draw_no": 9, "candidate_name": f"张{char}三", "position_code": "A1"},
        ),
    ]:
        r = api.call("POST", path, 422, json=body)
        assert "不可见字符" in r.json()["detail"], r.json()
    assert api.call("GET", f"/api/sessions/{sid}", 200).json()["interviews"] == []


def test_a_dispute_note_may_have_line_breaks_but_no_bidi_override(
    server: ServerProcess, api: Api
) -> None:
    sitting = api.sitting(judges=3)
    iid = sitting["interviews"][0]["id"]
    r = api.call("POST", f"/api/interviews/{iid}/dispute", 422, json={"note": "拒绝签字\u202e"})
    assert "不可见字符" in r.json()["detail"]
    # A line break is not refused as invisible (the dispute is refused only for the state).
    r = api.call("POST", f"/api/interviews/{iid}/dispute", json={"note": "第一行\n第二行"})
    assert r.status_code == 409


def test_pages_and_answers_carry_the_security_headers(server: ServerProcess, api: Api) -> None:
    s = api.session()
    for path in [
        "/console",
        f"/judge/{s['judges'][0]['token']}",
        f"/display/{s['display']['token']}",
        "/api/sessions",
        "/healthz",
    ]:
        r = httpx.get(
            f"{server.url}{path}", headers=dict(api.http.headers) if path.startswith("/api") else {}
        )
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, csp
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        # Pages whose URL holds a token say no-referrer themselves, which is stricter.
        assert r.headers["referrer-policy"] in ("same-origin", "no-referrer")


# --- 7. validation messages wholly in one language ---------------------------------------------

BAD = [
    ("/api/sessions", {"title": ""}, "标题"),
    ("/api/sessions", {"title": "x", "judge_count": 99}, "评委人数"),
    ("/api/sessions", {"title": "x", "judge_count": "7"}, "评委人数"),
    ("/api/sessions", {"title": "x", "judge_count": 5, "min_scores": 6}, "评委人数"),
    ("/api/sessions", {"title": "x", "score_decimals": 3}, "小数位数"),
    ("POSITIONS", {"code": "", "name": "岗位"}, "岗位代码"),
    ("POSITIONS", {"code": "Z9", "name": "岗位", "openings": 0}, "招聘人数"),
    ("POSITIONS", {"code": "Z9", "name": "岗位", "shortlist_ratio": "abc"}, "入围比例"),
    ("POSITIONS", {"code": "Z9", "name": "岗位", "shortlist_ratio": True}, "入围比例"),
    ("POSITIONS", {"code": "Z9", "name": "岗位", "shortlist_ratio": "0"}, "入围比例"),
    ("POSITIONS", {"code": "Z9", "name": "岗位", "shortlist_ratio": "1.23456"}, "入围比例"),
    ("INTERVIEWS", {"draw_no": "x", "candidate_name": "张三", "position_code": "A1"}, "抽签号"),
    ("INTERVIEWS", {"draw_no": 1, "position_code": "A1"}, "考生姓名"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD)
def test_422s_speak_one_language_with_field_names(
    api: Api, path: str, body: dict, field: str
) -> None:
    sid = api.session()["id"]
    api.position(sid)
    path = {
        "POSITIONS": f"/api/sessions/{sid}/positions",
        "INTERVIEWS": f"/api/sessions/{sid}/interviews",
    }.get(path, path)
    zh = api.call("POST", path, 422, json=body).json()["detail"]
    assert field in zh, zh
    assert not re.search(r"[A-Za-z]", zh), zh  # no English word, no field's code name
    en = api.call("POST", path, 422, json=body, headers={"Accept-Language": "en"}).json()["detail"]
    assert not CJK.search(en), en
    assert "_" not in en, en  # "number of judges", not "judge_count"


# --- 8. /docs without the internet ---------------------------------------------------------------


def test_docs_use_no_external_host_and_their_assets_answer(server: ServerProcess) -> None:
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
    assert urls, page.text
    assert not [u for u in urls if re.match(r"(https?:)?//", u)], urls
    for url in urls:
        assert httpx.get(f"{server.url}{url}").status_code == 200, url
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page.text), (
        page.text
    )  # no host named anywhere
