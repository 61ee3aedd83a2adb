"""The day's rhythm (issue 9): one result on the hall display at a time, and a note for a
candidate who does not sign. Against a real server process."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support import Api, ServerProcess, Socket, judge

STROKES = [[[0, 0, 0], [60, 40, 10], [120, 10, 20]], [[10, 80, 30], [90, 90, 40], [150, 60, 50]]]


def score(server: ServerProcess, sitting: dict[str, Any], iid: int, marks: list[str]) -> None:
    for j, mark in zip(sitting["judges"], marks, strict=True):
        with judge(server, j["token"]) as ws:
            ws.recv()
            assert ws.submit(iid, mark, f"r{iid}-{j['seat']}")["type"] == "ack"


def run_to_scored(server: ServerProcess, api: Api, sitting: dict[str, Any], iid: int) -> None:
    api.flow(iid, "start")
    score(server, sitting, iid, ["80", "81", "82"])


def audit(api: Api, sid: int) -> list[dict[str, Any]]:
    text = api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def two_scored(server: ServerProcess, api: Api) -> dict[str, Any]:
    """Candidate 1 announced and on screen; candidate 2 scored behind them."""
    sitting = api.sitting(judges=3, candidates=3, min_scores=3)
    first, second, _ = (i["id"] for i in sitting["interviews"])
    run_to_scored(server, api, sitting, first)
    api.flow(first, "announce")
    run_to_scored(server, api, sitting, second)
    return {"sitting": sitting, "first": first, "second": second}


def test_announcing_while_another_candidate_is_on_screen_is_refused(api: Api, two_scored) -> None:
    first, second = two_scored["first"], two_scored["second"]
    refused = api.flow(second, "announce", 409)
    assert refused["code"] == "still_on_screen"
    assert refused["detail"].startswith("A1 岗位 1 号考生的成绩仍在大屏上")
    assert "签字" in refused["detail"]
    en = api.call("POST", f"/api/interviews/{second}/announce", 409, headers={"Accept-Language": "en"})
    assert "Candidate 1 of post A1 is still on the display" in en.json()["detail"]
    sid = two_scored["sitting"]["id"]
    states = {i["id"]: i["state"] for i in api.get_session(sid)["interviews"]}
    assert states[first] == "announced" and states[second] == "scored"  # nothing changed
    assert not any(
        e["kind"] == "interview.announced" and e["data"]["interview_id"] == second for e in audit(api, sid)
    )


def test_the_next_is_announced_once_the_one_on_screen_has_signed(server: ServerProcess, api: Api, two_scored) -> None:
    token = two_scored["sitting"]["display"]["token"]
    signed = httpx.post(f"{server.url}/api/display/{token}/signature",
                        json={"interview_id": two_scored["first"], "strokes": STROKES})
    assert signed.status_code == 201, signed.text
    assert api.flow(two_scored["second"], "announce")["state"] == "announced"


def test_the_next_is_announced_once_a_note_is_recorded(server: ServerProcess, api: Api, two_scored) -> None:
    first, second = two_scored["first"], two_scored["second"]
    noted = api.flow(first, "dispute", note="  考生未返回  ")
    assert noted["state"] == "disputed" and noted["note"] == "考生未返回"
    display = Socket(f"{server.ws_url}/ws/display/{two_scored['sitting']['display']['token']}")
    try:
        frame = display.recv_until("state")
        assert frame["announcement"]["interview_id"] == first
        assert frame["announcement"]["state"] == "disputed"  # the display can say what happened
    finally:
        display.close()
    assert api.flow(second, "announce")["state"] == "announced"


@pytest.mark.parametrize(
    "body",
    [None, {}, {"note": ""}, {"note": "   "}, {"note": "\n\t "}, {"note": "长" * 501}, {"note": None},
     {"note": 5}],
)
def test_a_dispute_needs_a_note_of_1_to_500_characters(api: Api, two_scored, body) -> None:
    first = two_scored["first"]
    kw = {} if body is None else {"json": body}
    r = api.call("POST", f"/api/interviews/{first}/dispute", 422, **kw)
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    sid = two_scored["sitting"]["id"]
    assert next(i for i in api.get_session(sid)["interviews"] if i["id"] == first)["state"] == "announced"


def test_a_blank_note_is_refused_in_the_readers_language(api: Api, two_scored) -> None:
    first = two_scored["first"]
    zh = api.call("POST", f"/api/interviews/{first}/dispute", 422, json={"note": "  "}).json()["detail"]
    assert "请写明" in zh
    en = api.call("POST", f"/api/interviews/{first}/dispute", 422, json={"note": "  "},
                  headers={"Accept-Language": "en"}).json()["detail"]
    assert "Say what happened" in en


def test_a_note_of_500_characters_is_kept_whole(api: Api, two_scored) -> None:
    note = "拒" * 500
    assert api.flow(two_scored["first"], "dispute", note=note)["note"] == note
