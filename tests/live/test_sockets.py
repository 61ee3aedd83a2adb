"""The judge and display sockets (DESIGN.md section 4), against a real server process."""

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support import Api, ServerProcess, Socket, judge


def refused(url: str, **kw) -> bool:
    try:
        sock = Socket(url, **kw)
    except InvalidStatus as exc:
        return exc.response.status_code == 403
    try:
        sock.recv(timeout=5)
    except ConnectionClosed:
        return True
    finally:
        sock.close()
    return False


def test_wrong_tokens_and_foreign_origins_are_refused(server: ServerProcess, api: Api) -> None:
    s = api.session()
    judge_token, display_token = s["judges"][0]["token"], s["display"]["token"]
    assert refused(f"{server.ws_url}/ws/judge/nope")
    assert refused(f"{server.ws_url}/ws/judge/{display_token}")
    assert refused(f"{server.ws_url}/ws/display/{judge_token}")
    assert refused(f"{server.ws_url}/ws/display/nope")
    assert refused(f"{server.ws_url}/ws/judge/{judge_token}", origin="http://evil.example")
    same = Socket(f"{server.ws_url}/ws/judge/{judge_token}", origin=f"http://127.0.0.1:{server.port}")
    assert same.recv()["type"] == "state"
    same.close()


def test_state_on_connect(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5)
    with judge(server, s["judges"][2]["token"]) as ws:
        first = ws.recv()
        assert first == {**first, "type": "state", "seat": 3, "session_id": s["id"], "interview": None,
                         "my_score": None}
    iid = s["interviews"][0]["id"]
    api.flow(iid, "start")
    with judge(server, s["judges"][2]["token"]) as ws:
        state = ws.recv()
        assert state["interview"] == {"id": iid, "draw_no": 1, "position_code": "A1",
                                      "position_name": "岗位A1", "state": "interviewing"}
        assert (state["submitted"], state["expected"]) == (0, 5)
    display = Socket(f"{server.ws_url}/ws/display/{s['display']['token']}")
    frame = display.recv()
    assert frame["current"]["id"] == iid and frame["announcement"] is None
    assert frame["session"]["title"] == "测试场次"
    display.close()


def test_every_error_code_keeps_the_socket_open(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5, candidates=2, score_decimals=1, min_scores=4)
    other = api.sitting(judges=5)
    a, b = (iv["id"] for iv in s["interviews"])
    with judge(server, s["judges"][0]["token"]) as ws:
        ws.recv()
        assert ws.submit(a, "80", "w1")["code"] == "not_open"  # still waiting
        api.flow(a, "start")
        for bad in ("85,5", "NaN", "", "1e2", "100.5", "-1", "85.55", True, None, [1], " 85"):
            assert ws.submit(a, bad, f"bad-{bad}")["code"] == "invalid_score", bad
        ws.send('{"type":"submit","request_id":"n1","interview_id":%d,"score":NaN}' % a)
        assert ws.recv_until("error", request_id="n1")["code"] == "invalid_score"
        ws.send('{"type":"submit","request_id":"n2","interview_id":%d,"score":8.55e1}' % a)
        assert ws.recv_until("error", request_id="n2")["code"] == "invalid_score"
        assert ws.submit(b, "80", "x1")["code"] == "not_open"  # not the live one
        assert ws.submit(other["interviews"][0]["id"], "80", "x2")["code"] == "not_open"
        assert ws.submit(987654, "80", "x3")["code"] == "not_open"
        ws.send('{"type":"submit","request_id":"n3","interview_id":%d,"score":85.5}' % a)
        assert ws.recv_until("ack", request_id="n3")["score"] == "85.5"  # a JSON number, kept exact
        assert ws.submit(a, "90", "dup")["code"] == "already_submitted"
        for raw in ("not json", "[]", '{"type":"launch"}', '{"request_id":"q"}',
                    '{"type":"submit","request_id":"m1"}', '{"type":"submit","interview_id":1,"score":"80"}',
                    '{"type":"submit","request_id":5,"interview_id":1,"score":"80"}'):
            ws.send(raw)
            error = ws.recv_until("error")
            assert error["code"] == "bad_message", raw
            assert error["message"]
        ws.send('{"type":"submit","request_id":"m1","score":"80"}')
        assert ws.recv_until("error")["request_id"] == "m1"  # readable id is echoed
        ws.conn.send(b"\x00\x01binary")
        assert ws.recv_until("error")["code"] == "bad_message"
        ws.send({"type": "ping"})
        assert ws.recv_until("pong") == {"type": "pong"}
    with judge(server, s["judges"][1]["token"]) as ws2:
        ws2.recv()
        api.flow(a, "excuse", seat=2, reason="回避")
        assert ws2.recv_until("state")["excused"] is True
        assert ws2.submit(a, "80", "e1")["code"] == "excused"
    marks = api.get_session(s["id"])["interviews"][0]["marks"]
    assert [m["submitted"] for m in marks] == [True, False, False, False, False]


