"""``kiosk verify --recompute``: the office's second calculation of every result (issue 8, item 4)."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.domain import sitting as sd
from server.store import recompute as rc
from server.store import repository as repo
from server.store.audit import GENESIS, link_hash
from server.store.engine import Database
from tests.direct import Direct


def marks(*values: str, decimals: int = 1) -> dict[int, int]:
    return {seat: rc.scale(v, decimals) for seat, v in enumerate(values, start=1)}


@pytest.mark.parametrize(
    ("values", "sd", "rd", "result", "high", "low"),
    [
        # DESIGN section 3: keep 80, 80, 80, 80.5 → 80.125 → 80.13 (float rounding gives 80.12).
        (("79", "80", "80", "80", "80.5", "90"), 1, 2, "80.13", 6, 1),
        # All equal: the low one dropped is the smallest seat's, the high one the largest seat's.
        (("85", "85", "85", "85", "85"), 1, 2, "85.00", 5, 1),
        # Ties at both ends.
        (("70", "90", "70", "90", "80"), 1, 2, "80.00", 4, 1),
        (("90", "70", "90", "70", "80"), 1, 2, "80.00", 3, 2),
        # Half-up at the last place: 1/3 and 2/3, and an exact half.
        (("80", "80", "80", "81", "99", "0"), 0, 2, "80.25", 5, 6),
        (("60", "60.1", "60.1", "60.2", "100"), 1, 2, "60.13", 5, 1),
        (("60", "60.1", "60.2", "60.2", "100"), 1, 2, "60.17", 5, 1),
        (("0", "0.5", "1", "100"), 1, 0, "1", 4, 1),  # 0.75 → 1
        (("0", "0.5", "0", "100"), 1, 0, "0", 4, 1),  # 0.25 → 0 (seat 1 dropped low)
        (("10", "12.5", "11", "100"), 1, 0, "12", 4, 1),  # 11.75 → 12
        (("1", "2", "3"), 0, 4, "2.0000", 3, 1),
        (("99.99", "100.00", "0.00", "99.98", "99.97"), 2, 3, "99.980", 2, 3),
        (("85.25", "85.75", "90", "60", "88.13", "70.07", "80"), 2, 2, "81.84", 3, 4),
        (("100", "100", "100", "100", "100", "100", "100"), 1, 4, "100.0000", 7, 1),
    ],
)
def test_trimmed_mean(
    values: tuple[str, ...], sd: int, rd: int, result: str, high: int, low: int
) -> None:
    assert rc.trimmed_mean(marks(*values, decimals=sd), sd, rd) == rc.Result(result, high, low)


@pytest.mark.parametrize(
    ("text", "decimals", "scaled"),
    [
        ("85", 1, 850),
        ("85.5", 1, 855),
        ("85.0", 1, 850),
        ("0", 2, 0),
        ("100.00", 2, 10000),
        ("7", 0, 7),
    ],
)
def test_scale(text: str, decimals: int, scaled: int) -> None:
    assert rc.scale(text, decimals) == scaled


@pytest.mark.parametrize("text", ["85.55", "-1", "1e2", " 85", "85.", ".5", "NaN", "", "８５"])
def test_scale_refuses_what_is_not_a_plain_mark(text: str) -> None:
    with pytest.raises(ValueError):
        rc.scale(text, 1)


def test_per_criterion_sums_the_trimmed_averages_and_rounds_once() -> None:
    parts = {
        1: {"a": 300, "b": 500},
        2: {"a": 200, "b": 550},
        3: {"a": 250, "b": 450},
        4: {"a": 301, "b": 499},
    }
    # a keeps 25.0 and 30.0 (27.5); b keeps 49.9 and 50.0 (49.95): 77.45
    assert rc.per_criterion(parts, 1, 2) == rc.Result("77.45", None, None)
    assert rc.per_criterion(parts, 1, 1) == rc.Result("77.5", None, None)


def test_the_recompute_module_is_independent_of_the_domain() -> None:
    tree = ast.parse(Path(rc.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not any(name and name.startswith("server") for name in imported), imported
    assert "decimal" not in imported and "fractions" not in imported


def event(kind: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "data": data}


def test_replay_follows_reopens_and_excusals() -> None:
    events = [
        event("session.created", score_decimals=1, result_decimals=2),
        *[
            event("mark.submitted", interview_id=1, seat=s, score=v)
            for s, v in zip(range(1, 6), ["79", "80", "80", "80.5", "90"], strict=True)
        ],
        event("seat.excused", interview_id=1, seat=6, reason="回避"),
        event("interview.scored", interview_id=1, result="80.17", dropped_high=5, dropped_low=1),
        event("mark.reopened", interview_id=1, seat=5, reason="误触", old_score="90.0"),
        event("mark.submitted", interview_id=1, seat=5, score="80"),
        event("interview.scored", interview_id=1, result="80.00", dropped_high=4, dropped_low=1),
        # Wrong on purpose: 80.00 with seat 4 high, not 80.13.
        event("interview.scored", interview_id=1, result="80.13", dropped_high=4, dropped_low=1),
    ]
    found = rc.recompute(list(enumerate(events, start=1)))
    assert [(d.line, d.interview_id) for d in found] == [(12, 1)]
    zh, en = found[0].describe()
    assert "80.13" in en and "80.00" in en and "line 12" in en and "第 12 行" in zh


def test_scored_marks_that_differ_from_the_replay_are_named() -> None:
    events = [
        event("session.created", score_decimals=0, result_decimals=1),
        *[
            event("mark.submitted", interview_id=7, seat=s, score=v)
            for s, v in zip(range(1, 4), ["1", "2", "3"], strict=True)
        ],
        event(
            "interview.scored",
            interview_id=7,
            result="2.0",
            dropped_high=3,
            dropped_low=1,
            marks={"1": "1", "2": "5", "3": "3"},
        ),
    ]
    found = rc.recompute(list(enumerate(events, start=1)))
    assert len(found) == 1 and "2: 5" in found[0].recorded and "2: 2" in found[0].recomputed


# --- the command on a real chain ---------------------------------------------------------


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A sitting at one decimal: the DESIGN's six marks (80.13), a reopen, an excusal, a second interview."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('recompute')}/k.db")
    db.create_schema()
    try:
        d = Direct(db)
        sid = d.sitting("复核", judge_count=7, min_scores=5)
        d.position(sid, "A", "甲")
        first = d.interview(sid, 1, "张三", "A")
        second = d.interview(sid, 2, "李四", "A")
        d.flow(sd.Start(first))
        d.flow(sd.Excuse(first, 7, "亲属回避"))
        for seat, score in enumerate(["79", "80", "80", "80", "80.5", "95"], start=1):
            d.submit(sid, seat, f"a{seat}", first, score)
        d.flow(sd.Reopen(first, 6, "录入错误"))
        d.submit(sid, 6, "a6b", first, "90")
        d.flow(sd.Announce(first))
        d.flow(sd.Dispute(first, "未签字"))
        d.flow(sd.Start(second))
        for seat, score in enumerate(["88", "88", "88", "70", "92.5", "88", "88"], start=1):
            d.submit(sid, seat, f"b{seat}", second, score)
        return db.read_sync(lambda s: repo.audit_lines(s, sid))
    finally:
        db.close()


def rehash(events: list[dict[str, Any]]) -> list[str]:
    prev, out = GENESIS, []
    for e in events:
        e = {**e, "prev": prev}
        e["hash"] = prev = link_hash(prev, e["seq"], e["at"], e["actor"], e["kind"], e["data"])
        out.append(json.dumps(e, ensure_ascii=False))
    return out


def run(tmp_path: Path, lines: list[str]) -> tuple[int, str, str]:
    path = tmp_path / "audit.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(path), "--recompute"])
    return result.exit_code, result.stdout, result.stderr


def test_a_genuine_log_recomputes(lines: list[str], tmp_path: Path) -> None:
    scored = [json.loads(line)["data"] for line in lines if '"interview.scored"' in line]
    assert [d["result"] for d in scored] == ["80.13", "80.13", "88.00"]
    code, out, err = run(tmp_path, lines)
    assert code == 0, err
    assert "3 scored interview(s) agree" in out


def test_every_disagreeing_result_is_named(lines: list[str], tmp_path: Path) -> None:
    events = [json.loads(line) for line in lines]
    scored = [i for i, e in enumerate(events) if e["kind"] == "interview.scored"]
    events[scored[1]]["data"]["result"] = "80.12"  # float rounding's answer
    events[scored[2]]["data"]["dropped_low"] = 1  # seat 4 gave the 70
    forged = rehash(events)
    code, _, err = run(tmp_path, forged)
    assert code == 1
    assert (
        f"line {scored[1] + 1}: interview 1 recorded 80.12 (high seat 6, low seat 1), recomputed 80.13"
        in err
    )
    assert (
        f"line {scored[2] + 1}: interview 2 recorded 88.00 (high seat 5, low seat 1), recomputed 88.00 (high seat 5, low seat 4)"
        in err
    )
    assert f"第 {scored[1] + 1} 行" in err
    assert err.count("MISMATCH") == 2


def test_a_mark_edited_before_scoring_is_caught(lines: list[str], tmp_path: Path) -> None:
    events = [json.loads(line) for line in lines]
    first_mark = next(i for i, e in enumerate(events) if e["kind"] == "mark.submitted")
    events[first_mark]["data"]["score"] = "89"
    code, _, err = run(tmp_path, rehash(events))
    assert code == 1 and "MISMATCH" in err
