"""Faults and bad input against a real server: crashes, fuzzing, flaky Wi-Fi (issue 5).

Shared here: a bare WebSocket client written on a raw TCP socket, for what a library client
will not do (stop reading, cut the connection mid-frame, send broken frames), and helpers that
read the audit chain back as the record of which marks are stored.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from typing import Any

from server.store.audit import verify_lines
from tests.support import Api, ServerProcess

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    """The server closed the WebSocket (``code`` from its close frame, 1006 if it just hung up)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class RawSocket:
    """A minimal RFC 6455 client on a plain socket: every byte on the wire is the test's choice."""

    def __init__(
        self, server: ServerProcess, path: str, rcvbuf: int | None = None, timeout: float = 10
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # set before connect so the advertised window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._read_some()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise Closed(self.status)

    def _read_some(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(1006)
        return chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.buf += self._read_some()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    @staticmethod
    def frame(
        payload: bytes, opcode: int = TEXT, fin: bool = True, mask: bool = True, rsv: int = 0
    ) -> bytes:
        """One frame as the client would put it on the wire (masked, as RFC 6455 requires)."""
        head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 1 << 16:
            head += bytes([bit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([bit | 127]) + struct.pack("!Q", n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_text(self, text: str | bytes) -> None:
        self.send_raw(self.frame(text.encode() if isinstance(text, str) else text))

    def send_json(self, obj: Any) -> None:
        self.send_text(json.dumps(obj))

    def recv_frame(self) -> tuple[int, bytes]:
        """The next data frame as (opcode, payload); answers pings; raises Closed on a close."""
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(n)
            opcode = b0 & 0x0F
            if opcode == PING:
                self.send_raw(self.frame(payload, PONG))
                continue
            if opcode == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise Closed(code)
            return opcode, payload

    def recv_json(self) -> dict[str, Any]:
        opcode, payload = self.recv_frame()
        assert opcode == TEXT, (opcode, payload[:100])
        return json.loads(payload)

    def until(self, predicate: Any) -> dict[str, Any]:
        while True:
            frame = self.recv_json()
            if predicate(frame):
                return frame

    def abort(self) -> None:
        """Hang up with a TCP reset, as a phone dropping off the Wi-Fi does at worst."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def judge_path(token: str) -> str:
    return f"/ws/judge/{token}"


def audit_events(api: Api, sid: int) -> list[dict[str, Any]]:
    """The sitting's audit chain, read from the database and checked link by link."""
    lines = api.audit_lines(sid)
    verdict = verify_lines(lines)
    assert verdict.ok, (verdict.bad_line, verdict.reason)
    return [json.loads(line) for line in lines if line.strip()]


def live_marks(events: list[dict[str, Any]]) -> dict[tuple[int, int], tuple[str, str]]:
    """(interview, seat) -> (score, request id) of every mark in force, failing on a double."""
    live: dict[tuple[int, int], tuple[str, str]] = {}
    for event in events:
        data = event["data"]
        if event["kind"] == "mark.submitted":
            key = (data["interview_id"], data["seat"])
            assert key not in live, f"two live marks for interview {key[0]} seat {key[1]}: {event}"
            live[key] = (data["score"], data["request_id"])
        elif event["kind"] == "mark.reopened" and data.get("old_score") is not None:
            del live[(data["interview_id"], data["seat"])]
    return live


def submissions(events: list[dict[str, Any]], seat: int, interview_id: int) -> list[dict[str, Any]]:
    return [
        e["data"]
        for e in events
        if e["kind"] == "mark.submitted"
        and e["data"]["seat"] == seat
        and e["data"]["interview_id"] == interview_id
    ]
