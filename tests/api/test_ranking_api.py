"""The ranking endpoint and weighted components, against a real server process."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.exports import Panel
from tests.support import Api, ServerProcess


def build(server: ServerProcess, api: Api, posts: dict[str, dict[str, Any]], people: list[tuple]) -> dict[str, Any]:
    """A sitting of 5 judges; ``people`` are (post, draw, name, mark or "absent" or None).

    Every judge gives the same mark, so the interview score is that mark to 2 places.
    """
    session = api.session(judge_count=5, min_scores=5)
    sid = session["id"]
    for code, fields in posts.items():
        api.call("POST", f"/api/sessions/{sid}/positions", 201, json={"code": code, "name": f"岗位{code}", **fields})
    ids = {}
    for code, draw, name, _ in people:
        ids[name] = api.interview(sid, draw, name, code)["id"]
    panel = Panel(server, api, session)
    try:
        for _, _, name, mark in people:
            if mark == "absent":
                api.flow(ids[name], "absent")
            elif mark is not None:
                panel.score(ids[name], [mark] * 5)
    finally:
        panel.close()
    session["ids"] = ids
    return session


def ranking(api: Api, sid: int) -> dict[str, Any]:
    return api.call("GET", f"/api/sessions/{sid}/ranking", 200).json()


def rows(post: dict[str, Any]) -> list[tuple]:
    return [
        (r["candidate_name"], r["rank"], r["total"], r["eligible"], r["shortlisted"], r["tie_at_cutoff"])
        for r in post["ranking"]
    ]


def test_two_posts_ties_the_60_line_a_cutoff_tie_and_absent_candidates(server: ServerProcess, api: Api) -> None:
    s = build(
        server, api,
        {"A": {"openings": 1, "shortlist_ratio": "2"}, "B": {"openings": 2, "shortlist_ratio": "1.5"}},
        [
            ("A", 1, "甲一", "88"), ("A", 2, "甲二", "80"), ("A", 3, "甲三", "80"),
            ("A", 4, "甲四", "59.9"), ("A", 5, "甲五", "absent"), ("A", 6, "甲六", None),
            ("B", 1, "乙一", "60"), ("B", 2, "乙二", "75.5"), ("B", 3, "乙三", "75.5"),
            ("B", 4, "乙四", "59.5"),
        ],
    )
    body = ranking(api, s["id"])
    assert body["weights"] == {"interview": "1", "components": []}
    a, b = body["positions"]
    assert (a["code"], a["openings"], a["shortlist_size"]) == ("A", 1, 2)
    assert rows(a) == [
        ("甲一", 1, "88.00", True, True, False),
        ("甲二", 2, "80.00", True, True, True),  # tied at the cut-off of 2: both in, flagged
        ("甲三", 2, "80.00", True, True, True),
        ("甲四", 4, "59.90", False, False, False),  # under 60: never shortlisted
    ]
    assert all(r["interview"] == r["total"] for r in a["ranking"])
    assert [(u["candidate_name"], u["reason"], u["state"]) for u in a["unranked"]] == [
        ("甲五", "absent", "absent"), ("甲六", "not_scored", "waiting")
    ]
    # ceil(2 × 1.5) = 3; a tie inside the shortlist is no cut-off tie
    assert (b["code"], b["shortlist_size"]) == ("B", 3)
    assert rows(b) == [
        ("乙二", 1, "75.50", True, True, False),
        ("乙三", 1, "75.50", True, True, False),
        ("乙一", 3, "60.00", True, True, False),
        ("乙四", 4, "59.50", False, False, False),
    ]
    assert b["unranked"] == []
    first = a["ranking"][0]
    assert set(first) >= {"rank", "interview_id", "draw_no", "candidate_name", "total", "interview",
                          "eligible", "shortlisted", "tie_at_cutoff"}
    assert first["interview_id"] == s["ids"]["甲一"] and first["draw_no"] == 1


def test_an_interview_in_progress_is_listed_apart(server: ServerProcess, api: Api) -> None:
    s = build(server, api, {"A": {}}, [("A", 1, "丙一", "70"), ("A", 2, "丙二", None)])
    api.flow(s["ids"]["丙二"], "start")
    (post,) = ranking(api, s["id"])["positions"]
    assert rows(post) == [("丙一", 1, "70.00", True, True, False)]
    assert [(u["candidate_name"], u["reason"], u["state"]) for u in post["unranked"]] == [
        ("丙二", "not_scored", "interviewing")
    ]


def test_weighted_components_make_the_total(server: ServerProcess, api: Api) -> None:
    s = build(server, api, {"A": {"openings": 1, "shortlist_ratio": "3"}},
              [("A", 1, "丁一", "80"), ("A", 2, "丁二", "90"), ("A", 3, "丁三", "70")])
    sid, ids = s["id"], s["ids"]
    written = api.call("POST", f"/api/sessions/{sid}/components", 201, json={"name": "笔试", "weight": "0.4"}).json()
    assert (written["name"], written["weight"]) == ("笔试", "0.4")
    cid = written["id"]
    # a JSON number is taken exactly, as the judges' marks are
    got = api.call("PUT", f"/api/interviews/{ids['丁一']}/components/{cid}", 200, json={"score": 95.5}).json()
    assert got == {"interview_id": ids["丁一"], "component_id": cid, "score": "95.50", "old_score": None}
    api.call("PUT", f"/api/interviews/{ids['丁二']}/components/{cid}", 200, json={"score": "60"})
    body = ranking(api, sid)
    assert body["weights"] == {"interview": "0.6", "components": [{"id": cid, "name": "笔试", "weight": "0.4"}]}
    (post,) = body["positions"]
    # 0.6 × 80 + 0.4 × 95.5 = 86.2;  0.6 × 90 + 0.4 × 60 = 78
    assert [(r["candidate_name"], r["rank"], r["total"], r["interview"]) for r in post["ranking"]] == [
        ("丁一", 1, "86.20", "80.00"), ("丁二", 2, "78.00", "90.00")
    ]
    assert post["ranking"][0]["components"] == [{"id": cid, "name": "笔试", "weight": "0.4", "score": "95.50"}]
    assert [(u["candidate_name"], u["reason"], u["missing_components"]) for u in post["unranked"]] == [
        ("丁三", "missing_components", [cid])
    ]
    # a correction keeps the old score in the answer and in the audit log
    fixed = api.call("PUT", f"/api/interviews/{ids['丁二']}/components/{cid}", 200, json={"score": "61"}).json()
    assert fixed["old_score"] == "60.00"
    listing = api.call("GET", f"/api/sessions/{sid}/components", 200).json()
    assert listing["interview_weight"] == "0.6"
    assert {(x["interview_id"], x["score"]) for x in listing["scores"]} == {(ids["丁一"], "95.50"), (ids["丁二"], "61.00")}
    audit = [json.loads(line) for line in api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text.splitlines()]
    kinds = [(e["kind"], e["data"].get("score"), e["data"].get("old_score")) for e in audit if e["kind"].startswith("component.")]
    assert kinds == [("component.created", None, None), ("component.scored", "95.50", None),
                     ("component.scored", "60.00", None), ("component.scored", "61.00", "60.00")]
    # a second component must leave the interview some weight
    api.call("POST", f"/api/sessions/{sid}/components", 201, json={"name": "民主测评", "weight": "0.2"})
    too_much = api.call("POST", f"/api/sessions/{sid}/components", 422, json={"name": "考核", "weight": "0.4"})
    assert "权重" in too_much.json()["detail"]
    assert ranking(api, sid)["weights"]["interview"] == "0.4"


BAD_COMPONENTS = [
    {}, {"name": "笔试"}, {"weight": "0.3"}, {"name": "", "weight": "0.3"}, {"name": "笔试", "weight": "0"},
    {"name": "笔试", "weight": "1"}, {"name": "笔试", "weight": 1}, {"name": "笔试", "weight": "-0.2"},
    {"name": "笔试", "weight": "NaN"}, {"name": "笔试", "weight": "abc"}, {"name": "笔试", "weight": True},
    {"name": "笔试", "weight": "0.12345"}, {"name": "笔试", "weight": None}, {"name": "长" * 51, "weight": "0.3"},
    [1, 2], "not an object",
]


@pytest.mark.parametrize("body", BAD_COMPONENTS)
def test_bad_components_get_422_and_create_nothing(api: Api, body) -> None:
    sid = api.session()["id"]
    r = api.call("POST", f"/api/sessions/{sid}/components", json=body)
    assert r.status_code == 422, r.text
    assert api.call("GET", f"/api/sessions/{sid}/components", 200).json()["components"] == []


def test_bad_json_and_duplicate_names(api: Api) -> None:
    sid = api.session()["id"]
    r = api.call("POST", f"/api/sessions/{sid}/components", content=b"{not json",
                 headers={"content-type": "application/json"})
    assert r.status_code == 422
    api.call("POST", f"/api/sessions/{sid}/components", 201, json={"name": "笔试", "weight": "0.3"})
    api.call("POST", f"/api/sessions/{sid}/components", 409, json={"name": "笔试", "weight": "0.2"})


@pytest.mark.parametrize("score", ["101", "-1", "abc", "", "85,5", "88.123", "1e2", True, None, [80], "NaN"])
def test_bad_component_scores_get_422_and_change_nothing(api: Api, score) -> None:
    s = api.sitting(candidates=1)
    sid, iid = s["id"], s["interviews"][0]["id"]
    cid = api.call("POST", f"/api/sessions/{sid}/components", 201, json={"name": "笔试", "weight": "0.5"}).json()["id"]
    r = api.call("PUT", f"/api/interviews/{iid}/components/{cid}", json={"score": score})
    assert r.status_code == 422, r.text
    assert api.call("GET", f"/api/sessions/{sid}/components", 200).json()["scores"] == []


def test_unknown_sessions_interviews_and_components_are_404(api: Api) -> None:
    for path in ["/api/sessions/999999/ranking", "/api/sessions/999999/components",
                 "/api/sessions/999999/export.xlsx", "/api/sessions/999999/export.pdf"]:
        assert api.call("GET", path, 404).json()["detail"]
    api.call("POST", "/api/sessions/999999/components", 404, json={"name": "笔试", "weight": "0.3"})
    one, other = api.sitting(candidates=1), api.sitting(candidates=1)
    cid = api.call("POST", f"/api/sessions/{other['id']}/components", 201, json={"name": "笔试", "weight": "0.3"}).json()["id"]
    iid = one["interviews"][0]["id"]
    api.call("PUT", f"/api/interviews/{iid}/components/{cid}", 404, json={"score": "80"})  # another sitting's
    api.call("PUT", f"/api/interviews/{iid}/components/999999", 404, json={"score": "80"})
    api.call("PUT", f"/api/interviews/999999/components/{cid}", 404, json={"score": "80"})


def test_results_need_the_secretary(server: ServerProcess, api: Api) -> None:
    sid = api.session()["id"]
    for method, path in [("GET", f"/api/sessions/{sid}/ranking"), ("GET", f"/api/sessions/{sid}/export.pdf"),
                         ("GET", f"/api/sessions/{sid}/export.xlsx"), ("GET", f"/api/sessions/{sid}/components"),
                         ("POST", f"/api/sessions/{sid}/components"), ("PUT", "/api/interviews/1/components/1")]:
        r = httpx.request(method, f"{server.url}{path}", json={"name": "x", "weight": "0.1", "score": "1"})
        assert r.status_code == 401, (path, r.status_code)


def test_an_empty_sitting_ranks_to_nothing(api: Api) -> None:
    sid = api.session()["id"]
    assert ranking(api, sid) == {"session_id": sid, "result_decimals": 2,
                                 "weights": {"interview": "1", "components": []}, "positions": []}
    api.position(sid, "A1")
    (post,) = ranking(api, sid)["positions"]
    assert (post["shortlist_size"], post["ranking"], post["unranked"]) == (1, [], [])
