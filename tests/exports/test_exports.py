"""Each export opened with a real reader: csv, openpyxl, pdftotext (and zbarimg for the QR code)."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from server.exports import fonts, pdf_export
from server.exports.record import read_record
from server.store.engine import Database
from tests.direct import Direct
from tests.exports import Panel
from tests.support import Api, ServerProcess

NAMES = ["王晓明", "欧阳振华", "李娜", "陈静", "赵敏", "孙立"]


@pytest.fixture(scope="module")
def sitting(server: ServerProcess, api: Api) -> Iterator[dict[str, Any]]:
    """Two posts, 7 judges: signed, disputed, scored-only, excused-seat and absent candidates."""
    s = api.session(title="2026年竞聘上岗面试（第一批）", judge_count=7, batch="第一批")
    sid = s["id"]
    api.call("POST", f"/api/sessions/{sid}/positions", 201,
             json={"code": "A1", "name": "办公室副主任", "openings": 1, "shortlist_ratio": "2"})
    api.call("POST", f"/api/sessions/{sid}/positions", 201,
             json={"code": "B2", "name": "财务审计科科长", "openings": 1, "shortlist_ratio": "1"})
    ids = {
        name: api.interview(sid, draw, name, code)["id"]
        for name, draw, code in [("王晓明", 1, "A1"), ("欧阳振华", 2, "A1"), ("李娜", 3, "A1"),
                                 ("陈静", 1, "B2"), ("赵敏", 2, "B2"), ("孙立", 3, "B2")]
    }
    panel = Panel(server, api, s)
    try:
        # DESIGN.md's example: 79, 80, 80, 80, 80.5, 90 keep 80, 80, 80, 80.5 → 80.13 (+ a 7th mark)
        panel.score(ids["王晓明"], ["79", "80", "80", "80", "80.5", "90", "85"])  # → 81.10
        panel.announce_and_sign(ids["王晓明"], 0)
        panel.score(ids["欧阳振华"], ["88", "86", "87", "90", "85", "84", "89"])  # → 87.00
        panel.announce_and_sign(ids["欧阳振华"], 1)
        panel.score(ids["李娜"], ["50", "55", "60", "58", "57", "52", "54"])  # → 55.20
        api.flow(ids["李娜"], "announce")
        api.flow(ids["李娜"], "dispute", note="考生对分数有异议")
        api.flow(ids["陈静"], "excuse", seat=7, reason="回避亲属")
        api.flow(ids["陈静"], "start")
        for seat, (sock, mark) in enumerate(zip(panel.sockets[:6], ["90", "91", "92", "93", "94", "95"], strict=True), 1):
            assert sock.submit(ids["陈静"], mark, f"c{seat}")["type"] == "ack"
        panel.score(ids["赵敏"], ["70", "71", "72", "73", "74", "75", "76"])  # → 73.00
        api.flow(ids["孙立"], "absent")
    finally:
        panel.close()
    s["ids"] = ids
    yield s


def download(api: Api, sid: int, name: str) -> bytes:
    r = api.call("GET", f"/api/sessions/{sid}/{name}", 200)
    return r.content


def served_name(api: Api, sid: int, name: str) -> str:
    """The file name a download carries in ``filename*`` (RFC 5987)."""
    from urllib.parse import unquote

    header = api.call("GET", f"/api/sessions/{sid}/{name}", 200).headers["content-disposition"]
    return unquote(header.split("filename*=UTF-8''", 1)[1])


def audit(api: Api, sid: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in download(api, sid, "audit.jsonl").decode().splitlines()]


def pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *args, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_csv_reads_back_with_the_csv_module(api: Api, sitting: dict[str, Any]) -> None:
    body = download(api, sitting["id"], "export.csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    by_name = {r["姓名"]: r for r in rows}
    assert list(by_name) == NAMES
    first = by_name["王晓明"]
    assert [first[f"评委{n}"] for n in range(1, 8)] == ["79.0", "80.0", "80.0", "80.0", "80.5", "90.0", "85.0"]
    assert (first["去掉最高分(席位)"], first["去掉最低分(席位)"], first["面试得分"]) == ("6", "1", "81.10")
    signed = "签字时间(北京时间 UTC+8)"
    assert first[signed] and by_name["欧阳振华"][signed] and not by_name["李娜"][signed]
    assert by_name["陈静"]["评委7"] == "回避" and by_name["陈静"]["面试得分"] == "92.50"
    assert by_name["孙立"]["面试得分"] == ""


def _header_row(ws: Any) -> int:
    return next(r for r in range(1, 20) if ws.cell(r, 1).value in ("抽签号", "名次", "序号"))


def test_xlsx_opens_with_openpyxl(api: Api, sitting: dict[str, Any]) -> None:
    body = download(api, sitting["id"], "export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(body))
    try:
        assert book.sheetnames == ["成绩登记", "排名-A1", "排名-B2", "评委校准", "审计日志"]
        marks = book["成绩登记"]
        top = _header_row(marks)
        head = [c.value for c in marks[top]]
        assert head[:4] == ["抽签号", "姓名", "岗位代码", "岗位名称"]
        assert head[4:11] == [f"评委{n}" for n in range(1, 8)]
        col = {title: i + 1 for i, title in enumerate(head)}
        rows = {marks.cell(r, 2).value: r for r in range(top + 1, marks.max_row + 1)}
        assert list(rows) == NAMES
        r = rows["王晓明"]
        seat1, seat6 = marks.cell(r, col["评委1"]), marks.cell(r, col["评委6"])
        # numbers as numbers, with the sitting's decimals shown
        assert isinstance(seat1.value, int | float) and Decimal(str(seat1.value)) == Decimal(79)
        assert seat1.number_format == "0.0"
        assert seat1.font.strike and seat6.font.strike and not marks.cell(r, col["评委2"]).font.strike
        result = marks.cell(r, col["面试得分"])
        assert Decimal(str(result.value)) == Decimal("81.10") and result.number_format == "0.00"
        assert marks.cell(r, col["状态"]).value == "已签字确认"
        assert marks.cell(r, col["签字时间(北京时间)"]).is_date
        assert marks.cell(rows["陈静"], col["评委7"]).value == "回避"
        assert marks.cell(rows["李娜"], col["状态"]).value == "有异议"
        assert marks.cell(rows["李娜"], col["备注"]).value == "异议：考生对分数有异议"
        assert marks.cell(rows["陈静"], col["备注"]).value == "第 7 席回避：回避亲属"
        assert marks.cell(rows["孙立"], col["面试得分"]).value is None
        signed_letter = get_column_letter(col["签字时间(北京时间)"])
        assert marks.column_dimensions["B"].width >= 10 and marks.column_dimensions[signed_letter].width >= 18

        a1 = book["排名-A1"]
        top = _header_row(a1)
        assert [c.value for c in a1[top]][:4] == ["名次", "抽签号", "姓名", "面试得分"]
        ranked = [[c.value for c in row] for row in a1.iter_rows(min_row=top + 1, max_row=top + 3)]
        assert [(r[0], r[2], Decimal(str(r[4])), r[5], r[6]) for r in ranked] == [
            (1, "欧阳振华", Decimal(87), "是", "是"),
            (2, "王晓明", Decimal("81.1"), "是", "是"),
            (3, "李娜", Decimal("55.2"), "否", None),
        ]
        assert a1.cell(top + 1, 5).number_format == "0.00"
        b2 = book["排名-B2"]
        cells = [c.value for row in b2.iter_rows() for c in row]
        assert "未参加排名" in cells and "孙立" in cells and "缺考" in cells

        log = book["审计日志"]
        top = _header_row(log)
        events = audit(api, sitting["id"])
        assert log.max_row - top == len(events)
        assert log.cell(log.max_row, 7).value == events[-1]["hash"]
        assert log.cell(top + 1, 4).value == "session.created"
    finally:
        book.close()


def test_pdf_has_the_names_results_and_the_audit_head_on_every_page(
    api: Api, sitting: dict[str, Any], tmp_path: Path
) -> None:
    pdf = download(api, sitting["id"], "export.pdf")
    assert pdf.startswith(b"%PDF")
    text = pdftotext(pdf, tmp_path)
    head = audit(api, sitting["id"])[-1]["hash"]
    for needle in ["面试成绩登记表", "2026年竞聘上岗面试（第一批）", *NAMES, "81.10", "87.00", "55.20",
                   "92.50", "73.00", "回避", "缺考", "有异议", "已签字确认", "去掉一个最高分和一个最低分",
                   "岗位排名", "办公室副主任", "初步考察对象", "记分员", "监督员", "7 号评委"]:
        assert needle in text, needle
    pages = [p for p in text.split("\f") if p.strip()]
    assert pages and all(head in page for page in pages)
    # the Chinese font is embedded, so the sheet reads the same on any machine
    path = tmp_path / "sheet.pdf"
    fonts_out = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    embedded = [line.split() for line in fonts_out.splitlines()[2:] if "WenQuanYi" in line]
    assert embedded and all(cols[-5] == "yes" for cols in embedded), fonts_out


def test_pdf_qr_code_carries_the_audit_head(api: Api, sitting: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(download(api, sitting["id"], "export.pdf"))
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    head = audit(api, sitting["id"])[-1]["hash"]
    for png in pngs:
        out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=False).stdout
        assert f"head={head}" in out, png.name


def test_exports_change_nothing(api: Api, sitting: dict[str, Any]) -> None:
    sid = sitting["id"]
    before = download(api, sid, "audit.jsonl")
    for name in ["export.xlsx", "export.pdf", "export.csv", "ranking"]:
        download(api, sid, name)
    assert download(api, sid, "audit.jsonl") == before


def test_an_empty_sitting_gives_empty_but_valid_files(api: Api, tmp_path: Path) -> None:
    sid = api.session(title="空场次")["id"]
    book = openpyxl.load_workbook(io.BytesIO(download(api, sid, "export.xlsx")))
    try:
        assert book.sheetnames == ["成绩登记", "评委校准", "审计日志"]
        marks = book["成绩登记"]
        assert _header_row(marks) == marks.max_row  # headers, no rows
    finally:
        book.close()
    text = pdftotext(download(api, sid, "export.pdf"), tmp_path)
    assert "面试成绩登记表" in text and "空场次" in text and "本场次暂无考生" in text
    rows = list(csv.reader(io.StringIO(download(api, sid, "export.csv").decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "抽签号"


def kiosk(server: ServerProcess, cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "KIOSK_DATABASE_URL": server.env["KIOSK_DATABASE_URL"]}
    return subprocess.run([sys.executable, "-m", "server.cli", "export", *args], env=env, cwd=cwd,
                          capture_output=True, timeout=120, check=False)


def test_kiosk_export_writes_each_format(server: ServerProcess, api: Api, sitting: dict[str, Any], tmp_path: Path) -> None:
    sid = str(sitting["id"])
    for fmt in ["csv", "xlsx", "pdf", "jsonl"]:
        done = kiosk(server, tmp_path, sid, "--format", fmt)
        assert done.returncode == 0, done.stderr.decode()
    # The same default names as the downloads: 面试成绩-<title>-<date>.<format>
    names = {n: served_name(api, sitting["id"], n)
             for n in ["export.csv", "export.xlsx", "export.pdf", "audit.jsonl"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names.values())
    assert names["export.xlsx"].startswith("面试成绩-2026年竞聘上岗面试（第一批）-20")
    assert (tmp_path / names["export.csv"]).read_bytes() == download(api, sitting["id"], "export.csv")
    assert (tmp_path / names["audit.jsonl"]).read_bytes() == download(api, sitting["id"], "audit.jsonl")
    book = openpyxl.load_workbook(tmp_path / names["export.xlsx"])
    try:
        assert [c.value for c in book["成绩登记"]["B"]][-6:] == NAMES
    finally:
        book.close()
    text = pdftotext((tmp_path / names["export.pdf"]).read_bytes(), tmp_path)
    assert all(name in text for name in NAMES) and "81.10" in text
    verify = subprocess.run([sys.executable, "-m", "server.cli", "verify", str(tmp_path / names["audit.jsonl"])],
                            capture_output=True, timeout=60, check=False)
    assert verify.returncode == 0, verify.stderr
    out = tmp_path / "named.pdf"
    assert kiosk(server, tmp_path, sid, "--format", "pdf", "--output", str(out)).returncode == 0
    assert out.read_bytes().startswith(b"%PDF")


def test_kiosk_export_of_an_unknown_session_fails_clearly(server: ServerProcess, tmp_path: Path) -> None:
    done = kiosk(server, tmp_path, "999999", "--format", "pdf")
    assert done.returncode == 1
    assert "999999" in done.stderr.decode() and not list(tmp_path.iterdir())
    bad = kiosk(server, tmp_path, "1", "--format", "docx")
    assert bad.returncode != 0


def test_without_a_truetype_font_the_pdf_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.exports"):
        assert fonts.register(["/nonexistent/font.ttc"]) == fonts.FALLBACK
    assert any("fonts-wqy-microhei" in r.getMessage() for r in caplog.records)
    # on this machine the embedded font is found
    assert fonts.cjk_font() == fonts.FONT_NAME


def test_the_fallback_font_still_gives_a_readable_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(f"sqlite:///{tmp_path}/kiosk.db")
    try:
        db.create_schema()
        direct = Direct(db)
        sid = direct.sitting("回退字体")
        direct.position(sid, "A1", "办公室")
        direct.interview(sid, 1, "王晓明", "A1")
        record = db.read_sync(lambda s: read_record(s, sid))
    finally:
        db.close()
    monkeypatch.setattr(pdf_export, "cjk_font", lambda: fonts.register([]))
    with caplog.at_level(logging.WARNING, logger="kiosk.exports"):
        pdf = pdf_export.render(record)
    assert any(fonts.FALLBACK in r.getMessage() for r in caplog.records)
    text = pdftotext(pdf, tmp_path)
    assert "王晓明" in text and "回退字体" in text and record.head_hash in text
    listing = subprocess.run(["pdffonts", str(tmp_path / "sheet.pdf")], check=True, capture_output=True,
                             text=True).stdout
    assert "STSong-Light" in listing and "WenQuanYi" not in listing


def test_markup_and_control_characters_in_free_text_export_cleanly(
    server: ServerProcess, api: Api, tmp_path: Path
) -> None:
    s = api.session(title="<b>标题 & 测试</b>", batch="第一批", judge_count=3, min_scores=3)
    sid = s["id"]
    api.call("POST", f"/api/sessions/{sid}/positions", 201,
             json={"code": "A&1", "name": "<i>科长</i> [甲]", "openings": 1, "shortlist_ratio": "1"})
    iid = api.interview(sid, 1, "<李&娜>", "A&1")["id"]
    api.call("POST", f"/api/sessions/{sid}/components", 201, json={"name": "笔试<&>", "weight": "0.5"})
    panel = Panel(server, api, s)
    try:
        panel.score(iid, ["80", "81", "82"])
    finally:
        panel.close()
    api.flow(iid, "announce")
    # Control characters are refused at the door now; markup still has to print as text.
    api.flow(iid, "dispute", note="不同意分数 <script>&amp;")
    text = pdftotext(download(api, sid, "export.pdf"), tmp_path)
    assert "<李&娜>" in text and "<b>标题 & 测试</b>" in text and "缺少其他成绩：笔试<&>" in text
    assert "异议：不同意分数 <script>&amp;" in text
    book = openpyxl.load_workbook(io.BytesIO(download(api, sid, "export.xlsx")))
    try:
        marks = book["成绩登记"]
        values = [c.value for row in marks.iter_rows() for c in row if c.value is not None]
        assert "<李&娜>" in values and "异议：不同意分数 <script>&amp;" in values
        assert book.sheetnames[1] == "排名-A&1"
    finally:
        book.close()
