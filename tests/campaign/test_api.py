"""The campaign's API (DESIGN section 5) against a real ``kiosk serve`` process.

"Today" is fixed with ``KIOSK_TODAY`` (a setting used only by tests; production takes the date in
Beijing), so the windows' inclusive bounds are tested on exact days; one test restarts the server
on a later day to see the change window close.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.campaign import rules
from tests.support import Api, ServerProcess

pytestmark = pytest.mark.slow

TODAY = "2025-04-05"


def make_id(birth: str, man: bool, n: int) -> str:
    body = "320581" + birth.replace("-", "") + f"{n % 100:02d}" + ("1" if man else "2")
    return body + rules.check_digit(body)


@pytest.fixture(scope="module")
def holidays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("holidays") / "holidays.json"
    path.write_text('{"years": {}}', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, holidays: Path) -> Iterator[ServerProcess]:
    env = {"KIOSK_TODAY": TODAY, "KIOSK_HOLIDAYS_FILE": str(holidays)}
    process = ServerProcess(tmp_path_factory.mktemp("kiosk"), env=env)
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(server: ServerProcess) -> Iterator[Api]:
    client = Api(server.url)
    yield client
    client.http.close()


class Campaign:
    """A small campaign: posts A1 (level 3, 1 opening), A2 (level 2), B1 (level 1, 2 openings)."""

    def __init__(self, api: Api) -> None:
        self.api = api
        body = {"title": "南芬开发区竞聘上岗", "announced_on": "2025-03-31", "term_years": 2}
        self.c = api.call("POST", "/api/campaigns", 201, json=body).json()
        self.id = self.c["id"]
        for code, level, openings in (("A1", 3, 1), ("A2", 2, 1), ("B1", 1, 2)):
            self.post(code, level, openings)
        self.n = 0

    def post(self, code: str, level: int, openings: int, expect: int = 201) -> dict[str, Any]:
        body = {
            "code": code,
            "name": f"岗位{code}",
            "unit": "党政办公室",
            "level": level,
            "openings": openings,
        }
        return self.api.call("POST", f"/api/campaigns/{self.id}/posts", expect, json=body).json()

    def batch(
        self,
        posts: list[str],
        window: tuple[str, str, str] = ("2025-04-01", TODAY, "2025-04-10"),
        scope: str = "internal",
        expect: int = 201,
    ) -> dict[str, Any]:
        body = {
            "name": "第一批次",
            "scope": scope,
            "apply_from": window[0],
            "apply_until": window[1],
            "change_until": window[2],
            "posts": posts,
        }
        return self.api.call("POST", f"/api/campaigns/{self.id}/batches", expect, json=body).json()

    def person(
        self,
        name: str = "张三",
        birth: str = "1980-05-06",
        man: bool = True,
        expect: int = 201,
        **fields: Any,
    ) -> dict[str, Any]:
        self.n += 1
        body = {
            "name": name,
            "id_number": make_id(birth, man, self.n),
            "sex": "M" if man else "F",
            "birth_date": birth,
            "education": "bachelor",
            "employment": "civil_servant",
            "current_level": 2,
            **fields,
        }
        return self.api.call(
            "POST", f"/api/campaigns/{self.id}/applicants", expect, json=body
        ).json()

    def apply(self, bid: int, pid: int, code: str, expect: int = 201) -> dict[str, Any]:
        body = {"applicant_id": pid, "post_code": code}
        return self.api.call("POST", f"/api/batches/{bid}/applications", expect, json=body).json()


def test_campaign_posts_and_validation(api: Api) -> None:
    camp = Campaign(api)
    got = api.call("GET", f"/api/campaigns/{camp.id}", 200).json()
    assert [p["code"] for p in got["posts"]] == ["A1", "A2", "B1"]
    assert got["posts"][0] | {"id": 0} == {
        "id": 0,
        "code": "A1",
        "name": "岗位A1",
        "unit": "党政办公室",
        "level": 3,
        "openings": 1,
        "openings_left": 1,
        "shortlist_ratio": "2",
    }
    assert got["pass_line"] == "60" and got["term_years"] == 2
    assert len(got["board_token"]) >= 22 and got["board_url"].endswith(got["board_token"])
    assert camp.post("A1", 1, 1, expect=409)["code"] == "duplicate"
    listed = api.call("GET", "/api/campaigns", 200).json()["campaigns"]
    assert any(c["id"] == camp.id and c["posts"] == 3 for c in listed)
    for body in (
        {"title": "x", "announced_on": "2025-02-30"},
        {"title": "x", "announced_on": 20250301},
        {"title": " ", "announced_on": "2025-03-01"},
        {"title": "x", "announced_on": "2025-03-01", "term_years": 0},
        {"title": "x", "announced_on": "2025-03-01", "term_years": 11},
        {"title": "x", "announced_on": "2025-03-01", "pass_line": "NaN"},
        {"title": "x", "announced_on": "2025-03-01", "pass_line": 60.5},
        [],
        "x",
        None,
    ):
        assert api.call("POST", "/api/campaigns", json=body).status_code == 422, body
    for body in (
        {"code": "Z", "name": "z", "level": 10},
        {"code": "Z", "name": "z", "level": 0},
        {"code": "Z", "name": "z", "level": 1, "openings": 0},
        {"code": "Z", "name": "z", "level": 1, "shortlist_ratio": "0"},
        {"code": "Z", "name": "z", "level": True},
    ):
        assert api.call("POST", f"/api/campaigns/{camp.id}/posts", json=body).status_code == 422, (
            body
        )
    assert api.call("GET", "/api/campaigns/999999").status_code == 404
    assert api.call("GET", "/api/campaigns/99999999999").status_code == 422
    assert httpx.get(f"{str(api.http.base_url).rstrip('/')}/api/campaigns").status_code == 401


def test_batches(api: Api) -> None:
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    assert b["posts"] == [
        {"code": "A1", "name": "岗位A1", "openings": 1},
        {"code": "B1", "name": "岗位B1", "openings": 2},
    ]
    assert b["publicity"] is None and b["campaign_id"] == camp.id
    assert camp.batch(["A1"], window=("2025-04-02", "2025-04-01", "2025-04-03"), expect=422)
    assert camp.batch(["A1"], window=("2025-04-01", "2025-04-03", "2025-04-02"), expect=422)
    assert camp.batch(["Q1"], expect=422)
    assert camp.batch([], expect=422)
    assert camp.batch(["A1"], scope="secret", expect=422)
    assert api.call("GET", f"/api/batches/{b['id']}", 200).json() == b
    assert api.call("GET", "/api/batches/999999").status_code == 404


def test_applicants(api: Api) -> None:
    camp = Campaign(api)
    p = camp.person("李四", birth="1967-12-31")
    assert p["retirement_base"] == 60 and p["retirement_date"] == "2028-09-30"
    assert p["id_number"] == make_id("1967-12-31", True, camp.n)
    assert p["id_masked"] == p["id_number"][:4] + "*" * 10 + p["id_number"][-4:]
    f = camp.person("王芳", birth="1972-03-10", man=False)
    assert (f["retirement_base"], f["retirement_date"]) == (55, "2027-10-10")
    g = camp.person("赵敏", birth="1978-10-01", man=False, retirement_base=50)
    assert g["retirement_date"] == "2030-09-01"
    # the same person again (lower-case x would be taken as X): 409
    body = {
        "name": "重复",
        "id_number": p["id_number"].lower(),
        "sex": "M",
        "birth_date": "1967-12-31",
        "education": "college",
        "employment": "worker",
    }
    dup = api.call("POST", f"/api/campaigns/{camp.id}/applicants", 409, json=body).json()
    assert p["id_number"] not in dup["detail"]
    wrong = dict(body, id_number=p["id_number"][:-1] + ("1" if p["id_number"][-1] == "0" else "0"))
    assert (
        api.call("POST", f"/api/campaigns/{camp.id}/applicants", 422, json=wrong).json()["code"]
        == "invalid_id_number"
    )
    assert (
        api.call(
            "POST", f"/api/campaigns/{camp.id}/applicants", 422, json=dict(body, sex="F")
        ).json()["code"]
        == "invalid_id_number"
    )
    for bad in (
        {"sex": "X"},
        {"education": "phd"},
        {"current_level": 10},
        {"retirement_base": 65},
        {"under_investigation": "yes"},
        {"discipline_until": "soon"},
        {"birth_date": None},
    ):
        assert (
            api.call(
                "POST", f"/api/campaigns/{camp.id}/applicants", json=dict(body, **bad)
            ).status_code
            == 422
        )
    # an ID whose check character is X, sent with a lower-case x
    x_id = next(i for n in range(1000) if (i := make_id("1985-01-02", False, n)).endswith("X"))
    body_x = dict(body, name="钱X", id_number=x_id.lower(), sex="F", birth_date="1985-01-02")
    took = api.call("POST", f"/api/campaigns/{camp.id}/applicants", 201, json=body_x).json()
    assert took["id_number"] == x_id and took["id_masked"].endswith("X")
    listed = api.call("GET", f"/api/campaigns/{camp.id}/applicants", 200).json()["applicants"]
    assert [a["name"] for a in listed] == ["李四", "王芳", "赵敏", "钱X"]
    assert all("id_number" not in a for a in listed)
    full = api.call("GET", f"/api/applicants/{p['id']}", 200).json()
    assert full["id_number"] == p["id_number"] and full["applications"] == []


def test_applications_checks_limits_and_counts(api: Api) -> None:
    camp = Campaign(api)
    b = camp.batch(["A1", "A2", "B1"])
    future = camp.batch(["A1"], window=("2025-04-06", "2025-04-08", "2025-04-09"))
    past = camp.batch(["A1"], window=("2025-04-01", "2025-04-04", "2025-04-09"))
    p = camp.person("张三", appraisal="basically_competent", current_level=2)
    a = camp.apply(b["id"], p["id"], "A1")
    assert a["status"] == "submitted" and a["post_code"] == "A1" and a["applicant_id"] == p["id"]
    assert a["checks"] == {"education": True, "retirement": True, "standing": False, "scope": True}
    assert a["eligible"] is False and a["failed"] == ["standing"]
    assert camp.apply(b["id"], p["id"], "A1", 409)["code"] == "duplicate"
    second = camp.apply(b["id"], p["id"], "A2")
    assert second["eligible"] is True
    assert camp.apply(b["id"], p["id"], "B1", 409)["code"] == "too_many_applications"
    assert camp.apply(future["id"], p["id"], "A1", 409)["code"] == "window_closed"
    assert camp.apply(past["id"], p["id"], "A1", 409)["code"] == "window_closed"
    q = camp.person("外聘", employment="external", education="secondary")
    assert camp.apply(b["id"], q["id"], "Q9", 409)["code"] == "not_offered"
    x = camp.apply(b["id"], q["id"], "B1")
    assert x["checks"]["scope"] is False and x["checks"]["education"] is False
    assert camp.apply(b["id"], 999999, "A1", 422)
    counts = api.call("GET", f"/api/batches/{b['id']}/counts", 200).json()
    assert counts == {
        "posts": [
            {"code": "A1", "name": "岗位A1", "openings": 1, "applicants": 1},
            {"code": "A2", "name": "岗位A2", "openings": 1, "applicants": 1},
            {"code": "B1", "name": "岗位B1", "openings": 2, "applicants": 1},
        ]
    }
    # change of post: same id, checks again, review back to submitted
    api.call("POST", f"/api/applications/{second['id']}/review", 200, json={"decision": "approved"})
    moved = api.call(
        "PUT", f"/api/applications/{second['id']}", 200, json={"post_code": "B1"}
    ).json()
    assert (moved["id"], moved["post_code"], moved["status"], moved["eligible"]) == (
        second["id"],
        "B1",
        "submitted",
        True,
    )
    assert (
        api.call("PUT", f"/api/applications/{second['id']}", 409, json={"post_code": "Q9"}).json()[
            "code"
        ]
        == "not_offered"
    )
    gone = api.call("DELETE", f"/api/applications/{a['id']}", 200).json()
    assert gone["status"] == "withdrawn"
    assert api.call("DELETE", f"/api/applications/{a['id']}", 409).status_code == 409
    counts = api.call("GET", f"/api/batches/{b['id']}/counts", 200).json()["posts"]
    assert [c["applicants"] for c in counts] == [0, 0, 2]
    listed = api.call("GET", f"/api/batches/{b['id']}/applications", 200).json()["applications"]
    assert [(x["name"], x["status"]) for x in listed] == [
        ("张三", "withdrawn"),
        ("张三", "submitted"),
        ("外聘", "submitted"),
    ]
    assert all("id_number" not in x and x["id_masked"].count("*") == 10 for x in listed)
    assert api.call("PUT", "/api/applications/999999", 404, json={"post_code": "A1"})


def test_review_and_outcome(api: Api) -> None:
    camp = Campaign(api)
    b = camp.batch(["A1"])
    p = camp.person("钱七", education="secondary")
    a = camp.apply(b["id"], p["id"], "A1")
    url = f"/api/applications/{a['id']}/review"
    assert (
        api.call("POST", url, 422, json={"decision": "approved"}).json()["code"]
        == "reason_required"
    )
    assert api.call("POST", url, 422, json={"decision": "maybe"}).status_code == 422
    ok = api.call(
        "POST", url, 200, json={"decision": "approved", "reason": "学历证明已补交"}
    ).json()
    assert ok["status"] == "approved" and ok["reason"] == "学历证明已补交"
    assert (
        api.call("POST", url, 200, json={"decision": "rejected", "reason": "复审不符"}).json()[
            "status"
        ]
        == "rejected"
    )
    api.call("POST", url, 200, json={"decision": "approved", "reason": "复审通过"})
    out = f"/api/applications/{a['id']}/outcome"
    assert (
        api.call("POST", out, 409, json={"stage": "inspection", "result": "pass"}).json()["code"]
        == "not_shortlisted"
    )
    assert (
        api.call("POST", out, 422, json={"stage": "ranking", "result": "pass"}).status_code == 422
    )
    ranking = api.call("GET", f"/api/batches/{b['id']}/ranking", 200).json()
    assert ranking == {
        "positions": [
            {"code": "A1", "name": "岗位A1", "openings": 1, "shortlist_size": 2, "ranking": []}
        ]
    }
    kinds = [
        json.loads(line)["kind"]
        for line in api.call("GET", f"/api/campaigns/{camp.id}/audit.jsonl", 200).text.splitlines()
    ]
    assert kinds.count("application.reviewed") == 3


def test_publicity(api: Api, holidays: Path) -> None:
    camp = Campaign(api)
    b1, b2, b3 = (camp.batch(["A1"]) for _ in range(3))
    url = f"/api/batches/{b1['id']}/publicity"
    assert api.call("GET", url, 404)
    got = api.call("POST", url, 201, json={"published_on": "2025-09-26"}).json()
    assert got == {
        "batch_id": b1["id"],
        "published_on": "2025-09-26",
        "ends_on": "2025-10-10",
        "appointees": [],
    }
    assert (
        api.call("POST", url, 409, json={"published_on": "2025-09-26"}).json()["code"]
        == "duplicate"
    )
    assert api.call("GET", url, 200).json() == got
    assert api.call("GET", f"/api/batches/{b1['id']}", 200).json()["publicity"] == got
    # a year with no published schedule: 422, never a guess …
    url2 = f"/api/batches/{b2['id']}/publicity"
    missing = api.call("POST", url2, 422, json={"published_on": "2026-12-28"}).json()
    assert missing["code"] == "schedule_missing" and "2027" in missing["detail"]
    # … unless the end date is given,
    given = api.call(
        "POST", url2, 201, json={"published_on": "2026-12-28", "ends_on": "2027-01-05"}
    ).json()
    assert given["ends_on"] == "2027-01-05"
    # … or the office adds the year's notice to its file (no upgrade, no restart).
    holidays.write_text(
        json.dumps({"years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}}),
        encoding="utf-8",
    )
    got3 = api.call(
        "POST", f"/api/batches/{b3['id']}/publicity", 201, json={"published_on": "2026-12-28"}
    ).json()
    assert got3["ends_on"] == "2027-01-05"
    bad = api.call(
        "POST", f"/api/batches/{b3['id']}/publicity", json={"published_on": "2026-13-01"}
    )
    assert bad.status_code == 422


def test_audit_chain_verifies(api: Api, tmp_path: Path) -> None:
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    p = camp.person()
    a = camp.apply(b["id"], p["id"], "A1")
    api.call("PUT", f"/api/applications/{a['id']}", 200, json={"post_code": "B1"})
    api.call("POST", f"/api/applications/{a['id']}/review", 200, json={"decision": "approved"})
    api.call("POST", f"/api/batches/{b['id']}/publicity", 201, json={"published_on": "2025-10-09"})
    response = api.call("GET", f"/api/campaigns/{camp.id}/audit.jsonl", 200)
    lines = response.text.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["kind"] for e in events] == [
        "campaign.created",
        "post.created",
        "post.created",
        "post.created",
        "batch.created",
        "applicant.created",
        "application.created",
        "application.changed",
        "application.reviewed",
        "publicity.created",
    ]
    assert events[-1]["data"]["ends_on"] == "2025-10-15"  # across the make-up Saturday 10-11
    assert all(list(e) == ["seq", "at", "actor", "kind", "data", "prev", "hash"] for e in events)
    path = tmp_path / "campaign.jsonl"
    path.write_text(response.text, encoding="utf-8")
    cli = [sys.executable, "-m", "server.cli", "verify", str(path)]
    assert subprocess.run(cli, capture_output=True, check=False).returncode == 0
    head = events[-1]["hash"]
    assert subprocess.run([*cli, "--head", head], capture_output=True, check=False).returncode == 0
    tampered = response.text.replace('"B1"', '"A1"', 1)
    path.write_text(tampered, encoding="utf-8")
    assert subprocess.run(cli, capture_output=True, check=False).returncode == 1


def test_notice_board(api: Api) -> None:
    camp = Campaign(api)
    b = camp.batch(["A1", "B1"])
    p = camp.person("孙八")
    q = camp.person("周九")
    a = camp.apply(b["id"], p["id"], "A1")
    camp.apply(b["id"], q["id"], "A1")
    api.call("POST", f"/api/applications/{a['id']}/review", 200, json={"decision": "approved"})
    url = f"{str(api.http.base_url).rstrip('/')}/api/board/{camp.c['board_token']}"
    response = httpx.get(url)  # no login: the token is the key
    assert response.status_code == 200
    board = response.json()
    assert board["title"] == "南芬开发区竞聘上岗" and board["today"] == TODAY
    assert [x["code"] for x in board["posts"]] == ["A1", "A2", "B1"]
    [batch] = board["batches"]
    assert batch["window_open"] is True
    assert batch["counts"] == [
        {"code": "A1", "name": "岗位A1", "openings": 1, "applicants": 2},
        {"code": "B1", "name": "岗位B1", "openings": 2, "applicants": 0},
    ]
    assert batch["qualified"] == [{"name": "孙八", "id_masked": p["id_masked"], "post_code": "A1"}]
    assert batch["scores"] == [] and batch["inspection"] == [] and batch["publicity"] is None
    assert p["id_number"] not in response.text and q["id_number"] not in response.text
    assert "周九" not in response.text  # not (yet) qualified
    assert (
        httpx.get(f"{str(api.http.base_url).rstrip('/')}/api/board/{'x' * 32}").status_code == 404
    )
    assert httpx.get(f"{str(api.http.base_url).rstrip('/')}/api/board/short").status_code == 404


def test_change_window_closes(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "kiosk", env={"KIOSK_TODAY": "2025-04-10"})
    server.start()
    try:
        api = Api(server.url)
        camp = Campaign(api)
        b = camp.batch(["A1", "A2"], window=("2025-04-01", "2025-04-10", "2025-04-10"))
        p = camp.person()
        a = camp.apply(b["id"], p["id"], "A1")  # the last day of both windows
        api.call("PUT", f"/api/applications/{a['id']}", 200, json={"post_code": "A2"})
        api.http.close()
        server.stop()
        server.env["KIOSK_TODAY"] = "2025-04-11"
        server.start()
        api = Api(server.url)
        assert (
            api.call("PUT", f"/api/applications/{a['id']}", 409, json={"post_code": "A1"}).json()[
                "code"
            ]
            == "window_closed"
        )
        assert (
            api.call("DELETE", f"/api/applications/{a['id']}", 409).json()["code"]
            == "window_closed"
        )
        camp.api = api  # the campaign's state survives a restart: it is the chain's fold
        assert camp.apply(b["id"], p["id"], "A1", 409)["code"] == "window_closed"
        board = httpx.get(f"{server.url}/api/board/{camp.c['board_token']}").json()
        assert board["batches"][0]["window_open"] is False and board["batches"][0]["counts"] is None
        api.http.close()
    finally:
        server.stop()


def test_two_live_applications_hold_under_concurrent_requests(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    camp = Campaign(api)
    b = camp.batch(["A1", "A2", "B1"])
    p = camp.person()
    token = api.http.headers["Authorization"]

    def one(code: str) -> int:
        with httpx.Client(base_url=str(api.http.base_url), headers={"Authorization": token}) as c:
            body = {"applicant_id": p["id"], "post_code": code}
            return c.post(f"/api/batches/{b['id']}/applications", json=body).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(one, ["A1", "A2", "B1"] * 2))
    assert sorted(statuses) == [201, 201, 409, 409, 409, 409]
    live = api.call("GET", f"/api/batches/{b['id']}/applications", 200).json()["applications"]
    assert len(live) == 2 and len({x["post_code"] for x in live}) == 2


def test_campaign_audit_is_append_only(api: Api) -> None:
    import sqlalchemy

    camp = Campaign(api)
    assert api.database_url
    engine = sqlalchemy.create_engine(api.database_url)
    try:
        for statement in (
            "UPDATE campaign_audit SET data = '{}' WHERE campaign_id = :cid",
            "DELETE FROM campaign_audit WHERE campaign_id = :cid",
        ):
            with pytest.raises(sqlalchemy.exc.DBAPIError), engine.begin() as db:
                db.execute(sqlalchemy.text(statement), {"cid": camp.id})
    finally:
        engine.dispose()
    lines = api.call("GET", f"/api/campaigns/{camp.id}/audit.jsonl", 200).text.splitlines()
    assert len(lines) == 4
