"""``kiosk verify`` reads strictly and checks the head printed on the paper record (issue 9, item 8).

Each forgery here is a log whose every hash is recomputed by the forger, so the plain chain check
passes it; only the strict reading (or ``--head``) catches it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from server.cli import app
from server.domain import sitting as sd
from server.store import repository as repo
from server.store.audit import GENESIS, KINDS, known_kind, link_hash, verify_lines
from server.store.engine import Database
from tests.direct import Direct

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A real sitting's chain: created, a post, an interview, three marks, scored (8 lines)."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('verify')}/k.db")
    db.create_schema()
    try:
        d = Direct(db)
        sid = d.sitting("核验\u2028换行", judge_count=3, min_scores=3)
        d.position(sid, "A", "甲")
        iid = d.interview(sid, 1, "张三", "A")
        d.flow(sd.Start(iid))
        for seat, score in ((1, "80"), (2, "85.5"), (3, "90")):
            d.submit(sid, seat, f"r{seat}", iid, score)
        return db.read_sync(lambda s: repo.audit_lines(s, sid))
    finally:
        db.close()


def rehash(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a forger does after an edit: recompute every prev and hash from the first line on."""
    prev = GENESIS
    out = []
    for event in events:
        event = {**event, "prev": prev}
        event["hash"] = link_hash(
            prev, event["seq"], event["at"], event["actor"], event["kind"], event["data"]
        )
        prev = event["hash"]
        out.append(event)
    return out


def dump(events: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(e, ensure_ascii=False) for e in events]


def run(tmp_path: Path, text: str, *args: str) -> tuple[int, str, str]:
    path = tmp_path / "audit.jsonl"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", str(path), *args])
    return result.exit_code, result.stdout, result.stderr


def head_of(lines: list[str]) -> str:
    return json.loads(lines[-1])["hash"]


def test_a_genuine_log_passes_with_its_head(lines: list[str], tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "\n".join(lines) + "\n", "--head", head_of(lines))
    assert code == 0, err
    assert f"8 events, chain head {head_of(lines)}" in out
    # The head as printed may be in capitals; a name with a U+2028 line separator is one line.
    assert run(tmp_path, "\n".join(lines) + "\n", "--head", head_of(lines).upper())[0] == 0
    assert "\u2028" in lines[0]


def test_a_truncated_log_fails_against_the_printed_head(lines: list[str], tmp_path: Path) -> None:
    cut = "\n".join(lines[:-2]) + "\n"
    assert run(tmp_path, cut)[0] == 0  # the file alone cannot show a missing tail
    code, _, err = run(tmp_path, cut, "--head", head_of(lines))
    assert code == 1
    assert "line 6" in err and "第 6 行" in err
    assert "cut short" in err and head_of(lines) in err


def test_a_log_rehashed_after_an_edit_fails_against_the_printed_head(
    lines: list[str], tmp_path: Path
) -> None:
    events = [json.loads(line) for line in lines]
    events[5]["data"]["score"] = "95.5"
    forged = "\n".join(dump(rehash(events))) + "\n"
    assert run(tmp_path, forged)[0] == 0
    code, _, err = run(tmp_path, forged, "--head", head_of(lines))
    assert code == 1 and "line 8" in err


def forge(lines: list[str], index: int, change: Any) -> str:
    """Apply ``change`` to one event, rehash the whole chain, return the file's text."""
    events = [json.loads(line) for line in lines]
    changed = change(events[index])
    if changed is not None:
        events[index] = changed
    return "\n".join(dump(rehash(events))) + "\n"


def dup_score_first(lines: list[str]) -> str:
    """Line 5 with a second ``score`` placed first: ``json`` keeps the last, a person reads the first."""
    text = lines[4].replace('"data": {', '"data": {"score": "99.5", ', 1)
    assert text != lines[4] and text.count('"score"') == 2
    return "\n".join(lines[:4] + [text] + lines[5:]) + "\n"


def dup_top_level(lines: list[str]) -> str:
    text = lines[4].replace('{"seq": 5', '{"kind": "seat.excused", "seq": 5', 1)
    assert text != lines[4]
    return "\n".join(lines[:4] + [text] + lines[5:]) + "\n"


def nan_in_data(lines: list[str]) -> str:
    text = lines[4].replace('"data": {', '"data": {"weight": NaN, ', 1)
    return "\n".join(lines[:4] + [text] + lines[5:]) + "\n"


def blank_line(lines: list[str]) -> str:
    return "\n".join(lines[:4] + [""] + lines[4:]) + "\n"


def extra_field(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "note": "added later"}


def replace(**fields: Any) -> Any:
    return lambda event: {**event, **fields}


def set_data(**fields: Any) -> Any:
    return lambda event: {**event, "data": {**event["data"], **fields}}


