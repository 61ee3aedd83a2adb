"""Fuzzed socket frames: each gets an error frame or a clean close, never a crash or a change.

A sitting is set up with one interview open and seats 1-4 marked; the fuzz runs on seat 1's
socket (which can change nothing: its mark is in and the other interviews are waiting) and on
the display's. After every frame a sentinel submit (a bad score, so an ``invalid_score`` error
carrying the sentinel's request id) marks where that frame's answer ends. At the end the record
must be exactly as before, the server alive with nothing in its log, and seat 5's well-formed
submit must still be acknowledged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults import BINARY, CLOSE, PING, TEXT, Closed, RawSocket, audit_events, judge_path
from tests.support import Api, ServerProcess, Socket

# The frame size cap (``ws_max_size``) and the contract's socket error codes.
MAX_FRAME = 4096
CONTRACT_CODES = {"invalid_score", "not_open", "already_submitted", "excused", "bad_message"}
# Closes that mean "you sent something I will not take": unsupported data, invalid payload,
# policy violation, message too big, protocol error. 1011 (server error) and a bare hang-up
# (1006) are crashes.
CLEAN_CLOSES = {1002, 1003, 1007, 1008, 1009}
SEAT1_REQUEST = "seat1-original"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # The rate limit is lifted here so every fuzzed frame reaches the parser; the flood test
    # below runs against the default limits.
    process = ServerProcess(
        tmp_path_factory.mktemp("fuzz"), env={"KIOSK_WS_RATE": "100000", "KIOSK_WS_BURST": "100000"}
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def room(fuzz_server: ServerProcess) -> Iterator[dict[str, Any]]:
    api = Api(fuzz_server.url)
    sitting = api.sitting(judges=5, candidates=3)
    iid = sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    for seat, score in zip(range(1, 5), ["81.5", "77", "90.5", "66"], strict=True):
        sock = Socket(f"{fuzz_server.ws_url}/ws/judge/{sitting['judges'][seat - 1]['token']}")
        rid = SEAT1_REQUEST if seat == 1 else f"seat{seat}"
        assert sock.submit(iid, score, rid)["type"] == "ack"
        sock.close()
    sitting["iid"] = iid
    sitting["before"] = api.get_session(sitting["id"])
    sitting["audit_before"] = audit_events(api, sitting["id"])
    sitting["api"] = api
    yield sitting
    api.http.close()


def assert_unchanged(server: ServerProcess, room: dict[str, Any]) -> None:
    api: Api = room["api"]
    assert server.proc is not None and server.proc.poll() is None, server.log()[-3000:]
    assert api.call("GET", "/healthz", 200).json() == {"status": "ok"}
    assert api.get_session(room["id"]) == room["before"]
    assert audit_events(api, room["id"]) == room["audit_before"]
    assert_log_clean(server)


# uvicorn itself logs a traceback when a text frame is not UTF-8, then closes with 1007 as it
# should: that block is the protocol layer doing its job, not the application failing.
UVICORN_UTF8 = re.compile(
    r"ERROR: +Invalid UTF-8 sequence received from client\.\nTraceback.*?\nUnicodeDecodeError: [^\n]*\n",
    re.DOTALL,
)


def assert_log_clean(server: ServerProcess) -> None:
    log = UVICORN_UTF8.sub("", server.log())
    for sign in ("Traceback", "Exception in ASGI application", "unexpected error", "server_error"):
        assert sign not in log, log[-3000:]


class Prober:
    """Seat 1's (or the display's) raw socket: send one frame, return what answered it."""

    def __init__(self, server: ServerProcess, path: str, open_iid: int) -> None:
        self.server, self.path, self.open_iid = server, path, open_iid
        self.sentinels = count()
        self.sock: RawSocket | None = None

    def _connect(self) -> RawSocket:
        if self.sock is None:
            self.sock = RawSocket(self.server, self.path)
            first = self.sock.recv_json()
            assert first["type"] == "state"
        return self.sock

    def probe(self, wire: bytes) -> tuple[list[dict[str, Any]], int | None]:
        """Send ``wire`` (whole frames), then a sentinel; return (answers, close code or None)."""
        sock = self._connect()
        rid = f"sentinel-{next(self.sentinels)}"
        sentinel = {
            "type": "submit",
            "request_id": rid,
            "interview_id": self.open_iid,
            "score": "x",
        }
        answers: list[dict[str, Any]] = []
        try:  # the server may hang up half-way through a bad frame: read its close frame anyway
            sock.send_raw(wire)
            sock.send_json(sentinel)
        except OSError:
            pass
        try:
            while True:
                opcode, payload = sock.recv_frame()
                assert opcode == TEXT, (opcode, payload[:80])
                frame = json.loads(payload)
                if frame.get("type") == "error" and frame.get("request_id") == rid:
                    assert frame["code"] in ("invalid_score", "bad_message"), frame
                    return answers, None
                if frame.get("type") != "state":
                    answers.append(frame)
        except Closed as closed:
            self.sock.close()
            self.sock = None
            return answers, closed.code
        except OSError:
            self.sock.close()
            self.sock = None
            return answers, 1006

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def check_answers(answers: list[dict[str, Any]], code: int | None, what: Any) -> None:
    """At most one answer per frame: a contract error, a pong, or seat 1's original ack."""
    if code is not None:
        assert code in CLEAN_CLOSES, (code, what)
    assert len(answers) <= 1, (answers, what)
    for answer in answers:
        kind = answer["type"]
        assert kind in ("error", "pong", "ack"), (answer, what)
        if kind == "error":
            assert answer["code"] in CONTRACT_CODES, (answer, what)
            assert isinstance(answer["message"], str) and answer["message"], answer
        if kind == "ack":  # only a replay of seat 1's own request id can be acknowledged
            assert answer["request_id"] == SEAT1_REQUEST and answer["score"] == "81.5", answer


