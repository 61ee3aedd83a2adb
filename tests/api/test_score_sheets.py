"""Score sheets by element (DESIGN.md section 6) against a running server: criteria on the
sitting, parts over the judge's socket, both trim rules, what GET, the display and the exports
show before and after scoring, the judges' calibration, and the office's recomputation."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import Api, ServerProcess, Socket

SIX = [
    {"code": "analysis", "name": "综合分析能力", "max": "20"},
    {"code": "expression", "name": "言语表达能力", "max": 20},
    {"code": "adaptability", "name": "应变能力", "max": "15"},
    {"code": "planning", "name": "计划组织协调能力", "max": "20"},
    {"code": "interpersonal", "name": "人际沟通", "max": 15},
    {"code": "manner", "name": "举止仪表", "max": "10"},
]
AB = [{"code": "a", "name": "要素甲", "max": "50"}, {"code": "b", "name": "要素乙", "max": "50"}]
# Five judges whose sums and elements disagree: 63.33 by totals, 70.00 per element.
SPLIT = [("50", "10"), ("10", "45"), ("40", "40"), ("35", "30"), ("30", "35")]


def sheet_sitting(
    api: Api,
    criteria: list[dict[str, Any]],
    trim: str | None = None,
    judges: int = 5,
    candidates: int = 1,
    **fields: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"criteria": criteria, **fields}
    if trim is not None:
        body["trim"] = trim
    return api.sitting(judges=judges, candidates=candidates, **body)


class Phones:
    """Every seat's socket, for a whole sitting."""

    def __init__(self, server: ServerProcess, sitting: dict[str, Any]) -> None:
        self.sockets = [Socket(f"{server.ws_url}/ws/judge/{j['token']}") for j in sitting["judges"]]
        self.first = [sock.recv() for sock in self.sockets]
        self.last = list(self.first)  # each seat's latest state frame

    def submit(self, seat: int, frame: dict[str, Any]) -> dict[str, Any]:
        sock = self.sockets[seat - 1]
        sock.send({"type": "submit", **frame})
        while True:
            answer = sock.recv()
            if answer["type"] == "state":
                self.last[seat - 1] = answer
            if answer["type"] in ("ack", "error") and answer.get("request_id") == frame.get(
                "request_id"
            ):
                return answer

    def settle(self, seat: int) -> dict[str, Any]:
        """Read the seat's frames up to a pong (so every state sent before is in); its latest state."""
        sock = self.sockets[seat - 1]
        sock.send({"type": "ping"})
        while (frame := sock.recv())["type"] != "pong":
            if frame["type"] == "state":
                self.last[seat - 1] = frame
        return self.last[seat - 1]

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def phones(server: ServerProcess) -> Any:
    opened: list[Phones] = []

    def open_(sitting: dict[str, Any]) -> Phones:
        opened.append(Phones(server, sitting))
        return opened[-1]

    yield open_
    for p in opened:
        p.close()


def interview(api: Api, sid: int, iid: int) -> dict[str, Any]:
    return next(i for i in api.get_session(sid)["interviews"] if i["id"] == iid)


def events(api: Api, sid: int, kind: str) -> list[dict[str, Any]]:
    return [e for e in map(json.loads, api.audit_lines(sid)) if e["kind"] == kind]


# --- the sitting ------------------------------------------------------------------------------


def test_criteria_and_trim_are_kept_and_recorded(api: Api) -> None:
    sitting = sheet_sitting(api, SIX, "per_criterion")
    sid = sitting["id"]
    got = api.get_session(sid)
    assert got["trim"] == "per_criterion"
    assert [(c["code"], c["name"], c["max"]) for c in got["criteria"]] == [
        ("analysis", "综合分析能力", "20.0"),
        ("expression", "言语表达能力", "20.0"),
        ("adaptability", "应变能力", "15.0"),
        ("planning", "计划组织协调能力", "20.0"),
        ("interpersonal", "人际沟通", "15.0"),
        ("manner", "举止仪表", "10.0"),
    ]
    created = events(api, sid, "session.created")[0]["data"]
    assert created["trim"] == "per_criterion" and created["criteria"] == got["criteria"]
    plain = api.session(title="一个总分")
    again = api.get_session(plain["id"])
    assert again["criteria"] is None and again["trim"] == "total"


