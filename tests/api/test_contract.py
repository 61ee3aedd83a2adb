"""The secretary's HTTP contract (DESIGN.md section 4), against a real server process."""

import httpx
import pytest

from tests.support import Api, ServerProcess, judge

LONG = "长" * 100_000


def test_health(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_login_gives_a_token_and_an_httponly_cookie(server: ServerProcess) -> None:
    wrong = httpx.post(f"{server.url}/api/login", json={"password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"]
    ok = httpx.post(f"{server.url}/api/login", json={"password": "test-secretary-pw"})
    assert ok.status_code == 200 and len(ok.json()["token"]) >= 32
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "kiosk_token=" in cookie
    with httpx.Client(base_url=server.url, cookies=ok.cookies) as by_cookie:
        assert by_cookie.get("/api/sessions").status_code == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
def test_api_refuses_without_a_valid_token(server: ServerProcess, headers) -> None:
    for method, path in [("GET", "/api/sessions"), ("POST", "/api/sessions"), ("GET", "/api/sessions/1"),
                         ("POST", "/api/interviews/1/start"), ("GET", "/api/sessions/1/audit.jsonl")]:
        r = httpx.request(method, f"{server.url}{path}", headers=headers, json={"title": "x"})
        assert r.status_code == 401, (method, path, r.text)


def test_create_session_gives_distinct_strong_tokens_and_links(api: Api) -> None:
    s = api.session(judge_count=7)
    assert s["judge_count"] == 7 and s["score_decimals"] == 1 and s["result_decimals"] == 2
    assert s["min_scores"] == 5
    tokens = [j["token"] for j in s["judges"]] + [s["display"]["token"]]
    assert [j["seat"] for j in s["judges"]] == list(range(1, 8))
    assert len(set(tokens)) == 8 and all(len(t) >= 22 for t in tokens)  # >= 128 bits in base64url
    assert s["judges"][0]["url"].endswith(f"/judge/{tokens[0]}")
    assert s["display"]["url"].endswith(f"/display/{s['display']['token']}")
    assert api.session(judge_count=3)["min_scores"] == 3


BAD_SESSIONS = [
    {}, {"title": ""}, {"title": "   "}, {"title": LONG}, {"title": "x" * 201},
    {"title": 5}, {"title": None}, {"title": "x", "judge_count": 2}, {"title": "x", "judge_count": 16},
    {"title": "x", "judge_count": "7"}, {"title": "x", "judge_count": 7.5}, {"title": "x", "judge_count": True},
    {"title": "x", "score_decimals": 3}, {"title": "x", "score_decimals": -1},
    {"title": "x", "result_decimals": 5}, {"title": "x", "min_scores": 2},
    {"title": "x", "judge_count": 5, "min_scores": 6}, {"title": "bad\x00title"},
]


@pytest.mark.parametrize("body", BAD_SESSIONS)
def test_bad_sessions_get_422_and_create_nothing(api: Api, body) -> None:
    before = len(api.call("GET", "/api/sessions", 200).json())
    r = api.call("POST", "/api/sessions", json=body)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert len(api.call("GET", "/api/sessions", 200).json()) == before


def test_malformed_bodies_get_4xx_not_5xx(api: Api) -> None:
    lone_surrogate = b'{"title": "\\ud800"}'
    assert api.call("POST", "/api/sessions", content=lone_surrogate,
                    headers={"content-type": "application/json"}).status_code == 422
    for content in (b"{not json", b"", b"[]", b"null", b"\xff\xfe", b'{"title": "x"' + b" " * 10):
        r = api.call("POST", "/api/sessions", content=content, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, (content, r.status_code)
    assert api.call("POST", "/api/sessions", content=b"x" * 3_000_000).status_code == 413


def test_positions_and_interviews(api: Api) -> None:
    sid = api.session()["id"]
    p = api.position(sid, "A1", openings=2, shortlist_ratio="1.5")
    assert p["code"] == "A1" and p["openings"] == 2 and p["shortlist_ratio"] == "1.5"
    assert api.position(sid, "B2")["shortlist_ratio"] == "1"
    dup = api.call("POST", f"/api/sessions/{sid}/positions", json={"code": "A1", "name": "again"})
    assert dup.status_code == 409 and "A1" in dup.json()["detail"]
    for bad in ({"code": "C", "name": "x", "openings": 0}, {"code": "C", "name": "x", "openings": "1"},
                {"code": "C", "name": "x", "shortlist_ratio": "0"}, {"code": "C", "name": "x", "shortlist_ratio": "-1"},
                {"code": "C", "name": "x", "shortlist_ratio": "abc"}, {"code": "C", "name": "x", "shortlist_ratio": "NaN"},
                {"code": "", "name": "x"}, {"code": "C"}, {"code": "C", "name": LONG}):
        assert api.call("POST", f"/api/sessions/{sid}/positions", json=bad).status_code == 422, bad

    iv = api.interview(sid, 3, "李四", "A1")
    assert {k: iv[k] for k in ("draw_no", "candidate_name", "position_code", "state")} == {
        "draw_no": 3, "candidate_name": "李四", "position_code": "A1", "state": "waiting"}
    assert api.interview(sid, 3, "王五", "B2")["draw_no"] == 3  # unique per post, not per sitting
    dup = api.call("POST", f"/api/sessions/{sid}/interviews", json={"draw_no": 3, "candidate_name": "赵六", "position_code": "A1"})
    assert dup.status_code == 409
    for bad in ({"draw_no": 0, "candidate_name": "x", "position_code": "A1"},
                {"draw_no": "4", "candidate_name": "x", "position_code": "A1"},
                {"draw_no": 4, "candidate_name": " ", "position_code": "A1"},
                {"draw_no": 4, "candidate_name": "x" * 51, "position_code": "A1"},
                {"draw_no": 4, "candidate_name": "x", "position_code": "ZZ"},
                {"draw_no": 4, "candidate_name": "x"}):
        assert api.call("POST", f"/api/sessions/{sid}/interviews", json=bad).status_code == 422, bad
    assert len(api.get_session(sid)["interviews"]) == 2


@pytest.mark.parametrize("path", [
    "/api/sessions/999999", "/api/sessions/999999/audit.jsonl", "/api/sessions/999999/export.csv",
])
def test_unknown_sessions_are_404(api: Api, path) -> None:
    assert api.call("GET", path).status_code == 404


def test_unknown_and_absurd_ids_are_4xx(api: Api) -> None:
    assert api.call("POST", "/api/interviews/999999/start").status_code == 404
    assert api.call("POST", "/api/sessions/999999/positions", json={"code": "A", "name": "x"}).status_code == 404
    # 2**31 is past PostgreSQL's integer ids: refused before any query, not a 500.
    for path in ("/api/sessions/abc", "/api/sessions/0", "/api/sessions/99999999999999999999999",
                 "/api/sessions/-1", "/api/sessions/2147483648"):
        assert api.call("GET", path).status_code == 422, path
    assert api.call("POST", "/api/interviews/99999999999999999999/start").status_code == 422


def test_the_whole_flow_and_wrong_transitions(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=5, candidates=3)
    sid = s["id"]
    a, b, c = (iv["id"] for iv in s["interviews"])
    assert api.flow(a, "announce", 409)["detail"]
    assert api.flow(a, "dispute", 409, note="x")["detail"]
    assert api.flow(a, "start")["state"] == "interviewing"
    assert api.flow(b, "start", 409)["detail"]  # another one is live
    assert api.flow(a, "start", 409)["detail"]
    assert api.flow(c, "absent")["state"] == "absent"
    assert api.flow(c, "start", 409)["detail"]
    marks = ["80", "85.5", "90", "70", "88"]
    for j, mark in zip(s["judges"], marks, strict=True):
        with judge(server, j["token"]) as ws:
            ws.recv()
            assert ws.submit(a, mark, "r")["type"] == "ack"
    row = api.get_session(sid)["interviews"][0]
    assert row["state"] == "scored" and row["result"] == "84.50"
    assert [m["score"] for m in row["marks"]] == ["80.0", "85.5", "90.0", "70.0", "88.0"]
    assert api.flow(b, "start")["state"] == "interviewing"  # k+1 starts while k waits outside
    announced = api.flow(a, "announce")
    assert announced["state"] == "announced" and announced["result"] == "84.50"
    assert api.flow(a, "reopen", 409, seat=1, reason="late")["detail"]  # not after the announcement
    assert api.flow(a, "dispute", note="考生对第3位评委有异议")["state"] == "disputed"
    assert api.flow(a, "announce", 409)


def test_excuse_and_reopen(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=6, candidates=1, min_scores=4)
    iid = s["interviews"][0]["id"]
    assert api.flow(iid, "excuse", seat=6, reason="回避亲属")["marks"][5]["excused"] is True
    assert api.flow(iid, "excuse", 409, seat=6, reason="again")
    assert api.flow(iid, "excuse", 422, seat=7, reason="no such seat")
    assert api.flow(iid, "excuse", 422, seat=5, reason="")
    api.flow(iid, "start")
    tokens = [j["token"] for j in s["judges"]]
    with judge(server, tokens[0]) as ws:
        ws.recv()
        assert ws.submit(iid, "80", "a")["type"] == "ack"
    assert api.flow(iid, "excuse", 409, seat=1, reason="has a mark")["detail"]
    assert api.flow(iid, "excuse", seat=5, reason="有事离场")["expected"] == 4
    assert api.flow(iid, "excuse", 409, seat=4, reason="too few left")["detail"]  # 3 < min_scores 4
    for t, mark in zip(tokens[1:4], ["82", "84", "99"], strict=True):
        with judge(server, t) as ws:
            ws.recv()
            assert ws.submit(iid, mark, "a")["type"] == "ack"
    row = api.get_session(s["id"])["interviews"][0]
    assert row["state"] == "scored" and row["result"] == "83.00"
    assert api.flow(iid, "reopen", 422, seat=3)  # a reason is required
    reopened = api.flow(iid, "reopen", seat=3, reason="评委误触")
    assert reopened["state"] == "interviewing" and reopened["result"] is None
    assert [m["score"] for m in reopened["marks"]] == [None] * 6
    with judge(server, tokens[2]) as ws:
        state = ws.recv()
        assert state["interview"]["id"] == iid and state["my_score"] is None
        assert ws.submit(iid, "86", "a")["score"] == "84.0"  # same request id: the original ack
        assert ws.submit(iid, "86", "b")["score"] == "86.0"
    row = api.get_session(s["id"])["interviews"][0]
    assert row["state"] == "scored" and row["result"] == "84.00"
    audit = api.call("GET", f"/api/sessions/{s['id']}/audit.jsonl", 200).text
    assert '"old_score": "84.0"' in audit and "评委误触" in audit


def test_csv_export_has_a_bom_and_a_row_per_interview(server: ServerProcess, api: Api) -> None:
    import csv
    import io

    s = api.sitting(judges=3, candidates=2, min_scores=3)
    r = api.call("GET", f"/api/sessions/{s['id']}/export.csv", 200)
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["抽签号", "姓名", "岗位代码"]
    assert [row[1] for row in rows[1:]] == ["考生1", "考生2"]


def test_signature_only_for_the_announced_interview_and_never_trivial(server: ServerProcess, api: Api) -> None:
    s = api.sitting(judges=3, candidates=2, min_scores=3)
    a, b = (iv["id"] for iv in s["interviews"])
    url = f"{server.url}/api/display/{s['display']['token']}/signature"
    good = [[[10, 10, 0], [60, 40, 16], [120, 15, 32], [150, 70, 48]]]
    assert httpx.post(url, json={"interview_id": a, "strokes": good}).status_code == 409  # not announced
    api.flow(a, "start")
    for j, mark in zip(s["judges"], ["80", "85", "90"], strict=True):
        with judge(server, j["token"]) as ws:
            ws.recv()
            ws.submit(a, mark, "r")
    assert httpx.post(url, json={"interview_id": a, "strokes": good}).status_code == 409  # scored only
    api.flow(a, "announce")
    trivial = [[], [[[5, 5, 0]]], [[[5, 5, 0], [6, 6, 1]]], [[[5, 5, 0], [9, 9, 1], [12, 14, 2], [7, 8, 3]]]]
    for strokes in trivial:
        r = httpx.post(url, json={"interview_id": a, "strokes": strokes})
        assert r.status_code == 422 and r.json()["detail"], strokes
    for bad in ({"interview_id": a}, {"interview_id": a, "strokes": "x"}, {"interview_id": a, "strokes": [[[1, 2]]]},
                {"interview_id": a, "strokes": [[["a", 2, 3]]]}, {"strokes": good}):
        assert httpx.post(url, json=bad).status_code == 422, bad
    assert httpx.post(f"{server.url}/api/display/{s['judges'][0]['token']}/signature",
                      json={"interview_id": a, "strokes": good}).status_code == 404  # a judge token
    assert httpx.post(url, json={"interview_id": b, "strokes": good}).status_code == 409
    assert api.get_session(s["id"])["interviews"][0]["state"] == "announced"  # nothing changed so far
    signed = httpx.post(url, json={"interview_id": a, "strokes": good})
    assert signed.status_code == 201 and signed.json()["state"] == "confirmed"
    assert httpx.post(url, json={"interview_id": a, "strokes": good}).status_code == 409  # once
    row = api.get_session(s["id"])["interviews"][0]
    assert row["state"] == "confirmed" and row["signed_at"]
    stored = api.call("GET", f"/api/interviews/{a}/signature", 200).json()["strokes"]
    assert stored == good
