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
    huge = big * 4  # 6 MB: over the roster upload's request cap (5 MiB)
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
    # console.js gets its strings from JS_STRINGS, or from the page's own "console-strings"
    # block, whose entries are `"id": _("id")` and so are among the template texts above.
    page = (console.TEMPLATES_DIR / "console.html").read_text()
    block = page.split('id="console-strings"', 1)[1].split("</script>", 1)[0] if 'id="console-strings"' in page else ""
    from_page = set(re.findall(r'^\s*"([^"]+)": _\("\1"\),$', block, re.M))
    assert set(re.findall(r'T\("([^"]+)"', script)) <= set(console.JS_STRINGS) | from_page
    assert used - translated == set()


# --- hostile workbooks -----------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def handmade_xlsx(sheet_chunks: Any, shared_chunks: Any = ()) -> bytes:
    """A workbook written by hand, parts streamed in chunks: a bomb needs no memory to build."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        for name, chunks in [("xl/worksheets/sheet1.xml", sheet_chunks),
                             ("xl/sharedStrings.xml", shared_chunks)]:
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk.encode())
    return buffer.getvalue()


def million_cell_row() -> bytes:
    """One row of a million cells: about 16 MB of XML in a few dozen KB."""
    def sheet() -> Any:
        yield _SHEET_HEAD + '<row r="1">'
        for _ in range(100):
            yield "<c><v>1</v></c>" * 10_000
        yield "</row>" + _SHEET_TAIL

    return handmade_xlsx(sheet(), ['<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'])


def shared_string_bomb() -> bytes:
    """A shared-string table of 5 million entries (85 MB) behind a header row."""
    def shared() -> Any:
        yield '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        for _ in range(500):
            yield "<si><t>x</t></si>" * 10_000
        yield "</sst>"

    sheet = [_SHEET_HEAD + '<row r="1"><c t="s"><v>0</v></c></row>' + _SHEET_TAIL]
    return handmade_xlsx(sheet, shared())


@pytest.mark.parametrize(
    ("build", "says"),
    [(million_cell_row, "单元格"), (shared_string_bomb, "共享字符串")],
    ids=["million-cell-row", "shared-string-bomb"],
)
def test_hostile_workbooks_are_refused_fast_without_blocking_the_judges(
    server: ServerProcess, api: Api, build: Any, says: str
) -> None:
    import threading
    import time

    import psutil

    from tests.support import Socket

    content = build()
    assert len(content) < 1_000_000  # under the upload limit: it is the parsing that must refuse
    session = sitting_with_posts(api)
    sid = session["id"]
    process = psutil.Process(server.proc.pid)  # type: ignore[union-attr]
    baseline = process.memory_info().rss
    peak = baseline
    answer: list[Any] = []

    def post() -> None:
        started = time.monotonic()
        answer.append((upload(api, sid, content, "名单.xlsx"), time.monotonic() - started))

    sock = Socket(f"{server.ws_url}/ws/judge/{session['judges'][0]['token']}")
    try:
        sock.recv()  # the state frame
        poster = threading.Thread(target=post)
        poster.start()
        slowest = 0.0
        pings = 0
        while poster.is_alive() or pings < 3:
            peak = max(peak, process.memory_info().rss)
            sent = time.monotonic()
            sock.send({"type": "ping"})
            assert sock.recv_until("pong", timeout=5)["type"] == "pong"
            slowest = max(slowest, time.monotonic() - sent)
            pings += 1
            time.sleep(0.02)
        poster.join()
    finally:
        sock.close()
    response, took = answer[0]
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"] and "无法导入" in response.json()["detail"], response.json()
    assert took < 3, took
    assert slowest < 0.5, f"a judge's ping waited {slowest:.2f} s"
    assert peak - baseline < 150_000_000, f"the server grew by {(peak - baseline) / 1e6:.0f} MB"
    assert names(api, sid) == []
    english = upload(api, sid, content, "roster.xlsx", headers={"Accept-Language": "en"}, expect=422)
    assert "cannot import" in english.json()["detail"]


def test_declared_sizes_are_checked_before_unpacking(api: Api) -> None:
    sid = sitting_with_posts(api)["id"]
    big = handmade_xlsx([_SHEET_HEAD + _SHEET_TAIL],
                        ['<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         + "<si><t>x</t></si>" * 400_000 + "</sst>"])  # 6.8 MB of strings
    assert "共享字符串" in upload(api, sid, big, "a.xlsx", expect=422).json()["detail"]
    rows = [_SHEET_HEAD] + [f'<row r="{n}"><c><v>{n}</v></c></row>' for n in range(1, 30_001)]
    tall = handmade_xlsx(rows + [_SHEET_TAIL], ['<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'])
    assert "行" in upload(api, sid, tall, "b.xlsx", expect=422).json()["detail"]
    # A real roster written the same way by hand still imports: the limits leave rosters alone.
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              "<si><t>抽签号</t></si><si><t>姓名</t></si><si><t>岗位代码</t></si>"
              "<si><t>张三</t></si><si><t>A01</t></si></sst>")
    sheet = (_SHEET_HEAD
             + '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
             + '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>4</v></c></row>'
             + _SHEET_TAIL)
    assert upload(api, sid, handmade_xlsx([sheet], [shared]), "c.xlsx", expect=201).json()["imported"] == 1