@pytest.mark.parametrize(
    "body",
    [
        {"criteria": [{"code": "a", "name": "甲", "max": "100"}]},
        {"criteria": AB[:1] + [{"code": "a", "name": "乙", "max": "50"}]},
        {
            "criteria": [
                {"code": "a", "name": "甲", "max": "50"},
                {"code": "b", "name": "乙", "max": "49.9"},
            ]
        },
        {
            "criteria": [
                {"code": "a", "name": "甲", "max": "50.05"},
                {"code": "b", "name": "乙", "max": "49.95"},
            ]
        },
        {
            "criteria": [
                {"code": "a", "name": "", "max": "50"},
                {"code": "b", "name": "乙", "max": "50"},
            ]
        },
        {
            "criteria": [
                {"code": "a b", "name": "甲", "max": "50"},
                {"code": "b", "name": "乙", "max": "50"},
            ]
        },
        {
            "criteria": [
                {"code": "a", "name": "甲" * 51, "max": "50"},
                {"code": "b", "name": "乙", "max": "50"},
            ]
        },
        {
            "criteria": [
                {"code": "a", "name": "甲", "max": 50.0},
                {"code": "b", "name": "乙", "max": "50"},
            ]
        },
        {"criteria": [{"code": f"c{n}", "name": "甲", "max": "7.5"} for n in range(13)]},
        {"criteria": "综合分析能力"},
        {"criteria": AB, "trim": "median"},
        {"trim": "per_criterion"},
    ],
)
def test_bad_criteria_are_422_and_nothing_is_created(api: Api, body: dict[str, Any]) -> None:
    before = len(api.call("GET", "/api/sessions", 200).json())
    response = api.call(
        "POST", "/api/sessions", 422, json={"title": "坏的评分表", "judge_count": 5, **body}
    )
    assert isinstance(response.json()["detail"], str | list)
    assert len(api.call("GET", "/api/sessions", 200).json()) == before


def test_templates_are_offered(api: Api) -> None:
    zh = api.call("GET", "/api/sheet-templates", 200).json()["templates"]
    assert [c["name"] for c in zh[0]["criteria"]][:2] == ["综合分析能力", "言语表达能力"]
    en = api.call("GET", "/api/sheet-templates?lang=en", 200).json()["templates"]
    assert en[0]["criteria"][0]["name"] == "Analysis"
    for template in zh:  # every one can be posted as it is
        api.call(
            "POST",
            "/api/sessions",
            201,
            json={"title": template["title"], "criteria": template["criteria"]},
        )


# --- the judge's socket -----------------------------------------------------------------------


