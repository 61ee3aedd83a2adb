"""The record's rules: file names, Beijing time, remarks, no marks while scoring, no formulas,
and names with rare characters printed as they are (or a warning when they cannot be)."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest

from server.exports import fonts, pdf_export
from server.exports.record import csv_safe, read_record, safe_filename_part
from server.store.engine import Database
from tests.direct import Direct
from tests.exports import Panel
from tests.support import Api, ServerProcess

BEIJING = timezone(timedelta(hours=8))
EXPORTS = ["export.csv", "export.xlsx", "export.pdf", "audit.jsonl"]


def get(api: Api, sid: int, name: str, expect: int = 200, **kw: Any) -> Any:
    return api.call("GET", f"/api/sessions/{sid}/{name}", expect, **kw)


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def kiosk_export(server: ServerProcess, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KIOSK_DATABASE_URL": server.env["KIOSK_DATABASE_URL"]}
    return subprocess.run([sys.executable, "-m", "server.cli", "export", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


# --- file names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("2026年竞聘上岗面试", "2026年竞聘上岗面试"),
        ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
        ("../../etc/passwd", "etc_passwd"),
        ("第一批\t\r\n面试", "第一批_面试"),
        ("...", "场次"),
        ("长" * 150, "长" * 80),
    ],
)
def test_unsafe_file_name_characters_are_replaced(title: str, expected: str) -> None:
    assert safe_filename_part(title) == expected


def test_exports_are_named_after_the_sitting(api: Api) -> None:
    session = api.session(title="2026年秋季/竞聘:面试")
    sid = session["id"]
    today = datetime.now(BEIJING).date().isoformat()
    for name, kind, suffix in [("export.csv", "面试成绩", "csv"), ("export.xlsx", "面试成绩", "xlsx"),
                               ("export.pdf", "面试成绩", "pdf"), ("audit.jsonl", "审计日志", "jsonl")]:
        header = get(api, sid, name).headers["content-disposition"]
        header.encode("ascii")  # HTTP headers stay ASCII: the real name travels percent-encoded
        assert header.startswith("attachment; filename=\""), header
        fallback = header.split('filename="', 1)[1].split('"', 1)[0]
        assert fallback.isascii() and fallback.endswith(f"-{today}.{suffix}") and f"session-{sid}" in fallback
        real = unquote(header.split("filename*=UTF-8''", 1)[1])
        assert real == f"{kind}-2026年秋季_竞聘_面试-{today}.{suffix}", header


# --- Beijing time and remarks -----------------------------------------------------------------


@pytest.fixture(scope="module")
def signed(server: ServerProcess, api: Api) -> dict[str, Any]:
    """A sitting with a signed interview, a disputed one, an excused seat and one being scored."""
    s = api.session(title="记录规则", judge_count=5, min_scores=3)
    sid = s["id"]
    api.position(sid, "A1")
    ids = [api.interview(sid, n, name, "A1")["id"] for n, name in enumerate(["甲", "乙", "丙"], 1)]
    panel = Panel(server, api, s)
    try:
        api.flow(ids[0], "excuse", seat=5, reason="与考生系同学，申请回避")
        api.flow(ids[0], "start")
        for seat, mark in enumerate(["80", "81", "82", "83"], 1):
            assert panel.sockets[seat - 1].submit(ids[0], mark, f"a{seat}")["type"] == "ack"
        panel.announce_and_sign(ids[0])
        panel.score(ids[1], ["70", "71", "72", "73", "74"])
        api.flow(ids[1], "announce")
        api.flow(ids[1], "dispute", note="考生认为计分有误，拒绝签字")
    finally:
        panel.close()
    s["ids"] = ids
    return s


def test_csv_times_are_beijing_time_and_say_so(api: Api, signed: dict[str, Any]) -> None:
    sid = signed["id"]
    rows = list(csv.reader(io.StringIO(get(api, sid, "export.csv").content.decode("utf-8-sig"))))
    head = rows[0]
    column = next(i for i, h in enumerate(head) if h.startswith("签字时间"))
    assert "北京时间" in head[column] and "UTC+8" in head[column]
    interview = next(i for i in api.get_session(sid)["interviews"] if i["id"] == signed["ids"][0])
    utc = datetime.fromisoformat(interview["signed_at"].replace("Z", "+00:00"))
    assert rows[1][column] == utc.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def test_pdf_and_csv_show_dispute_notes_and_excuse_reasons(
    api: Api, signed: dict[str, Any], tmp_path: Path
) -> None:
    sid = signed["id"]
    text = pdftotext(get(api, sid, "export.pdf").content, tmp_path)
    flat = "".join(text.split())
    assert "考生认为计分有误，拒绝签字" in flat
    assert "与考生系同学，申请回避" in flat and "第5席回避" in flat
    body = get(api, sid, "export.csv").content.decode("utf-8-sig")
    assert "考生认为计分有误，拒绝签字" in body and "与考生系同学，申请回避" in body


# --- nothing of an interview being scored -------------------------------------------------------


def test_no_export_shows_a_mark_of_an_interview_being_scored(
    server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    s = api.session(title="评分中导出", judge_count=5, min_scores=5)
    sid = s["id"]
    api.position(sid, "B7")
    iid = api.interview(sid, 4, "周某", "B7")["id"]
    panel = Panel(server, api, s)
    try:
        api.flow(iid, "start")
        # Marks no export may show yet: distinctive values, found nowhere else in the files.
        for seat, mark in [(1, "93.7"), (2, "41.3")]:
            assert panel.sockets[seat - 1].submit(iid, mark, f"m{seat}")["type"] == "ack"

        for name in ["audit.jsonl", "export.xlsx"]:
            zh = get(api, sid, name, 409).json()
            assert "4 号" in zh["detail"] and "正在评分" in zh["detail"] and "评分结束后" in zh["detail"], zh
            en = get(api, sid, name, 409, headers={"Accept-Language": "en"}).json()
            assert "Draw number 4" in en["detail"] and "export after it is scored" in en["detail"], en
        csv_body = get(api, sid, "export.csv").content.decode("utf-8-sig")
        pdf_text = pdftotext(get(api, sid, "export.pdf").content, tmp_path)
        session_json = json.dumps(api.get_session(sid), ensure_ascii=False)
        for shown in (csv_body, pdf_text, session_json):
            assert "93.7" not in shown and "41.3" not in shown

        for fmt in ["jsonl", "xlsx"]:
            done = kiosk_export(server, tmp_path, str(sid), "--format", fmt, "--output", f"out.{fmt}")
            assert done.returncode == 1 and "4 号" in done.stderr and "Draw number 4" in done.stderr, done.stderr
            assert not (tmp_path / f"out.{fmt}").exists()
        for fmt in ["csv", "pdf"]:
            done = kiosk_export(server, tmp_path, str(sid), "--format", fmt, "--output", f"out.{fmt}")
            assert done.returncode == 0, done.stderr
        assert b"93.7" not in (tmp_path / "out.csv").read_bytes()

        for seat, mark in [(3, "80"), (4, "81"), (5, "82")]:
            assert panel.sockets[seat - 1].submit(iid, mark, f"m{seat}")["type"] == "ack"
    finally:
        panel.close()
    # Scored: every export is open again, and the marks are in them.
    assert '"93.7"' in get(api, sid, "audit.jsonl").text
    book = openpyxl.load_workbook(io.BytesIO(get(api, sid, "export.xlsx").content))
    book.close()
    assert "93.7" in get(api, sid, "export.csv").content.decode("utf-8-sig")


# --- formula injection -------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example/","点我")', "+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"), ("+86 123", "'+86 123"), ("-5", "'-5"), ("@x", "'@x"),
        ("\tTAB", "'\tTAB"), ("\rCR", "'\rCR"), ("张三", "张三"), ("85.0", "85.0"), ("", ""),
        ("a=b", "a=b"), (3, 3), (None, None),
    ],
)
def test_csv_safe_quotes_what_a_spreadsheet_would_run(value: Any, written: Any) -> None:
    assert csv_safe(value) == written


@pytest.fixture(scope="module")
def formulas(server: ServerProcess, api: Api) -> int:
    """A sitting whose title, posts, names (from a roster import), note and reason look like formulas."""
    s = api.session(title="=1+2 标题", judge_count=4, min_scores=3)
    sid = s["id"]
    api.call("POST", f"/api/sessions/{sid}/positions", 201,
             json={"code": "A1", "name": "+岗位名称", "openings": 1, "shortlist_ratio": "1"})
    api.call("POST", f"/api/sessions/{sid}/positions", 201,
             json={"code": "-B2", "name": "@岗位", "openings": 1, "shortlist_ratio": "1"})
    # Names from a roster import, the way a hostile file would bring them in.
    roster = "抽签号,姓名,岗位代码\r\n" + "".join(
        f'{n},"{name.replace(chr(34), chr(34) * 2)}",{"A1" if n < 3 else "-B2"}\r\n'
        for n, name in enumerate(FORMULAS, 1)
    )
    files = {"file": ("roster.csv", roster.encode("utf-8-sig"), "text/csv")}
    assert api.call("POST", f"/api/sessions/{sid}/roster", 201, files=files).json()["imported"] == 4
    ids = {i["candidate_name"]: i["id"] for i in api.get_session(sid)["interviews"]}
    panel = Panel(server, api, s)
    try:
        first = ids[FORMULAS[0]]
        panel.score(first, ["80", "81", "82", "83"])
        api.flow(first, "announce")
        api.flow(first, "dispute", note="=cmd|' /C calc'!A0")
    finally:
        panel.close()
    api.flow(ids[FORMULAS[1]], "excuse", seat=2, reason="-回避")
    return int(sid)


def test_csv_quotes_formula_like_text(api: Api, formulas: int) -> None:
    sid = formulas
    rows = list(csv.reader(io.StringIO(get(api, sid, "export.csv").content.decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    for name in FORMULAS:
        assert "'" + name in cells
    assert "'+岗位名称" in cells and "'-B2" in cells and "'@岗位" in cells
    assert any("=cmd|' /C calc'!A0" in c for c in cells) and any("-回避" in c for c in cells)


def test_xlsx_writes_formula_like_text_as_plain_strings(api: Api, formulas: int) -> None:
    sid = formulas
    book = openpyxl.load_workbook(io.BytesIO(get(api, sid, "export.xlsx").content))
    try:
        formulas = [(ws.title, c.coordinate, c.value) for ws in book for row in ws.iter_rows()
                    for c in row if c.data_type == "f"]
        assert formulas == []
        values = [c.value for ws in book for row in ws.iter_rows() for c in row]
        for text in [*FORMULAS, "+岗位名称", "@岗位", "-B2"]:
            assert text in values, text
        assert any(isinstance(v, str) and "=1+2 标题" in v for v in values)
    finally:
        book.close()


# --- rare characters in the PDF ----------------------------------------------------------------

RARE = ["刘䶮", "王𠀀明", "张𬌗"]


def record_with(tmp_path: Path, names: list[str], title: str = "生僻字") -> Any:
    db = Database(f"sqlite:///{tmp_path}/kiosk.db")
    try:
        db.create_schema()
        direct = Direct(db)
        sid = direct.sitting(title)
        direct.position(sid, "A1", "办公室")
        for n, name in enumerate(names, 1):
            direct.interview(sid, n, name, "A1")
        return db.read_sync(lambda s: read_record(s, sid))
    finally:
        db.close()


def test_rare_characters_of_names_print_as_they_are(tmp_path: Path) -> None:
    record = record_with(tmp_path, RARE, title="生僻字𠀀场次")
    pdf, missing = pdf_export.render_report(record)
    assert missing == []
    text = pdftotext(pdf, tmp_path)
    for name in RARE:
        assert name in text, (name, text)
    assert "生僻字𠀀场次" in text and "无法显示" not in text
    listing = subprocess.run(["pdffonts", str(tmp_path / "sheet.pdf")], check=True,
                             capture_output=True, text=True).stdout
    assert "HanaMin" in listing


def test_without_a_font_for_a_character_the_pdf_and_the_log_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record = record_with(tmp_path, ["刘䶮", "王晓明"])
    monkeypatch.setattr(fonts, "fallback_fonts", lambda: ())  # as on a machine without hanazono
    with caplog.at_level(logging.WARNING, logger="kiosk.exports"):
        pdf, missing = pdf_export.render_report(record)
    assert missing == ["䶮"]
    assert any("U+4DAE" in r.getMessage() for r in caplog.records)
    text = pdftotext(pdf, tmp_path)
    pages = [p for p in text.split("\f") if p.strip()]
    assert all("以下字符无法显示" in "".join(p.split()) and "U+4DAE" in p for p in pages)
    assert "王晓明" in text


def test_the_pdf_download_names_characters_no_font_has(
    server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    # U+30000 (CJK Extension G, Unicode 13) is in neither WenQuanYi nor HanaMin.
    s = api.session(title="缺字")
    api.position(s["id"], "A1")
    api.interview(s["id"], 1, "李\U00030000", "A1")
    api.interview(s["id"], 2, "刘䶮", "A1")
    response = get(api, s["id"], "export.pdf")
    assert response.headers["x-kiosk-missing-glyphs"] == "U+30000"
    text = "".join(pdftotext(response.content, tmp_path).split())
    assert "以下字符无法显示" in text and "U+30000" in text and "刘䶮" in text
    assert "U+30000" in server.log()
    fine = api.session(title="不缺字")
    assert "x-kiosk-missing-glyphs" not in get(api, fine["id"], "export.pdf").headers
