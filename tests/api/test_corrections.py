"""Corrections before the start (issue 9): a candidate, a post or a sitting typed wrong can be
corrected or removed until it starts, each change audited with its old and new values."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import Api, ServerProcess, Socket, judge


def audit(api: Api, sid: int) -> list[dict[str, Any]]:
    text = api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text
    return [json.loads(line) for line in text.splitlines()]


def last_event(api: Api, sid: int) -> dict[str, Any]:
    return audit(api, sid)[-1]


def row(api: Api, sid: int, iid: int) -> dict[str, Any]:
    return next(i for i in api.get_session(sid)["interviews"] if i["id"] == iid)


def verify_chain(tmp_path: Any, api: Api, sid: int) -> None:
    from typer.testing import CliRunner

    from server.cli import app

    path = tmp_path / "audit.jsonl"
    path.write_text(api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text, encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output


# --- candidates ------------------------------------------------------------------------------


def test_a_waiting_candidate_is_corrected_and_the_chain_keeps_both(api: Api, tmp_path) -> None:
    s = api.sitting(judges=3, candidates=2, min_scores=3)
    sid = s["id"]
    api.position(sid, "B2")
    iid = s["interviews"][0]["id"]
    fixed = api.call("PATCH", f"/api/interviews/{iid}", 200,
                     json={"candidate_name": "张叁", "draw_no": 7, "position_code": "B2"}).json()
    assert (fixed["candidate_name"], fixed["draw_no"], fixed["position_code"], fixed["state"]) == (
        "张叁", 7, "B2", "waiting")
    assert fixed["position_name"] == "岗位B2"
    event = last_event(api, sid)
    assert event["kind"] == "interview.corrected" and event["actor"] == "secretary"
    assert event["data"] == {
        "interview_id": iid,
        "old": {"draw_no": 1, "candidate_name": "考生1", "position_code": "A1"},
        "new": {"draw_no": 7, "candidate_name": "张叁", "position_code": "B2"},
    }
    # Only what changed is recorded; nothing changed, nothing recorded.
    api.call("PATCH", f"/api/interviews/{iid}", 200, json={"candidate_name": "张三"})
    assert last_event(api, sid)["data"]["old"] == {"candidate_name": "张叁"}
    before = len(audit(api, sid))
    api.call("PATCH", f"/api/interviews/{iid}", 200, json={"candidate_name": "张三"})
    assert len(audit(api, sid)) == before
    verify_chain(tmp_path, api, sid)


def test_candidate_corrections_follow_the_create_rules(api: Api) -> None:
    s = api.sitting(judges=3, candidates=2, min_scores=3)
    sid = s["id"]
    a, b = (i["id"] for i in s["interviews"])
    dup = api.call("PATCH", f"/api/interviews/{a}", 409, json={"draw_no": 2})
    assert "抽签号 2" in dup.json()["detail"]
    assert api.call("PATCH", f"/api/interviews/{a}", json={"position_code": "ZZ"}).status_code == 422
    for bad in ({"draw_no": 0}, {"draw_no": "3"}, {"candidate_name": ""}, {"candidate_name": "   "},
                {"candidate_name": "名" * 51}, {"position_code": ""}):
        assert api.call("PATCH", f"/api/interviews/{a}", json=bad).status_code == 422, bad
    assert api.call("PATCH", "/api/interviews/999999", json={"draw_no": 3}).status_code == 404
    assert [i["draw_no"] for i in api.get_session(sid)["interviews"]] == [1, 2]
    # Draw 2 moves to 3: then 1 may take 2.
    api.call("PATCH", f"/api/interviews/{b}", 200, json={"draw_no": 3})
    api.call("PATCH", f"/api/interviews/{a}", 200, json={"draw_no": 2})


def test_a_candidate_cannot_be_corrected_or_removed_once_started(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=3, candidates=3, min_scores=3)
    a, b, c = (i["id"] for i in s["interviews"])
    api.flow(a, "start")
    r = api.call("PATCH", f"/api/interviews/{a}", 409, json={"candidate_name": "改名"})
    assert r.json()["code"] == "too_late" and "1 号" in r.json()["detail"]
    assert api.call("DELETE", f"/api/interviews/{a}", 409).json()["code"] == "too_late"
    api.flow(c, "absent")
    assert api.call("PATCH", f"/api/interviews/{c}", 409, json={"draw_no": 9}).status_code == 409
    assert api.call("DELETE", f"/api/interviews/{c}").status_code == 409
    for j in s["judges"]:
        with judge(server, j["token"]) as ws:
            ws.recv()
            assert ws.submit(a, "80", "r")["type"] == "ack"
    assert row(api, s["id"], a)["state"] == "scored"
    assert api.call("DELETE", f"/api/interviews/{a}").status_code == 409
    # Another candidate of the same sitting, still waiting, may be corrected meanwhile.
    assert api.call("PATCH", f"/api/interviews/{b}", 200, json={"candidate_name": "李四"}).json()["state"] == "waiting"


def test_a_waiting_candidate_is_removed_with_its_excused_seat(server: ServerProcess, api: Api, tmp_path) -> None:
    s = api.sitting(judges=4, candidates=2, min_scores=3)
    sid = s["id"]
    a, b = (i["id"] for i in s["interviews"])
    api.flow(a, "excuse", seat=2, reason="与考生有亲属关系")  # excused ahead of the start
    display = Socket(f"{server.ws_url}/ws/display/{s['display']['token']}")
    try:
        display.recv_until("state")
        removed = api.call("DELETE", f"/api/interviews/{a}", 200).json()
        assert removed == {"id": a, "session_id": sid, "removed": True}
    finally:
        display.close()
    assert [i["id"] for i in api.get_session(sid)["interviews"]] == [b]
    event = last_event(api, sid)
    assert event["kind"] == "interview.removed"
    assert event["data"] == {"interview_id": a, "draw_no": 1, "candidate_name": "考生1",
                             "position_code": "A1", "excused": {"2": "与考生有亲属关系"}}
    assert api.call("DELETE", f"/api/interviews/{a}").status_code == 404
    assert api.call("POST", f"/api/interviews/{a}/start").status_code == 404
    # The draw number is free again.
    assert api.interview(sid, 1, "新考生")["draw_no"] == 1
    verify_chain(tmp_path, api, sid)


# --- posts -----------------------------------------------------------------------------------


def test_a_post_is_corrected_and_its_code_only_while_nobody_applies(api: Api) -> None:
    s = api.sitting(judges=3, candidates=1, min_scores=3)
    sid = s["id"]
    fixed = api.call("PATCH", f"/api/sessions/{sid}/positions/A1", 200,
                     json={"name": "综合管理岗", "openings": 2, "shortlist_ratio": "1.5"}).json()
    assert (fixed["code"], fixed["name"], fixed["openings"], fixed["shortlist_ratio"]) == ("A1", "综合管理岗", 2, "1.5")
    event = last_event(api, sid)
    assert event["kind"] == "position.corrected"
    assert event["data"]["old"] == {"name": "岗位A1", "openings": 1, "shortlist_ratio": "1"}
    assert event["data"]["new"] == {"name": "综合管理岗", "openings": 2, "shortlist_ratio": "1.5"}
    assert api.get_session(sid)["interviews"][0]["position_name"] == "综合管理岗"
    in_use = api.call("PATCH", f"/api/sessions/{sid}/positions/A1", 409, json={"code": "A9"})
    assert in_use.json()["code"] == "in_use"
    api.position(sid, "B2")
    moved = api.call("PATCH", f"/api/sessions/{sid}/positions/B2", 200, json={"code": "B3"}).json()
    assert moved["code"] == "B3"
    assert last_event(api, sid)["data"]["old"] == {"code": "B2"}
    assert api.call("PATCH", f"/api/sessions/{sid}/positions/B3", 409, json={"code": "A1"}).json()["code"] == "duplicate"
    assert api.call("PATCH", f"/api/sessions/{sid}/positions/B2", 404, json={"name": "x"})
    for bad in ({"openings": 0}, {"shortlist_ratio": "0"}, {"shortlist_ratio": "abc"}, {"name": " "}, {"code": ""}):
        assert api.call("PATCH", f"/api/sessions/{sid}/positions/B3", json=bad).status_code == 422, bad


def test_a_post_is_removed_only_when_no_candidate_names_it(api: Api) -> None:
    s = api.sitting(judges=3, candidates=1, min_scores=3)
    sid = s["id"]
    refused = api.call("DELETE", f"/api/sessions/{sid}/positions/A1", 409).json()
    assert refused["code"] == "in_use" and "1 名考生" in refused["detail"]
    api.position(sid, "B2", openings=3)
    removed = api.call("DELETE", f"/api/sessions/{sid}/positions/B2", 200).json()
    assert removed["code"] == "B2" and removed["removed"] is True
    assert [p["code"] for p in api.get_session(sid)["positions"]] == ["A1"]
    event = last_event(api, sid)
    assert event["kind"] == "position.removed"
    assert event["data"]["code"] == "B2" and event["data"]["openings"] == 3
    assert api.call("DELETE", f"/api/sessions/{sid}/positions/B2").status_code == 404
    api.position(sid, "B2")  # the code is free again


# --- sittings --------------------------------------------------------------------------------


def test_the_title_and_batch_can_be_corrected_any_time(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=3, candidates=1, min_scores=3)
    sid = s["id"]
    iid = s["interviews"][0]["id"]
    api.flow(iid, "start")
    fixed = api.call("PATCH", f"/api/sessions/{sid}", 200, json={"title": "第一批次面试", "batch": "第一批次"}).json()
    assert fixed["title"] == "第一批次面试" and fixed["batch"] == "第一批次"
    for j in s["judges"]:  # the log is read once the interview is scored
        with judge(server, j["token"]) as ws:
            ws.recv()
            assert ws.submit(iid, "80", "r")["type"] == "ack"
    event = next(e for e in reversed(audit(api, sid)) if e["kind"] == "session.corrected")
    assert event["kind"] == "session.corrected"
    assert event["data"]["old"] == {"title": "测试场次", "batch": ""}
    assert event["data"]["new"] == {"title": "第一批次面试", "batch": "第一批次"}
    late = api.call("PATCH", f"/api/sessions/{sid}", 409, json={"judge_count": 5})
    assert late.json()["code"] == "too_late"
    assert api.call("PATCH", f"/api/sessions/{sid}", 409, json={"score_decimals": 2}).status_code == 409
    assert api.get_session(sid)["judge_count"] == 3


def test_the_panel_grows_and_shrinks_with_its_seat_links(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5, candidates=1)
    sid = s["id"]
    old_tokens = {j["seat"]: j["token"] for j in s["judges"]}
    grown = api.call("PATCH", f"/api/sessions/{sid}", 200, json={"judge_count": 7}).json()
    assert grown["judge_count"] == 7 and grown["min_scores"] == 5
    assert [j["seat"] for j in grown["judges"]] == list(range(1, 8))
    new_tokens = {j["seat"]: j["token"] for j in grown["judges"]}
    assert all(new_tokens[n] == old_tokens[n] for n in range(1, 6))  # printed codes stay valid
    assert len(set(new_tokens.values())) == 7
    event = last_event(api, sid)
    assert event["data"]["old"] == {"judge_count": 5} and event["data"]["seats_added"] == [6, 7]
    assert all(t not in json.dumps(event) for t in new_tokens.values())  # no secret in the record
    links = api.call("GET", f"/api/sessions/{sid}/links", 200).json()
    assert [j["seat"] for j in links["judges"]] == list(range(1, 8))
    with judge(server, new_tokens[7]) as ws:
        assert ws.recv()["seat"] == 7

    shrunk = api.call("PATCH", f"/api/sessions/{sid}", 200, json={"judge_count": 4, "score_decimals": 0}).json()
    assert shrunk["judge_count"] == 4 and shrunk["min_scores"] == 4 and shrunk["score_decimals"] == 0
    assert [j["seat"] for j in shrunk["judges"]] == [1, 2, 3, 4]
    assert last_event(api, sid)["data"]["seats_removed"] == [5, 6, 7]
    gone = httpx.get(f"{server.url}/judge/{new_tokens[6]}")
    assert gone.status_code == 404
    assert len(api.get_session(sid)["interviews"][0]["marks"]) == 4
    bad = api.call("PATCH", f"/api/sessions/{sid}", 422, json={"min_scores": 5})
    assert "3" in bad.json()["detail"]
    for body in ({"judge_count": 2}, {"judge_count": 16}, {"title": ""}, {"result_decimals": 5}):
        assert api.call("PATCH", f"/api/sessions/{sid}", json=body).status_code == 422, body


def test_a_removed_seat_s_open_phone_is_closed_and_cannot_mark(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=4, candidates=1, min_scores=3)
    sid, iid = s["id"], s["interviews"][0]["id"]
    seat4 = Socket(f"{server.ws_url}/ws/judge/{s['judges'][3]['token']}")
    seat3 = Socket(f"{server.ws_url}/ws/judge/{s['judges'][2]['token']}")
    try:
        seat4.recv()
        seat3.recv()
        api.call("PATCH", f"/api/sessions/{sid}", 200, json={"judge_count": 3})
        api.flow(iid, "start")
        with pytest.raises(ConnectionClosed):  # the server closed it
            seat4.submit(iid, "80", "late-seat")
        assert seat3.submit(iid, "80", "seat-3")["type"] == "ack"  # the seats kept stay open
    finally:
        seat4.close()
        seat3.close()
    assert row(api, sid, iid)["submitted"] == 1


def test_shrinking_the_panel_keeps_seats_excused_ahead(api: Api) -> None:
    s = api.sitting(judges=5, candidates=1, min_scores=3)
    sid, iid = s["id"], s["interviews"][0]["id"]
    api.flow(iid, "excuse", seat=5, reason="回避")
    refused = api.call("PATCH", f"/api/sessions/{sid}", 409, json={"judge_count": 4})
    assert "第 5 席" in refused.json()["detail"]
    assert api.get_session(sid)["judge_count"] == 5


def test_a_sitting_is_removed_only_before_it_starts(server: ServerProcess, api: Api) -> None:
    started = api.sitting(judges=3, candidates=1, min_scores=3)
    api.flow(started["interviews"][0]["id"], "start")
    assert api.call("DELETE", f"/api/sessions/{started['id']}", 409).json()["code"] == "too_late"

    s = api.sitting(judges=3, candidates=2, min_scores=3)
    sid = s["id"]
    hall = Socket(f"{server.ws_url}/ws/display/{s['display']['token']}")
    hall.recv()
    assert api.call("DELETE", f"/api/sessions/{sid}", 200).json() == {"id": sid, "removed": True}
    with pytest.raises(ConnectionClosed):  # the open display learns at once
        hall.recv_until("state", timeout=5)
    hall.close()
    assert sid not in [x["id"] for x in api.call("GET", "/api/sessions", 200).json()]
    assert started["id"] in [x["id"] for x in api.call("GET", "/api/sessions", 200).json()]
    for method, path in [("GET", f"/api/sessions/{sid}"), ("GET", f"/api/sessions/{sid}/links"),
                         ("POST", f"/api/interviews/{s['interviews'][0]['id']}/start"),
                         ("DELETE", f"/api/sessions/{sid}"), ("PATCH", f"/api/sessions/{sid}")]:
        kw = {"json": {"title": "x"}} if method == "PATCH" else {}
        assert api.call(method, path, **kw).status_code == 404, (method, path)
    # Its links are refused: the judges' and the display's pages and sockets.
    assert httpx.get(f"{server.url}/judge/{s['judges'][0]['token']}").status_code == 404
    assert httpx.get(f"{server.url}/api/display/{s['display']['token']}/state").status_code == 404
    with pytest.raises(Exception):  # noqa: B017 - refused at the handshake or closed at once
        sock = Socket(f"{server.ws_url}/ws/judge/{s['judges'][0]['token']}")
        try:
            sock.recv(timeout=3)
        finally:
            sock.close()
    # The record stays in the database, ending with the removal.
    if not server.env["KIOSK_DATABASE_URL"].startswith("sqlite:///"):
        return
    db = sqlite3.connect(server.env["KIOSK_DATABASE_URL"].removeprefix("sqlite:///"))
    try:
        kinds = [k for (k,) in db.execute(
            "SELECT kind FROM audit_event WHERE session_id = ? ORDER BY seq", (sid,))]
        (removed_at,) = db.execute("SELECT removed_at FROM sitting WHERE id = ?", (sid,)).fetchone()
    finally:
        db.close()
    assert kinds[0] == "session.created" and kinds[-1] == "session.removed"
    assert removed_at is not None
