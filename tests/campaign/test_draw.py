"""The server's draw (``POST /api/sessions/{sid}/draw``): a batch's approved applications that
have no interview yet become the sitting's interviews, per post in an order drawn with
``secrets.SystemRandom``, and the campaign's chain records the draw (``batch.drawn``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.campaign.test_api import Campaign, api, holidays, server  # noqa: F401
from tests.support import Api

pytestmark = pytest.mark.slow


def approved(client: Api, camp: Campaign, bid: int, names: list[str], code: str) -> dict[str, int]:
    out = {}
    for name in names:
        p = camp.person(name)
        a = camp.apply(bid, p["id"], code)
        client.call(
            "POST", f"/api/applications/{a['id']}/review", 200, json={"decision": "approved"}
        )
        out[name] = a["id"]
    return out


def sitting(client: Api, bid: int, title: str = "上午") -> dict[str, Any]:
    body = {"title": title, "judge_count": 5, "batch_id": bid}
    return client.call("POST", "/api/sessions", 201, json=body).json()


def chain(client: Api, cid: int) -> list[dict[str, Any]]:
    text = client.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200).text
    return [json.loads(line) for line in text.splitlines()]


def verify(client: Api, cid: int, tmp_path: Path) -> None:
    path = tmp_path / f"campaign-{cid}.jsonl"
    path.write_text(client.call("GET", f"/api/campaigns/{cid}/audit.jsonl", 200).text, "utf-8")
    cli = [sys.executable, "-m", "server.cli", "verify", str(path)]
    done = subprocess.run(cli, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_draw_is_a_permutation_and_is_recorded(api: Api, tmp_path: Path) -> None:  # noqa: F811
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    a1 = approved(api, camp, b["id"], ["甲", "乙", "丙", "丁", "戊"], "A1")
    b1 = approved(api, camp, b["id"], ["己", "庚"], "B1")
    rejected = camp.apply(b["id"], camp.person("辛")["id"], "A1")
    api.call(
        "POST", f"/api/applications/{rejected['id']}/review", 200, json={"decision": "rejected"}
    )
    s = sitting(api, b["id"])

    drawn = api.call("POST", f"/api/sessions/{s['id']}/draw", 201).json()
    assert (drawn["batch_id"], drawn["session_id"]) == (b["id"], s["id"])
    by_post = {p["code"]: p["draw"] for p in drawn["posts"]}
    assert sorted(d["draw_no"] for d in by_post["A1"]) == [1, 2, 3, 4, 5]
    assert sorted(d["application_id"] for d in by_post["A1"]) == sorted(a1.values())
    assert sorted(d["draw_no"] for d in by_post["B1"]) == [1, 2]
    assert sorted(d["application_id"] for d in by_post["B1"]) == sorted(b1.values())

    # the sitting has exactly these interviews, with these numbers and names
    got = api.get_session(s["id"])
    interviews = {i["id"]: i for i in got["interviews"]}
    for code, entries in by_post.items():
        for d in entries:
            i = interviews[d["interview_id"]]
            assert (i["draw_no"], i["candidate_name"], i["position_code"]) == (
                d["draw_no"],
                d["name"],
                code,
            )
    assert len(interviews) == 7
    # each application knows its interview
    for entries in by_post.values():
        for d in entries:
            app = api.call("GET", f"/api/applications/{d['application_id']}", 200).json()
            assert (app["session_id"], app["interview_id"], app["draw_no"]) == (
                s["id"],
                d["interview_id"],
                d["draw_no"],
            )

    # the chain: batch.drawn (who drew what), then each link; kiosk verify passes
    events = chain(api, camp.id)
    kinds = [e["kind"] for e in events]
    at = kinds.index("batch.drawn")
    assert kinds[at + 1 :] == ["application.interviewed"] * 7
    record = events[at]["data"]
    assert record["session_id"] == s["id"] and record["batch_id"] == b["id"]
    assert [
        {
            "code": p["code"],
            "draw": [
                {k: d[k] for k in ("application_id", "draw_no", "interview_id")} for d in p["draw"]
            ],
        }
        for p in drawn["posts"]
    ] == record["posts"]
    assert all(e["at"] == events[at]["at"] for e in events[at:])  # one write
    verify(api, camp.id, tmp_path)

    # nothing new: 409, nothing recorded
    assert (
        api.call("POST", f"/api/sessions/{s['id']}/draw", 409).json()["code"] == "nothing_to_draw"
    )
    assert len(chain(api, camp.id)) == len(events)


def test_a_second_draw_only_draws_the_new_approvals(api: Api, tmp_path: Path) -> None:  # noqa: F811
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    first = approved(api, camp, b["id"], ["甲", "乙", "丙"], "A1")
    morning = sitting(api, b["id"])
    api.call("POST", f"/api/sessions/{morning['id']}/draw", 201)
    later = approved(api, camp, b["id"], ["丁", "戊"], "A1")
    approved(api, camp, b["id"], ["己"], "B1")

    # only the posts asked for; an unknown post is 409 and draws nothing
    assert (
        api.call(
            "POST", f"/api/sessions/{morning['id']}/draw", 409, json={"post_codes": ["A2"]}
        ).json()["code"]
        == "not_offered"
    )
    again = api.call(
        "POST", f"/api/sessions/{morning['id']}/draw", 201, json={"post_codes": ["A1"]}
    ).json()
    [post] = again["posts"]
    assert post["code"] == "A1"
    assert sorted(d["application_id"] for d in post["draw"]) == sorted(later.values())
    assert sorted(d["draw_no"] for d in post["draw"]) == [4, 5]  # after the first draw's 1..3

    # B1's new approval into another sitting of the batch: numbered from 1 there
    afternoon = sitting(api, b["id"], "下午")
    rest = api.call("POST", f"/api/sessions/{afternoon['id']}/draw", 201).json()
    assert [(p["code"], [d["draw_no"] for d in p["draw"]]) for p in rest["posts"]] == [("B1", [1])]

    # an application never gets two interviews: the interview route refuses a drawn one
    url = f"/api/sessions/{afternoon['id']}/interviews"
    assert api.call("POST", url, 409, json={"draw_no": 9, "application_id": first["甲"]})
    apps = api.call("GET", f"/api/batches/{b['id']}/applications", 200).json()["applications"]
    linked = [a["interview_id"] for a in apps if a["interview_id"] is not None]
    assert len(linked) == len(set(linked)) == 6
    sittings = [api.get_session(morning["id"]), api.get_session(afternoon["id"])]
    assert sum(len(x["interviews"]) for x in sittings) == 6
    assert [e["kind"] for e in chain(api, camp.id)].count("batch.drawn") == 3
    verify(api, camp.id, tmp_path)


def test_concurrent_draws_give_one_interview_per_application(api: Api) -> None:  # noqa: F811
    from concurrent.futures import ThreadPoolExecutor

    camp = Campaign(api)
    b = camp.batch(["A1"])
    approved(api, camp, b["id"], ["甲", "乙", "丙", "丁"], "A1")
    one, two = sitting(api, b["id"]), sitting(api, b["id"], "下午")

    def go(sid: int) -> int:
        return api.call("POST", f"/api/sessions/{sid}/draw").status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(go, [one["id"], two["id"]]))
    assert codes in ([201, 409], [201, 201])
    apps = api.call("GET", f"/api/batches/{b['id']}/applications", 200).json()["applications"]
    assert all(a["interview_id"] is not None for a in apps)
    total = sum(len(api.get_session(x["id"])["interviews"]) for x in (one, two))
    assert total == 4  # the refused draw's interviews are gone again


def test_draw_refusals(api: Api) -> None:  # noqa: F811
    own = api.session()
    assert api.call("POST", f"/api/sessions/{own['id']}/draw", 409)
    assert api.call("POST", "/api/sessions/999999/draw", 404)
    camp = Campaign(api)
    b = camp.batch(["A1"])
    s = sitting(api, b["id"])
    assert (
        api.call("POST", f"/api/sessions/{s['id']}/draw", 409).json()["code"] == "nothing_to_draw"
    )


def test_the_batch_ranks_by_the_sitting_rankings_total(api: Api, server: Any) -> None:  # noqa: F811
    """A sitting with a written test (weight 0.4): the batch ranking's total is the sitting
    ranking's weighted total, not the interview score; missing a component score, unranked."""
    from tests.campaign.test_sittings_api import score

    camp = Campaign(api)
    b = camp.batch(["A1"])
    apps = approved(api, camp, b["id"], ["甲", "乙"], "A1")
    s = sitting(api, b["id"])
    written = api.call(
        "POST", f"/api/sessions/{s['id']}/components", 201, json={"name": "笔试", "weight": "0.4"}
    ).json()
    drawn = api.call("POST", f"/api/sessions/{s['id']}/draw", 201).json()
    iid = {d["application_id"]: d["interview_id"] for d in drawn["posts"][0]["draw"]}
    links = api.call("GET", f"/api/sessions/{s['id']}/links", 200).json()
    s["judges"] = links["judges"]
    for aid, marks in ((apps["甲"], ["80"] * 5), (apps["乙"], ["90"] * 5)):
        score(server, api, s, iid[aid], marks)
    # 乙 has no written score yet: unranked in the sitting, so not in the batch ranking
    url = f"/api/interviews/{iid[apps['甲']]}/components/{written['id']}"
    api.call("PUT", url, 200, json={"score": "95"})  # 80 × 0.6 + 95 × 0.4 = 86
    ranking = api.call("GET", f"/api/batches/{b['id']}/ranking", 200).json()["positions"][0]
    assert [(r["candidate_name"], r["total"], r["interview"]) for r in ranking["ranking"]] == [
        ("甲", "86.00", "80.00")
    ]
    url = f"/api/interviews/{iid[apps['乙']]}/components/{written['id']}"
    api.call("PUT", url, 200, json={"score": "70"})  # 90 × 0.6 + 70 × 0.4 = 82
    ranking = api.call("GET", f"/api/batches/{b['id']}/ranking", 200).json()["positions"][0]
    sitting_ranking = api.call("GET", f"/api/sessions/{s['id']}/ranking", 200).json()
    expected = [
        (r["interview_id"], r["total"], r["interview"])
        for r in sitting_ranking["positions"][0]["ranking"]
    ]
    assert [(r["interview_id"], r["total"], r["interview"]) for r in ranking["ranking"]] == expected
    assert [(r["candidate_name"], r["total"]) for r in ranking["ranking"]] == [
        ("甲", "86.00"),
        ("乙", "82.00"),
    ]
    # a corrected written score reaches the batch ranking (and the chain, at the next outcome)
    api.call("PUT", url, 200, json={"score": "100"})  # 90 × 0.6 + 100 × 0.4 = 94
    ranking = api.call("GET", f"/api/batches/{b['id']}/ranking", 200).json()["positions"][0]
    assert [(r["candidate_name"], r["total"]) for r in ranking["ranking"]] == [
        ("乙", "94.00"),
        ("甲", "86.00"),
    ]