def text(obj: Any) -> bytes:
    return RawSocket.frame(json.dumps(obj).encode())


def raw_text(s: str) -> bytes:
    return RawSocket.frame(s.encode("utf-8", "surrogatepass"))


def submit(**fields: Any) -> dict[str, Any]:
    return {"type": "submit", "request_id": "fuzz", "interview_id": 1, "score": "85", **fields}


# (name, wire bytes, what must answer: an error code, "pong", "ack" or a close code)
NASTY: list[tuple[str, Any, str | int]] = [
    ("binary frame", lambda iid: RawSocket.frame(b'{"type":"ping"}', BINARY), "bad_message"),
    ("random binary", lambda iid: RawSocket.frame(bytes(range(256)) * 4, BINARY), "bad_message"),
    ("not json", lambda iid: raw_text("hello"), "bad_message"),
    ("empty text", lambda iid: raw_text(""), "bad_message"),
    ("json array", lambda iid: text([1, 2, 3]), "bad_message"),
    ("json string", lambda iid: text("submit"), "bad_message"),
    ("null", lambda iid: raw_text("null"), "bad_message"),
    ("no type", lambda iid: text({"request_id": "a"}), "bad_message"),
    (
        "unknown type",
        lambda iid: text({"type": "delete_everything", "request_id": "a"}),
        "bad_message",
    ),
    ("type is a list", lambda iid: text({"type": ["submit"]}), "bad_message"),
    ("type is a dict", lambda iid: text({"type": {"submit": 1}}), "bad_message"),
    (
        "missing score",
        lambda iid: text({"type": "submit", "request_id": "a", "interview_id": iid}),
        "bad_message",
    ),
    (
        "missing request id",
        lambda iid: text({"type": "submit", "interview_id": iid, "score": "80"}),
        "bad_message",
    ),
    ("request id null", lambda iid: text(submit(request_id=None, interview_id=iid)), "bad_message"),
    ("request id number", lambda iid: text(submit(request_id=12, interview_id=iid)), "bad_message"),
    (
        "request id float text",
        lambda iid: raw_text(
            '{"type":"submit","request_id":1.5,"interview_id":IID,"score":"80"}'.replace(
                "IID", str(iid)
            )
        ),
        "bad_message",
    ),
    ("request id empty", lambda iid: text(submit(request_id="", interview_id=iid)), "bad_message"),
    (
        "request id too long",
        lambda iid: text(submit(request_id="r" * 101, interview_id=iid)),
        "bad_message",
    ),
    (
        "request id lone surrogate",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"\\ud800","interview_id":IID,"score":"80"}'.replace(
                "IID", str(iid)
            )
        ),
        "bad_message",
    ),
    ("interview id string", lambda iid: text(submit(interview_id=str(iid))), "bad_message"),
    (
        "interview id float",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID.0,"score":"80"}'.replace(
                "IID", str(iid)
            )
        ),
        "bad_message",
    ),
    ("interview id bool", lambda iid: text(submit(interview_id=True)), "bad_message"),
    ("interview id huge", lambda iid: text(submit(interview_id=10**30, score="80")), "not_open"),
    (
        "interview id negative",
        lambda iid: text(submit(interview_id=-1, request_id="neg")),
        "not_open",
    ),
    (
        "interview id of another sitting",
        lambda iid: text(submit(interview_id=iid + 10_000)),
        "not_open",
    ),
    (
        "score NaN constant",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":NaN}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score Infinity",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":Infinity}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score -Infinity",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":-Infinity}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score exponent number",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":8.55e1}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score 1e400",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":1e400}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score exponent text",
        lambda iid: text(submit(interview_id=iid, score="1e2")),
        "invalid_score",
    ),
    ("score hex", lambda iid: text(submit(interview_id=iid, score="0x55")), "invalid_score"),
    ("score comma", lambda iid: text(submit(interview_id=iid, score="85,5")), "invalid_score"),
    ("score spaces", lambda iid: text(submit(interview_id=iid, score=" 85 ")), "invalid_score"),
    (
        "score fullwidth digits",
        lambda iid: text(submit(interview_id=iid, score="８５")),
        "invalid_score",
    ),
    ("score bool", lambda iid: text(submit(interview_id=iid, score=True)), "invalid_score"),
    ("score null", lambda iid: text(submit(interview_id=iid, score=None)), "invalid_score"),
    ("score list", lambda iid: text(submit(interview_id=iid, score=[85])), "invalid_score"),
    ("score object", lambda iid: text(submit(interview_id=iid, score={"v": 85})), "invalid_score"),
    (
        "score too many places",
        lambda iid: text(submit(interview_id=iid, score="85.55")),
        "invalid_score",
    ),
    ("score over 100", lambda iid: text(submit(interview_id=iid, score="100.1")), "invalid_score"),
    (
        "score negative zero",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":-0.0}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "score huge integer",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":NINES}'.replace(
                "IID", str(iid)
            ).replace("NINES", "9" * 4000)
        ),
        "invalid_score",
    ),
    (
        "score lone surrogate",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":"8\\udc005"}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    ("type lone surrogate", lambda iid: raw_text('{"type":"\\ud83d"}'), "bad_message"),
    ("deep array", lambda iid: raw_text("[" * 2000 + "]" * 2000), "bad_message"),
    ("deep object", lambda iid: raw_text('{"a":' * 600 + "1" + "}" * 600), "bad_message"),
    (
        "deep score",
        lambda iid: raw_text(
            f'{{"type":"submit","request_id":"a","interview_id":{iid},"score":{"[" * 40}1{"]" * 40}}}'
        ),
        "bad_message",
    ),
    (
        "duplicate keys",
        lambda iid: raw_text(
            '{"type":"submit","request_id":"a","interview_id":IID,"score":"80","score":"NaN"}'.replace(
                "IID", str(iid)
            )
        ),
        "invalid_score",
    ),
    (
        "valid new mark on a marked seat",
        lambda iid: text(submit(interview_id=iid, request_id="second")),
        "already_submitted",
    ),
    (
        "waiting interview",
        lambda iid: text(submit(interview_id=iid + 1, request_id="early")),
        "not_open",
    ),
    (
        "replay with another score",
        lambda iid: text(submit(interview_id=iid, request_id=SEAT1_REQUEST, score="12")),
        "ack",
    ),
    ("ping", lambda iid: text({"type": "ping"}), "pong"),
    ("ping with junk", lambda iid: text({"type": "ping", "x": [1, {"y": None}]}), "pong"),
    (
        "frame over the cap",
        lambda iid: text(submit(interview_id=iid, request_id="big", pad="x" * MAX_FRAME)),
        1009,
    ),
    ("64 KiB frame", lambda iid: RawSocket.frame(b"{" + b" " * 65536 + b"}"), 1009),
    ("invalid utf-8 text", lambda iid: RawSocket.frame(b'{"type":"ping","x":"\xff\xfe"}'), 1007),
    ("unmasked frame", lambda iid: RawSocket.frame(b'{"type":"ping"}', mask=False), 1002),
    ("reserved opcode", lambda iid: RawSocket.frame(b"x", 0x3), 1002),
    ("reserved bits", lambda iid: RawSocket.frame(b'{"type":"ping"}', rsv=0b100), 1002),
    ("random bytes on the wire", lambda iid: bytes(range(7, 256, 3)) * 3, 1002),
    (
        "fragments over the cap",
        lambda iid: b"".join(
            RawSocket.frame(b"x" * 1500, TEXT if i == 0 else 0x0, fin=False) for i in range(4)
        ),
        1009,
    ),
    ("close frame", lambda iid: RawSocket.frame(b"\x03\xe8", CLOSE), 1000),
    ("oversized ping", lambda iid: RawSocket.frame(b"p" * 200, PING), 1002),
]