def test_same_request_id_gets_the_same_ack_and_changes_nothing(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5)
    iid = s["interviews"][0]["id"]
    api.flow(iid, "start")
    with judge(server, s["judges"][0]["token"]) as ws:
        ws.recv()
        first = ws.submit(iid, "88.5", "same")
        audit_before = api.audit_lines(s["id"])
        again = ws.submit(iid, "12", "same")
    with judge(server, s["judges"][0]["token"]) as ws:
        ws.recv()
        third = ws.submit(iid, "88.5", "same")
    assert first == again == third == {"type": "ack", "request_id": "same", "interview_id": iid, "score": "88.5"}
    assert api.audit_lines(s["id"]) == audit_before


def test_several_tabs_on_one_seat_see_the_same_state(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5)
    iid = s["interviews"][0]["id"]
    api.flow(iid, "start")
    token = s["judges"][3]["token"]
    with judge(server, token) as tab1, judge(server, token) as tab2:
        tab1.recv(), tab2.recv()
        assert tab1.submit(iid, "91", "t")["type"] == "ack"
        mirrored = tab2.recv_until("state")
        assert mirrored["my_score"] == "91.0" and mirrored["submitted"] == 1
        assert tab2.submit(iid, "92", "t2")["code"] == "already_submitted"


def test_no_judge_sees_another_mark_and_the_display_sees_nothing_before_the_announcement(
    server: ServerProcess, api: Api
) -> None:
    s = api.sitting(judges=5)
    iid = s["interviews"][0]["id"]
    marks = ["71.5", "82.5", "93.5", "64.5", "55.5"]
    display = Socket(f"{server.ws_url}/ws/display/{s['display']['token']}")
    display.recv()
    api.flow(iid, "start")
    sockets = [Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in s["judges"]]
    seen: list[list[str]] = [[] for _ in sockets]
    for sock in sockets:
        seen[sockets.index(sock)].append(json.dumps(sock.recv()))
    for seat, (sock, mark) in enumerate(zip(sockets, marks, strict=True)):
        sock.send({"type": "submit", "request_id": "p", "interview_id": iid, "score": mark})
        for other, frames in zip(sockets, seen, strict=True):
            # every judge gets a state for every mark; collect them all
            frames.append(json.dumps(other.recv_until("state", submitted=seat + 1)))
    display_frames = []
    while True:
        frame = display.recv()
        display_frames.append(json.dumps(frame))
        if frame["current"] is None:
            break  # scored: no longer interviewing
    for seat, frames in enumerate(seen):
        text = "".join(frames)
        for other_seat, mark in enumerate(marks):
            assert (mark in text) == (other_seat == seat), (seat, other_seat)
    scored = api.get_session(s["id"])["interviews"][0]
    assert scored["state"] == "scored"
    for mark in marks + [scored["result"]]:
        assert not any(mark in f for f in display_frames), mark
    api.flow(iid, "announce")
    announced = display.recv_until("state")
    assert announced["announcement"]["result"] == scored["result"] == "72.83"
    assert sorted(m["score"] for m in announced["announcement"]["marks"]) == sorted(m + "" for m in marks)
    for sock in sockets:
        sock.close()
    display.close()


def test_huge_frames_close_cleanly_and_floods_are_limited(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5)
    big = Socket(f"{server.ws_url}/ws/judge/{s['judges'][0]['token']}")
    big.recv()
    big.send('{"type":"ping","pad":"' + "x" * 20_000 + '"}')
    with pytest.raises(ConnectionClosed) as closed:
        big.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    flood = Socket(f"{server.ws_url}/ws/judge/{s['judges'][1]['token']}")
    flood.recv()
    for _ in range(120):
        flood.send({"type": "ping"})
    codes = []
    for _ in range(120):
        frame = flood.recv()
        codes.append(frame.get("code") or frame["type"])
    assert "rate_limited" in codes and "pong" in codes
    flood.close()
    with judge(server, s["judges"][0]["token"]) as ws:  # the server is fine
        assert ws.recv()["type"] == "state"