def test_parts_are_acknowledged_with_their_sum_and_recorded(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = sheet_sitting(api, SIX)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    p = phones(sitting)
    assert p.first[0]["criteria"] == api.get_session(sid)["criteria"]
    api.flow(iid, "start")
    parts = {
        "analysis": "16.5",
        "expression": 17,
        "adaptability": "12",
        "planning": "18",
        "interpersonal": "13",
        "manner": "8.5",
    }
    ack = p.submit(1, {"request_id": "s1", "interview_id": iid, "parts": parts})
    assert ack["type"] == "ack", ack
    assert ack["score"] == "85.0"
    assert ack["parts"] == {
        "analysis": "16.5",
        "expression": "17.0",
        "adaptability": "12.0",
        "planning": "18.0",
        "interpersonal": "13.0",
        "manner": "8.5",
    }
    # With the total given, it must be the sum: then the same ack.
    ack2 = p.submit(2, {"request_id": "s2", "interview_id": iid, "parts": parts, "score": "85"})
    assert ack2["type"] == "ack" and ack2["score"] == "85.0"
    # A repeat of the same request id: the original ack, nothing new recorded.
    again = p.submit(1, {"request_id": "s1", "interview_id": iid, "parts": parts})
    assert again == ack
    submitted = events(api, sid, "mark.submitted")
    assert len(submitted) == 2
    assert submitted[0]["data"]["score"] == "85.0" and submitted[0]["data"]["parts"] == ack["parts"]
    # The judge sees their own parts, and only theirs.
    state = p.settle(1)
    assert state["my_score"] == "85.0" and state.get("my_parts") == ack["parts"]
    assert p.settle(3)["my_parts"] is None  # never another seat's
    # Nobody sees a part while the interview is being scored: not even the secretary.
    for mark in interview(api, sid, iid)["marks"]:
        assert mark["score"] is None and mark.get("parts") is None


BAD_PARTS = [
    ({"analysis": "16"}, None, "missing"),
    ({**{c["code"]: "10" for c in SIX}, "extra": "1"}, None, "unknown"),
    ({**{c["code"]: "10" for c in SIX}, "manner": "10.5"}, None, "over max"),
    ({**{c["code"]: "10" for c in SIX}, "analysis": "20.1"}, None, "over max"),
    ({**{c["code"]: "10" for c in SIX}, "analysis": "10.55"}, None, "places"),
    ({**{c["code"]: "10" for c in SIX}, "analysis": "NaN"}, None, "nan"),
    ({**{c["code"]: "10" for c in SIX}, "analysis": -1}, None, "negative"),
    ({**{c["code"]: "10" for c in SIX}, "analysis": True}, None, "boolean"),
    ({c["code"]: "10" for c in SIX}, "61", "wrong sum"),
    ({c["code"]: "10" for c in SIX}, "abc", "bad score"),
    ("60", None, "not an object"),
    ([10, 10, 10, 10, 10, 10], None, "a list"),
    (None, "60", "score only"),
]


def test_bad_parts_are_invalid_parts_and_the_socket_stays_open(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    sitting = sheet_sitting(api, SIX)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    p = phones(sitting)
    api.flow(iid, "start")
    for n, (parts, score, why) in enumerate(BAD_PARTS):
        frame: dict[str, Any] = {"request_id": f"bad{n}", "interview_id": iid}
        if parts is not None:
            frame["parts"] = parts
        if score is not None:
            frame["score"] = score
        answer = p.submit(1, frame)
        assert answer["type"] == "error" and answer["code"] == "invalid_parts", (why, answer)
        assert answer["message"]
    # A number with a fraction inside parts is read as its text, never a float.
    raw = json.dumps(
        {
            "type": "submit",
            "request_id": "num",
            "interview_id": iid,
            "parts": {c["code"]: 0 for c in SIX},
        }
    ).replace('"analysis": 0', '"analysis": 16.5')
    p.sockets[0].send(raw)
    ack = p.sockets[0].recv_until("ack", request_id="num")
    assert ack["parts"]["analysis"] == "16.5" and ack["score"] == "16.5"
    assert len(events(api, sid, "mark.submitted")) == 1


def test_one_number_sittings_are_unchanged(server: ServerProcess, api: Api, phones: Any) -> None:
    sitting = api.sitting(judges=5)
    iid = sitting["interviews"][0]["id"]
    p = phones(sitting)
    assert p.first[0].get("criteria") is None
    api.flow(iid, "start")
    ack = p.submit(1, {"request_id": "one", "interview_id": iid, "score": "85.5"})
    assert ack == {"type": "ack", "request_id": "one", "interview_id": iid, "score": "85.5"}


# --- scoring, the record and the screens --------------------------------------------------------


def score_split(api: Api, p: Phones, iid: int) -> None:
    api.flow(iid, "start")
    for seat, (a, b) in enumerate(SPLIT, start=1):
        ack = p.submit(
            seat, {"request_id": f"{iid}-{seat}", "interview_id": iid, "parts": {"a": a, "b": b}}
        )
        assert ack["type"] == "ack", ack


@pytest.mark.parametrize(
    ("trim", "result", "dropped", "speech"),
    [
        (
            "total",
            "63.33",
            {3: "high", 2: "low"},
            "岗位A1岗位1号考生，去掉一个最高分80分，去掉一个最低分55分，最终面试得分63.33分",
        ),
        ("per_criterion", "70.00", {}, "岗位A1岗位1号考生，最终面试得分70.00分"),
    ],
)
def test_each_trim_rule_scores_shows_and_speaks(
    server: ServerProcess,
    api: Api,
    phones: Any,
    trim: str,
    result: str,
    dropped: dict[int, str],
    speech: str,
) -> None:
    sitting = sheet_sitting(api, AB, trim)
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    display = Socket(f"{server.ws_url}/ws/display/{sitting['display']['token']}")
    try:
        display.recv()
        score_split(api, phones(sitting), iid)
        got = interview(api, sid, iid)
        assert got["state"] == "scored" and got["result"] == result
        marks = {m["seat"]: m for m in got["marks"]}
        assert {s: m["dropped"] for s, m in marks.items() if m["dropped"]} == dropped
        assert marks[1]["score"] == "60.0" and marks[1]["parts"] == {"a": "50.0", "b": "10.0"}
        scored = events(api, sid, "interview.scored")[0]["data"]
        assert scored["result"] == result
        if trim == "per_criterion":
            assert scored["dropped_high"] is None and scored["dropped_low"] is None
        api.flow(iid, "announce")
        frame = display.recv_until("state")
        while frame["announcement"] is None:
            frame = display.recv_until("state")
        a = frame["announcement"]
        assert a["result"] == result and a["speech"] == speech
        assert [m["score"] for m in a["marks"]] == ["60.0", "55.0", "80.0", "65.0", "65.0"]
        if trim == "per_criterion":
            assert [(e["code"], e["name"], e["average"]) for e in a["elements"]] == [
                ("a", "要素甲", "35.00"),
                ("b", "要素乙", "35.00"),
            ]
            assert all(m["dropped"] is None for m in a["marks"])
        else:
            assert not a.get("elements")
    finally:
        display.close()
    rows = list(
        csv.reader(
            io.StringIO(
                api.call("GET", f"/api/sessions/{sid}/export.csv", 200).content.decode("utf-8-sig")
            )
        )
    )
    assert rows[1][rows[0].index("评委2·要素乙")] == "45.0"


def test_judges_calibration(server: ServerProcess, api: Api, phones: Any) -> None:
    sitting = sheet_sitting(api, AB, "total", candidates=2)
    sid = sitting["id"]
    p = phones(sitting)
    first, second = (i["id"] for i in sitting["interviews"])
    empty = api.call("GET", f"/api/sessions/{sid}/judges", 200).json()
    assert [(s["seat"], s["marks"], s["mean_deviation"]) for s in empty["seats"]] == [
        (n, 0, None) for n in range(1, 6)
    ]
    score_split(api, p, first)
    api.flow(first, "announce")
    api.flow(first, "dispute", note="考生未返回")
    api.flow(second, "start")
    # seat 3 high again, seat 5 low this time
    for seat, (a, b) in enumerate(
        [("30", "30"), ("31", "30"), ("45", "45"), ("30", "31"), ("29", "30")], start=1
    ):
        p.submit(
            seat, {"request_id": f"x{seat}", "interview_id": second, "parts": {"a": a, "b": b}}
        )
    data = api.call("GET", f"/api/sessions/{sid}/judges", 200).json()
    seats = {s["seat"]: s for s in data["seats"]}
    # first: result 63.33; second: 60, 61, 90, 61, 59 → keep 60, 61, 61 → 60.67
    assert seats[3]["marks"] == 2 and seats[3]["dropped_high"] == 2 and seats[3]["dropped_low"] == 0
    assert seats[2]["dropped_low"] == 1 and seats[5]["dropped_low"] == 1
    # seat 3: 80 − 63.33 = 16.67, 90 − 60.67 = 29.33 → 23.00
    assert seats[3]["mean_deviation"] == "23.00"
    # seat 1: 60 − 63.33 = −3.33, 60 − 60.67 = −0.67 → −2.00
    assert seats[1]["mean_deviation"] == "-2.00"
    assert [d["deviation"] for d in seats[3]["deviations"]] == ["16.67", "29.33"]


def test_recompute_checks_per_element_results(
    server: ServerProcess, api: Api, phones: Any, tmp_path: Path
) -> None:
    sitting = sheet_sitting(api, AB, "per_criterion")
    sid, iid = sitting["id"], sitting["interviews"][0]["id"]
    score_split(api, phones(sitting), iid)
    log = tmp_path / "audit.jsonl"
    log.write_bytes(api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).content)
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify", str(log), "--recompute"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 scored" in done.stdout


def test_rooms_of_a_batch_against_the_batch_mean(
    server: ServerProcess, api: Api, phones: Any
) -> None:
    batch = "校准批次"
    rooms = [sheet_sitting(api, AB, "total", batch=batch) for _ in range(2)]
    other = sheet_sitting(api, AB, "total", batch="另一批次")
    # room 1: the split sheet (63.33); room 2: everyone 35 + 35 (70.00)
    score_split(api, phones(rooms[0]), rooms[0]["interviews"][0]["id"])
    iid = rooms[1]["interviews"][0]["id"]
    p = phones(rooms[1])
    api.flow(iid, "start")
    for seat in range(1, 6):
        p.submit(
            seat,
            {"request_id": f"even{seat}", "interview_id": iid, "parts": {"a": "35", "b": "35"}},
        )
    data = api.call("GET", f"/api/sessions/{rooms[0]['id']}/judges", 200).json()
    assert data["batch"]["name"] == batch
    assert data["batch"]["mean"] == "66.67" and data["batch"]["interviews"] == 2  # 133.33 / 2
    by_room = {r["session_id"]: r for r in data["batch"]["rooms"]}
    assert set(by_room) == {rooms[0]["id"], rooms[1]["id"]}
    assert (by_room[rooms[0]["id"]]["mean"], by_room[rooms[0]["id"]]["difference"]) == (
        "63.33",
        "-3.34",
    )
    assert (by_room[rooms[1]["id"]]["mean"], by_room[rooms[1]["id"]]["difference"]) == (
        "70.00",
        "3.34",
    )
    alone = api.call("GET", f"/api/sessions/{other['id']}/judges", 200).json()
    assert alone["batch"] is None
