"""Issue 9, connection side: slow requests, socket caps, a peer that never reads — against a real
server whose limits are set low so that each is reached quickly."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as _connect

from tests.support import PASSWORD, Api, ServerProcess

LIMITS = {
    "KIOSK_HEADER_TIMEOUT": "1",
    "KIOSK_BODY_TIMEOUT": "2",
    "KIOSK_WS_MAX_PER_ADDRESS": "8",
    "KIOSK_WS_MAX_PER_TOKEN": "2",
    "KIOSK_SEND_STALL_TIMEOUT": "2",
    # Pings as fast as the test can send them, to fill a socket that is not read.
    "KIOSK_WS_RATE": "100000",
    "KIOSK_WS_BURST": "100000",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("limits"), env=LIMITS)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    client = Api(server.url)
    yield client
    client.http.close()


def connect(url: str):
    return _connect(url, open_timeout=10, legacy=True)


def closed_with(conn, timeout: float = 10) -> tuple[int, str]:
    """Read until the server closes ``conn``; return the close code and reason."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            conn.recv(timeout=max(0.01, deadline - time.monotonic()))
    return closed.value.rcvd.code, closed.value.rcvd.reason


def state(conn) -> dict:
    frame = json.loads(conn.recv(timeout=10))
    assert frame["type"] == "state", frame
    return frame


# --- slow requests -------------------------------------------------------------------------------


def test_half_sent_headers_are_cut_off(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        )  # no blank line: never complete
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < 8
    # A connection that sends nothing at all is closed too.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        while idle.recv(4096):
            pass


def test_a_stalled_body_is_cut_off_with_408(server: ServerProcess) -> None:
    head = (
        f"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        "Content-Length: 50\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode() + b'{"password":')  # and then nothing
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"408", answer
    assert "太慢" in json.loads(rest.partition(b"\r\n\r\n")[2])["detail"]
    assert httpx.get(f"{server.url}/healthz").status_code == 200


# --- socket caps ---------------------------------------------------------------------------------


def test_one_link_holds_a_few_sockets_and_the_oldest_gives_way(
    server: ServerProcess, api: Api
) -> None:
    token = api.sitting(judges=3)["judges"][0]["token"]
    url = f"{server.ws_url}/ws/judge/{token}"
    first, second = connect(url), connect(url)
    try:
        state(first), state(second)
        third = connect(url)  # the phone reconnecting while its old sockets linger
        try:
            assert state(third)["seat"] == 1
            code, reason = closed_with(first)
            assert code == 1008 and "另一处" in reason, (code, reason)
            second.send(json.dumps({"type": "ping"}))
            assert json.loads(second.recv(timeout=10))["type"] == "pong"
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_one_address_holds_a_bounded_number_of_sockets(server: ServerProcess, api: Api) -> None:
    session = api.sitting(judges=9)
    urls = [f"{server.ws_url}/ws/judge/{j['token']}" for j in session["judges"]]
    opened = []
    try:
        for url in urls[:8]:
            opened.append(connect(url))
            state(opened[-1])
        extra = connect(urls[8])
        try:
            code, reason = closed_with(extra)
        finally:
            extra.close()
        assert code == 1008 and "同一地址" in reason, (code, reason)
        english = connect(urls[8] + "?lang=en")
        try:
            assert closed_with(english) == (1008, "too many connections from this address")
        finally:
            english.close()
    finally:
        for conn in opened:
            conn.close()
    # Once they are closed, the address may connect again.
    deadline = time.monotonic() + 10
    while True:
        again = connect(urls[8])
        try:
            frame = json.loads(again.recv(timeout=10))
            break
        except ConnectionClosed:
            assert time.monotonic() < deadline, "the closed sockets were never released"
        finally:
            again.close()
    assert frame["type"] == "state"


# --- a peer that never reads -----------------------------------------------------------------


def ws_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x81]) + (
        bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    )
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_a_socket_whose_peer_never_reads_is_dropped(server: ServerProcess, api: Api) -> None:
    session = api.sitting(judges=15)
    cookie = httpx.post(f"{server.url}/api/login", json={"password": PASSWORD}).cookies[
        "kiosk_token"
    ]
    # A console that never reads, with the smallest receive buffer the kernel allows.
    lazy = socket.socket()
    lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    lazy.settimeout(10)
    lazy.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    lazy.sendall(
        (
            f"GET /ws/console/{session['id']} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Cookie: kiosk_token={cookie}\r\n\r\n"
        ).encode()
    )
    assert lazy.recv(12) == b"HTTP/1.1 101"
    # Every judge ping sends the console a frame of the seats' presence (~1 KB for 15 seats).
    phone = connect(f"{server.ws_url}/ws/judge/{session['judges'][0]['token']}")
    try:
        state(phone)
        for _ in range(3000):
            phone.send('{"type":"ping"}')
        dropped = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not dropped:
            try:
                lazy.sendall(ws_frame('{"type":"ping"}'))  # fails once the server has let go
                time.sleep(0.2)
            except OSError:
                dropped = True
        assert dropped, "the server kept a socket whose peer does not read"
        # The judge, who reads, is unaffected.
        phone.send('{"type":"ping"}')
        while json.loads(phone.recv(timeout=10))["type"] != "pong":
            pass
    finally:
        phone.close()
        lazy.close()
    assert httpx.get(f"{server.url}/healthz").status_code == 200