@pytest.mark.parametrize(
    ("name", "make", "line", "why"),
    [
        ("duplicate score placed first", dup_score_first, 5, "duplicate key 'score'"),
        ("duplicate top-level key", dup_top_level, 5, "duplicate key 'kind'"),
        ("NaN", nan_in_data, 5, "NaN"),
        ("blank line inside", blank_line, 5, "empty line"),
        (
            "extra top-level field",
            lambda ls: forge(ls, 3, extra_field),
            4,
            "outside the seven: note",
        ),
        (
            "missing field",
            lambda ls: "\n".join(ls[:3] + [ls[3].replace('"actor": "secretary", ', "")] + ls[4:]),
            4,
            "missing field(s) actor",
        ),
        ("seq as text", lambda ls: forge(ls, 2, replace(seq="3")), 3, "seq is not an integer"),
        (
            "seq as a boolean",
            lambda ls: forge(ls, 0, replace(seq=True)),
            1,
            "seq is not an integer",
        ),
        ("seq skips", lambda ls: forge(ls, 2, replace(seq=4)), 3, "seq 4, expected 3"),
        ("seq from 0", lambda ls: forge(ls, 0, replace(seq=0)), 1, "seq 0, expected 1"),
        (
            "data not an object",
            lambda ls: forge(ls, 2, replace(data=["x"])),
            3,
            "data is not a JSON object",
        ),
        ("at not text", lambda ls: forge(ls, 2, replace(at=1764486102)), 3, "at is not a string"),
        (
            "at in Beijing time",
            lambda ls: forge(ls, 2, replace(at="2026-11-30T15:01:42.123456+08:00")),
            3,
            "not an ISO 8601 UTC time",
        ),
        (
            "at without a zone",
            lambda ls: forge(ls, 2, replace(at="2026-11-30T07:01:42")),
            3,
            "not an ISO 8601 UTC time",
        ),
        (
            "at not a date",
            lambda ls: forge(ls, 2, replace(at="2026-13-45T07:01:42Z")),
            3,
            "not an ISO 8601 UTC time",
        ),
        (
            "unknown kind",
            lambda ls: forge(ls, 5, replace(kind="mark.deleted")),
            6,
            "unknown kind 'mark.deleted'",
        ),
        (
            "actor of no known form",
            lambda ls: forge(ls, 5, replace(actor="admin")),
            6,
            "actor 'admin'",
        ),
        ("judge seat 0", lambda ls: forge(ls, 5, replace(actor="judge:0")), 6, "actor 'judge:0'"),
        (
            "judge seat with a space",
            lambda ls: forge(ls, 5, replace(actor="judge: 2")),
            6,
            "actor 'judge: 2'",
        ),
        (
            "hash in capitals",
            lambda ls: "\n".join(ls[:-1] + [ls[-1].replace(head_of(ls), head_of(ls).upper())]),
            8,
            "hash is not a lower-case SHA-256",
        ),
        (
            "not an object",
            lambda ls: "\n".join(ls[:2] + ["[1, 2]"] + ls[2:]),
            3,
            "not a JSON object",
        ),
    ],
)
def test_a_forged_line_is_named(
    lines: list[str], tmp_path: Path, name: str, make: Any, line: int, why: str
) -> None:
    code, _, err = run(tmp_path, make(lines))
    assert code == 1, (name, err)
    assert f"BROKEN at line {line}: " in err and why in err, (name, err)
    assert f"第 {line} 行有误" in err


def test_prev_must_link_to_the_line_before(lines: list[str]) -> None:
    events = rehash([json.loads(line) for line in lines])
    events[4]["prev"] = events[2]["hash"]
    events[4]["hash"] = link_hash(
        events[4]["prev"],
        5,
        events[4]["at"],
        events[4]["actor"],
        events[4]["kind"],
        events[4]["data"],
    )
    verdict = verify_lines(dump(events))
    assert not verdict.ok and verdict.bad_line == 5 and "prev" in verdict.reason


def test_an_empty_file_is_not_a_verified_log(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "")
    assert code == 1 and "no audit event" in err


def test_an_unreadable_file_or_a_malformed_head_exits_2(lines: list[str], tmp_path: Path) -> None:
    assert CliRunner().invoke(app, ["verify", str(tmp_path / "missing.jsonl")]).exit_code == 2
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\xff\xfe not utf-8")
    assert CliRunner().invoke(app, ["verify", str(path)]).exit_code == 2
    assert run(tmp_path, "\n".join(lines) + "\n", "--head", "abc123")[0] == 2


def test_the_installed_command_checks_the_head(lines: list[str], tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "verify", str(path), "--head", head_of(lines)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1 and "line 7" in result.stderr


def test_every_kind_the_code_writes_is_known() -> None:
    """A kind the kiosk writes but ``verify`` does not know would fail a genuine log."""
    # The families of the kinds, and "sitting" should a kind be named after the code's word.
    families = {kind.split(".")[0] for kind in KINDS} | {"sitting"}
    literal = re.compile(r"""["']([a-z]+)\.([a-z_]+)["']""")
    written = set()
    for source in (ROOT / "server").rglob("*.py"):
        for family, action in literal.findall(source.read_text(encoding="utf-8")):
            if family in families and action != "id":  # not interview.id
                written.add(f"{family}.{action}")
    unknown = sorted(kind for kind in written if not known_kind(kind))
    assert not unknown, f"add these kinds to server.store.audit.KINDS: {unknown}"
    assert {"session.created", "mark.submitted", "interview.scored"} <= written