@pytest.mark.parametrize(("name", "build", "expected"), NASTY, ids=[n for n, _, _ in NASTY])
def test_a_nasty_frame_gets_its_error_or_a_clean_close(
    fuzz_server: ServerProcess, room: dict[str, Any], name: str, build: Any, expected: str | int
) -> None:
    prober = Prober(fuzz_server, judge_path(room["judges"][0]["token"]), room["iid"])
    try:
        answers, code = prober.probe(build(room["iid"]))
    finally:
        prober.close()
    if isinstance(expected, int):
        assert code == expected, (name, code, answers)
        assert all(a["type"] == "error" and a["code"] in CONTRACT_CODES for a in answers), answers
    else:
        assert code is None, (name, code, answers)
        check_answers(answers, code, name)
        assert len(answers) == 1, (name, answers)
        got = answers[0]["type"] if answers[0]["type"] != "error" else answers[0]["code"]
        assert got == expected, (name, answers)
        if got == "ack":
            assert answers[0]["interview_id"] == room["iid"]
    assert_unchanged(fuzz_server, room)


# --- Hypothesis: frames built from the nasty pieces above, and plain garbage ------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["80", "85.5", "100", "-1", "1e2", "NaN", SEAT1_REQUEST, "submit", "ping"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
frame_fields = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["submit", "ping", "state", "ack", ""]) | json_values,
        "request_id": st.sampled_from([SEAT1_REQUEST, "fuzz", ""]) | json_values,
        "interview_id": st.integers(-5, 10) | json_values,
        "score": st.sampled_from(["80", "85.5", "100.0", "0", 85, 100, "85.5e0"]) | json_values,
    },
)


