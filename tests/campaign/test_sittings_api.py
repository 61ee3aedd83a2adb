"""A campaign's sittings over HTTP: a sitting of a batch, interviews from applications, scoring
by the judges' phones, the batch ranking across sittings, outcomes and the publicity.

Runs once the sitting routes call server/campaign/sessions.py (the patch in the campaign's
notes: ``POST /api/sessions {"batch_id"}``, ``/interviews {"application_id"}``); skipped before.
"""

from __future__ import annotations

from typing import Any

import pytest

from server.api.schemas import SessionIn
from tests.campaign.test_api import Campaign, api, holidays, server  # noqa: F401
from tests.support import Api, ServerProcess, judge

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "batch_id" not in SessionIn.model_fields, reason="the sitting routes are not wired yet"
    ),
]


def score(
    srv: ServerProcess, client: Api, sitting: dict[str, Any], iid: int, marks: list[str]
) -> None:
    client.flow(iid, "start")
    for seat, mark in enumerate(marks, start=1):
        with judge(srv, sitting["judges"][seat - 1]["token"]) as phone:
            assert phone.submit(iid, mark, f"r{iid}-{seat}")["type"] == "ack"
    client.flow(iid, "announce")
    client.flow(iid, "dispute", note="测试：未签字")


def test_a_batch_through_its_sittings(server: ServerProcess, api: Api) -> None:  # noqa: F811
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    people = [camp.person(name) for name in ("甲", "乙", "丙", "丁")]
    apps = {}
    for p in people:
        a = camp.apply(b["id"], p["id"], "A1")
        if p["name"] != "丁":
            api.call(
                "POST", f"/api/applications/{a['id']}/review", 200, json={"decision": "approved"}
            )
        apps[p["name"]] = a["id"]

    body = {"title": "第一批次上午", "judge_count": 5, "batch_id": b["id"]}
    morning = api.call("POST", "/api/sessions", 201, json=body).json()
    got = api.get_session(morning["id"])
    assert [(p["code"], p["openings"]) for p in got["positions"]] == [("A1", 1), ("B1", 2)]
    afternoon = api.call("POST", "/api/sessions", 201, json=dict(body, title="下午")).json()
    assert api.call("POST", "/api/sessions", 409, json=dict(body, score_decimals=2))
    assert api.call("POST", "/api/sessions", 404, json=dict(body, batch_id=999999))
    sid = morning["id"]
    assert api.call("POST", f"/api/sessions/{sid}/positions", 409, json={"code": "Z", "name": "z"})
    free = {"draw_no": 9, "candidate_name": "某人", "position_code": "A1"}
    assert api.call("POST", f"/api/sessions/{sid}/interviews", 409, json=free)
    url = f"/api/sessions/{sid}/interviews"
    i1 = api.call("POST", url, 201, json={"draw_no": 1, "application_id": apps["甲"]}).json()
    assert (i1["candidate_name"], i1["position_code"], i1["state"]) == ("甲", "A1", "waiting")
    assert api.call("POST", url, 409, json={"draw_no": 2, "application_id": apps["甲"]})
    assert api.call(
        "POST", url, 409, json={"draw_no": 2, "application_id": apps["丁"]}
    )  # not approved
    i2 = api.call("POST", url, 201, json={"draw_no": 2, "application_id": apps["乙"]}).json()
    later = f"/api/sessions/{afternoon['id']}/interviews"
    i3 = api.call("POST", later, 201, json={"draw_no": 1, "application_id": apps["丙"]}).json()
    own = api.session()
    assert api.call(
        "POST",
        f"/api/sessions/{own['id']}/interviews",
        409,
        json={"draw_no": 1, "application_id": apps["丙"]},
    )

    score(server, api, morning, i1["id"], ["90", "91", "92", "93", "94"])
    score(server, api, morning, i2["id"], ["60", "61", "62", "63", "64"])
    score(server, api, afternoon, i3["id"], ["80", "81", "82", "83", "84"])

    # Calibration compares the rooms of the campaign batch, whatever labels the sittings carry.
    rooms = api.call("GET", f"/api/sessions/{sid}/judges", 200).json()["batch"]
    assert rooms is not None and rooms["name"] == b["name"]
    assert sorted(r["session_id"] for r in rooms["rooms"]) == sorted([sid, afternoon["id"]])
    ranking = api.call("GET", f"/api/batches/{b['id']}/ranking", 200).json()["positions"][0]
    assert ranking["shortlist_size"] == 2
    assert [
        (r["candidate_name"], r["total"], r["rank"], r["shortlisted"], r["session_id"])
        for r in ranking["ranking"]
    ] == [
        ("甲", "92.00", 1, True, sid),
        ("丙", "82.00", 2, True, afternoon["id"]),
        ("乙", "62.00", 3, False, sid),
    ]
    out = lambda aid, stage, result, code: api.call(  # noqa: E731
        "POST", f"/api/applications/{aid}/outcome", code, json={"stage": stage, "result": result}
    )
    assert out(apps["乙"], "inspection", "pass", 409).json()["code"] == "not_shortlisted"
    assert out(apps["甲"], "decision", "appointed", 409).json()["code"] == "inspection_first"
    out(apps["甲"], "inspection", "pass", 200)
    out(apps["丙"], "inspection", "pass", 200)
    assert out(apps["甲"], "decision", "appointed", 200).json()["decision"] == "appointed"
    assert out(apps["丙"], "decision", "appointed", 409).json()["code"] == "no_openings_left"
    notice = api.call(
        "POST", f"/api/batches/{b['id']}/publicity", 201, json={"published_on": "2025-09-26"}
    ).json()
    assert notice["ends_on"] == "2025-10-10"
    assert notice["appointees"] == [{"application_id": apps["甲"], "name": "甲", "post_code": "A1"}]
    board = api.http.get(f"/api/board/{camp.c['board_token']}").json()["batches"][0]
    assert [r["name"] for r in board["scores"][0]["ranking"]] == ["甲", "丙", "乙"]
    assert board["inspection"] == [
        {"post_code": "A1", "name": "甲"},
        {"post_code": "A1", "name": "丙"},
    ]
    assert board["publicity"]["appointees"] == [
        {"name": "甲", "post_code": "A1", "post_name": "岗位A1"}
    ]
    # a later batch offers only what is left
    assert camp.batch(["A1", "B1"], scope="public", expect=409)["code"] == "not_offered"
    second = camp.batch(["B1"], scope="public")
    assert [(p["code"], p["openings"]) for p in second["posts"]] == [("B1", 2)]
    assert camp.apply(second["id"], people[0]["id"], "B1", 409)["code"] == "already_appointed"
