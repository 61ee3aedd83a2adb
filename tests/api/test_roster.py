"""Roster import, its templates and the QR codes, against a real server process."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.support import Api, ServerProcess

HEADER = "抽签号,姓名,岗位代码\r\n"


def sitting_with_posts(api: Api, *codes: str) -> dict[str, Any]:
    session = api.session(title="名单导入")
    for code in codes or ("A01", "B02"):
        api.position(session["id"], code)
    return session


def upload(api: Api, sid: int, content: bytes, filename: str = "roster.csv", **kw: Any) -> Any:
    files = {"file": (filename, content, "application/octet-stream")}
    return api.call("POST", f"/api/sessions/{sid}/roster", files=files, **kw)


def xlsx(rows: list[tuple[Any, ...]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def names(api: Api, sid: int) -> list[tuple[str, int, str]]:
    return [(i["position_code"], i["draw_no"], i["candidate_name"]) for i in api.get_session(sid)["interviews"]]


def test_csv_with_bom_imports_every_row(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    body = (HEADER + "1,张三,A01\r\n2,李四,A01\r\n\r\n1, 王五 ,B02\r\n").encode("utf-8-sig")
    got = upload(api, sid, body, expect=201).json()
    assert got["imported"] == 3
    assert {i["state"] for i in got["interviews"]} == {"waiting"}
    assert names(api, sid) == [("A01", 1, "张三"), ("A01", 2, "李四"), ("B02", 1, "王五")]
    kinds = [line for line in api.call("GET", f"/api/sessions/{sid}/audit.jsonl", 200).text.splitlines()
             if '"interview.created"' in line]
    assert len(kinds) == 3


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_chinese_excel_uses(api: Api, encoding: str) -> None:
    sid = sitting_with_posts(api)["id"]
    upload(api, sid, (HEADER + "7,欧阳娜娜,B02\r\n").encode(encoding), expect=201)
    assert names(api, sid) == [("B02", 7, "欧阳娜娜")]


def test_xlsx_with_columns_in_any_order(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    content = xlsx([("姓名", "岗位代码", "抽签号"), ("张三", "A01", 3), ("李四", "B02", 1.0), (None, None, None)])
    got = upload(api, sid, content, "名单.xlsx", expect=201).json()
    assert got["imported"] == 2
    assert names(api, sid) == [("A01", 3, "张三"), ("B02", 1, "李四")]


def test_bad_rows_are_all_reported_and_nothing_is_imported(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    body = (
        HEADER
        + "1,张三,A01\r\n"     # line 2: fine
        + "x,李四,A01\r\n"     # line 3: draw number not a number
        + "2,,A01\r\n"         # line 4: no name
        + "3,王五,Z99\r\n"     # line 5: unknown post
        + "1,赵六,A01\r\n"     # line 6: repeats line 2
        + "0,孙七,B02\r\n"     # line 7: draw number below 1
        + "4,周八,B02\r\n"     # line 8: fine
    ).encode()
    response = upload(api, sid, body, expect=422)
    got = response.json()
    assert "未导入" in got["detail"]
    lines = {e["line"]: e["message"] for e in got["errors"]}
    assert sorted(lines) == [3, 4, 5, 6, 7]
    assert "抽签号" in lines[3]
    assert "姓名" in lines[4]
    assert "Z99" in lines[5]
    assert "第 2 行" in lines[6]
    assert names(api, sid) == []


def test_draw_number_already_taken_in_the_sitting(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    api.interview(sid, 5, "已在名单", "A01")
    body = (HEADER + "6,新人,A01\r\n5,重复者,A01\r\n5,另一岗位可以,B02\r\n").encode()
    got = upload(api, sid, body, expect=422).json()
    assert [e["line"] for e in got["errors"]] == [3]
    assert "5" in got["errors"][0]["message"]
    assert names(api, sid) == [("A01", 5, "已在名单")]


def test_english_messages_on_request(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    got = upload(api, sid, (HEADER + "1,A,NOPE\r\n").encode(), expect=422,
                 headers={"Accept-Language": "en"}).json()
    assert "nothing was imported" in got["detail"]
    assert got["errors"] == [{"line": 2, "message": "there is no post NOPE: add the post first"}]


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "empty.csv", "空"),
        (b"\xef\xbb\xbf", "bom-only.csv", "没有内容"),
        ("抽签号,姓名,岗位代码\r\n".encode(), "header.csv", "没有考生"),
        ("编号,名字\r\n1,张三\r\n".encode(), "wrong.csv", "缺少列"),
        (b"%PDF-1.7\n\x00\x01\x02binary", "roster.pdf", "CSV"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", ".xls"),
        (b"PK\x03\x04garbage-not-a-zip", "broken.xlsx", "Excel"),
        (b"\xfd\x80\x81\xff" * 20, "noise.csv", "编码"),
        (b"\xff\xfe\x00\xd8", "broken-utf16.csv", "编码"),
        ("抽签号,姓名,岗位代码\r\n1,\"未闭合\r\n".encode() + b"\x00", "nul.csv", "CSV"),
    ],
)
def test_unreadable_files_get_a_clear_chinese_4xx(api: Api, content: bytes, filename: str, expected: str) -> None:
    sid = sitting_with_posts(api)["id"]
    response = upload(api, sid, content, filename)
    assert 400 <= response.status_code < 500, response.text
    assert expected in response.json()["detail"], response.json()
    assert names(api, sid) == []


def test_huge_and_missing_uploads_are_refused(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    big = (HEADER + "1,张三,A01\r\n" * 100_000).encode()  # 1.5 MB: over the roster's limit
    response = upload(api, sid, big, expect=422)
    assert "太大" in response.json()["detail"]
    huge = big * 2  # 3 MB: over any request's limit
    response = upload(api, sid, huge, expect=413)
    assert "太大" in response.json()["detail"]
    rows = (HEADER + "".join(f"{n},考生{n},A01\r\n" for n in range(1, 2002))).encode()
    assert "最多" in upload(api, sid, rows, expect=422).json()["detail"]
    assert api.call("POST", f"/api/sessions/{sid}/roster", data={"x": "1"}).status_code == 422
    assert api.call("POST", f"/api/sessions/{sid}/roster", json={"rows": []}).status_code == 422
    assert upload(api, 999_999, (HEADER + "1,张三,A01\r\n").encode()).status_code == 404
    assert names(api, sid) == []


def test_roster_needs_the_secretary(server: ServerProcess) -> None:
    import httpx

    response = httpx.post(f"{server.url}/api/sessions/1/roster", files={"file": ("a.csv", b"x")})
    assert response.status_code == 401
    assert httpx.get(f"{server.url}/api/roster-template.csv").status_code == 401


def test_templates_import_as_they_are(api: Api) -> None:
    sid = sitting_with_posts(api, "A01", "B02")["id"]
    template = api.call("GET", "/api/roster-template.csv", 200)
    assert template.content.startswith("抽签号,姓名,岗位代码".encode("utf-8-sig"))
    assert upload(api, sid, template.content, expect=201).json()["imported"] == 3
    other = sitting_with_posts(api, "A01", "B02")["id"]
    book = api.call("GET", "/api/roster-template.xlsx", 200)
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert upload(api, other, book.content, "t.xlsx", expect=201).json()["imported"] == 3


# --- QR codes --------------------------------------------------------------------------------


def zbar(png: bytes, tmp_path: Path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed")
def test_qr_codes_decode_to_the_links(api: Api, tmp_path: Path) -> None:
    session = api.session(judge_count=5)
    sid = session["id"]
    seat3 = next(j for j in session["judges"] if j["seat"] == 3)
    png = api.call("GET", f"/api/sessions/{sid}/qr/judge/3.png", 200)
    assert png.headers["content-type"] == "image/png"
    assert zbar(png.content, tmp_path) == seat3["url"]
    assert zbar(api.call("GET", f"/api/sessions/{sid}/qr/display.png", 200).content, tmp_path) == session["display"]["url"]

    svg = api.call("GET", f"/api/sessions/{sid}/qr/judge/3.svg", 200)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<svg") and seat3["url"] in svg.text  # the title names it
    # The SVG is segno's drawing of exactly that URL (the PNG of the same code decoded above).
    from server.api.console import qr_svg

    assert svg.text == qr_svg(seat3["url"])

    assert api.call("GET", f"/api/sessions/{sid}/qr/judge/6.svg").status_code == 404
    assert api.call("GET", f"/api/sessions/{sid}/qr/judge/0.svg").status_code == 422
    assert api.call("GET", "/api/sessions/999999/qr/display.svg").status_code == 404


def test_printable_qr_sheet_and_console_page(api: Api, server: ServerProcess) -> None:
    import httpx

    session = api.session(judge_count=5)
    sheet = api.call("GET", f"/console/sessions/{session['id']}/qr", 200)
    assert sheet.text.count("<svg") == 6
    for judge in session["judges"]:
        assert judge["url"] in sheet.text
    assert "第 5 席" in sheet.text
    # Without the cookie: the sheet sends you to the login, the console shows the login form.
    anonymous = httpx.get(f"{server.url}/console/sessions/{session['id']}/qr", follow_redirects=False)
    assert anonymous.status_code == 303
    login = httpx.get(f"{server.url}/console")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    english = httpx.get(f"{server.url}/console?lang=en")
    assert "Interview scoring console" in english.text


def test_every_console_text_has_an_english_translation() -> None:
    import re

    from babel.messages.pofile import read_po

    from server.api import console

    with (console.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    used = set(console.JS_STRINGS)
    for template in console.TEMPLATES_DIR.glob("*.html"):
        used |= {m.group(2) for m in re.finditer(r"""_\((["'])(.*?)\1""", template.read_text())}
    script = (console.STATIC_DIR / "console.js").read_text()
    assert set(re.findall(r'T\("([^"]+)"', script)) <= set(console.JS_STRINGS)
    assert used - translated == set()