def _encode(obj: Any, tweak: str) -> str:
    out = json.dumps(obj, allow_nan=True)
    if tweak == "nan":  # json.dumps writes floats as NaN/Infinity already; also bare constants
        out = out.replace('"NaN"', "NaN")
    return out


wire = st.one_of(
    st.builds(
        lambda obj, tweak: RawSocket.frame(_encode(obj, tweak).encode()),
        frame_fields,
        st.sampled_from(["", "nan"]),
    ),
    st.builds(lambda obj: RawSocket.frame(json.dumps(obj).encode()), json_values),
    st.builds(lambda s: RawSocket.frame(s.encode("utf-8", "surrogatepass")), st.text(max_size=200)),
    st.builds(lambda b: RawSocket.frame(b, BINARY), st.binary(max_size=300)),
)


@pytest.mark.slow
@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=wire, to_display=st.booleans())
def test_fuzzed_frames_get_errors_never_a_crash_or_a_change(
    fuzz_server: ServerProcess, room: dict[str, Any], data: bytes, to_display: bool
) -> None:
    path = (
        f"/ws/display/{room['display']['token']}"
        if to_display
        else judge_path(room["judges"][0]["token"])
    )
    prober = Prober(fuzz_server, path, room["iid"])
    try:
        answers, code = prober.probe(data)
    finally:
        prober.close()
    check_answers(answers, code, data[:200])
    if to_display:
        assert all(a["type"] != "ack" for a in answers)
    assert fuzz_server.proc is not None and fuzz_server.proc.poll() is None


def test_after_the_fuzz_the_record_is_unchanged_and_a_good_submit_works(
    fuzz_server: ServerProcess, room: dict[str, Any]
) -> None:
    assert_unchanged(fuzz_server, room)
    sock = Socket(f"{fuzz_server.ws_url}/ws/judge/{room['judges'][4]['token']}")
    try:
        assert sock.recv()["my_score"] is None
        ack = sock.submit(room["iid"], "84", "seat5")
        assert ack == {
            "type": "ack",
            "request_id": "seat5",
            "interview_id": room["iid"],
            "score": "84.0",
        }
    finally:
        sock.close()
    got = room["api"].get_session(room["id"])["interviews"][0]
    assert got["state"] == "scored"
    assert [m["score"] for m in got["marks"]] == ["81.5", "77.0", "90.5", "66.0", "84.0"]
    assert got["result"] == "80.83"  # (77 + 81.5 + 84) / 3
    assert_log_clean(fuzz_server)


# --- floods, against the default rate limit ---------------------------------------------------


@pytest.mark.slow
def test_a_flooding_socket_is_refused_then_closed_and_others_are_unharmed(
    fresh_server: ServerProcess,
) -> None:
    fresh_server.start()
    api = Api(fresh_server.url)
    sitting = api.sitting(judges=5)
    iid = sitting["interviews"][0]["id"]
    api.flow(iid, "start")
    flooder = RawSocket(fresh_server, judge_path(sitting["judges"][0]["token"]))
    assert flooder.recv_json()["type"] == "state"
    # 600 frames in one write: far above the 20/s, burst 40 limit.
    flooder.send_raw(b"".join(RawSocket.frame(b'{"type":"ping"}') for _ in range(600)))
    seen: dict[str, int] = {}
    with pytest.raises(Closed) as closed:
        while True:
            frame = flooder.recv_json()
            key = frame["type"] if frame["type"] != "error" else frame["code"]
            seen[key] = seen.get(key, 0) + 1
    flooder.close()
    assert closed.value.code == 1008, (closed.value.code, seen)
    assert 40 <= seen.get("pong", 0) < 100, seen
    assert seen.get("rate_limited", 0) >= 150, seen
    assert set(seen) <= {"pong", "rate_limited", "state"}, seen
    # The same seat reconnects and marks; the server never fell over.
    sock = Socket(f"{fresh_server.ws_url}/ws/judge/{sitting['judges'][0]['token']}")
    try:
        sock.recv()
        assert sock.submit(iid, "88", "after-flood")["type"] == "ack"
    finally:
        sock.close()
    events = audit_events(api, sitting["id"])
    assert [e["data"]["score"] for e in events if e["kind"] == "mark.submitted"] == ["88.0"]
    assert_log_clean(fresh_server)
    api.http.close()
