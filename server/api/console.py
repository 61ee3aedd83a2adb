"""The secretary's console: the page, the roster import, templates and QR codes.

``mount(app)`` adds:

- ``GET /console`` — the login form, or the console once the login cookie is valid;
- ``GET /console/sessions/{sid}/qr`` — a printable sheet of every seat's and the display's QR code;
- ``POST /api/sessions/{sid}/roster`` — a CSV or XLSX roster (抽签号, 姓名, 岗位代码), imported whole
  or not at all;
- ``GET /api/roster-template.csv`` and ``.xlsx``;
- ``GET /api/sessions/{sid}/qr/judge/{seat}.svg|.png`` and ``/qr/display.svg|.png``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from server.api import i18n
from server.api.deps import (
    CurrentSecretary,
    KioskDep,
    SessionId,
    SettingsDep,
    bearer_or_cookie,
)
from server.api.routes import links
from server.domain import sitting as sd
from server.domain import views
from server.errors import KioskError, NotAuthenticated, NotFound, Unprocessable
from server.store import repository as repo
from server.store import sittings as store

UI_DIR = Path(__file__).resolve().parents[2] / "console_ui"
TEMPLATES_DIR = UI_DIR / "templates"
STATIC_DIR = UI_DIR / "static"
TRANSLATIONS_DIR = UI_DIR / "translations"

MAX_ROSTER_BYTES = 1_000_000
MAX_ROSTER_ROWS = 2000
MAX_DRAW_NO = 1_000_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Accepted header names for each roster column (compared after trimming, case-insensitively).
HEADERS = {
    "draw_no": ("抽签号", "抽签序号", "draw_no", "draw number", "draw"),
    "candidate_name": ("姓名", "考生姓名", "竞聘者姓名", "candidate_name", "name"),
    "position_code": ("岗位代码", "岗位编码", "岗位编号", "position_code", "post code", "post"),
}
TEMPLATE_ROWS = [
    ("抽签号", "姓名", "岗位代码"),
    (1, "张三", "A01"),
    (2, "李四", "A01"),
    (1, "王五", "B02"),
]

#: Every string console.js shows, by its Chinese id; the page receives them translated.
JS_STRINGS = [
    "等待中",
    "面试中",
    "已评分",
    "已宣布",
    "已确认",
    "缺考",
    "有异议",
    "在线",
    "无响应",
    "未连接",
    "已提交",
    "未提交",
    "免评",
    "去掉最高分",
    "去掉最低分",
    "第 {seat} 席",
    "{n} 台设备",
    "实时连接正常",
    "实时连接已断开，正在重连…",
    "开始面试",
    "宣布成绩",
    "拒绝签字",
    "免评席位",
    "重新评分",
    "设置倒计时",
    "查看",
    "名单还没有考生。",
    "操作失败",
    "已导入 {n} 名考生。",
    "名单有误，未导入任何一行：",
    "第 {line} 行：{message}",
    "请选择要导入的文件。",
    "第 {seats} 席的评分与其他评委相差超过 15 分，宣布前请与评委核实。",
    "面试得分",
    "没有进行中的面试。",
    "已提交 {n} / {m}",
    "倒计时 {t}",
    "倒计时已结束",
    "排名功能尚未启用。",
    "名次",
    "抽签号",
    "姓名",
    "总成绩",
    "入围",
    "考察对象",
    "并列",
    "不足 60 分",
    "暂无已评分的考生。",
    "拟确定 {n} 名考察对象",
    "名额",
    "差额比例",
    "还没有岗位。",
    "已添加岗位 {code}。",
    "已创建场次。",
    "评委席位",
    "签字时间",
    "备注",
    "网络错误，请重试。",
    "已登录失效，请重新登录。",
    "评委",
    "大屏",
    "复制链接",
    "已复制",
    "面试已开始。",
    "成绩已宣布。",
    "已记为缺考。",
    "已记录异议。",
    "已免评。",
    "已重新开放评分。",
    "倒计时已设置。",
    "分钟",
    "不限时",
]


# --- the roster ------------------------------------------------------------------------------


@dataclass
class RosterRow:
    line: int
    draw_no: int
    candidate_name: str
    position_code: str


class RosterInvalid(Unprocessable):
    code = "roster_invalid"

    def __init__(self, problems: list[tuple[int, str, str]]) -> None:
        shown = problems[:200]
        super().__init__(
            f"名单有 {len(problems)} 处错误，未导入任何一行。请改正后重新导入。",
            f"The roster has {len(problems)} error(s); nothing was imported. Fix them and import again.",
        )
        self.problems = shown


def _bad_file(zh: str, en: str) -> Unprocessable:
    error = Unprocessable(zh, en)
    error.code = "roster_unreadable"
    return error


def decode_csv(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK, as Chinese Excel saves)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # UTF-16 or a binary file that happens to decode
        return text
    raise _bad_file(
        "无法识别文件编码。请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 后重新导入。",
        "Cannot read the file's encoding: save it as CSV UTF-8 or .xlsx and import again.",
    )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(raw: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The file's rows as (line number, cells), whichever of CSV or XLSX it is."""
    if not raw:
        raise _bad_file("文件是空的。", "The file is empty.")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _bad_file(
            "不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV 后导入。",
            "Old .xls files are not supported: save as .xlsx or CSV.",
        )
    if raw.startswith(b"PK\x03\x04"):
        return _xlsx_rows(raw)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise _bad_file(
            "文件内容不是有效的 Excel 表格。", "The file is not a valid Excel workbook."
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
        try:
            raw = raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise _bad_file(
                "无法识别文件编码。请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 后重新导入。",
                "Cannot read the file's encoding: save it as CSV UTF-8 or .xlsx and import again.",
            ) from None
    if b"\x00" in raw[:4096]:
        raise _bad_file(
            "这不是 CSV 或 XLSX 文件。请使用名单模板。",
            "This is not a CSV or XLSX file: use the roster template.",
        )
    text = decode_csv(raw)
    first_line = next(iter(text.splitlines()), "")
    # Excel writes commas; a sheet pasted from elsewhere may use tabs or semicolons.
    delimiter = max((",", "\t", ";", "，"), key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for cells in reader:
            rows.append((start, [c.strip() for c in cells]))
            start = reader.line_num + 1
            if len(rows) > MAX_ROSTER_ROWS + 1:
                break
    except csv.Error as exc:
        raise _bad_file(
            f"CSV 格式错误（第 {reader.line_num} 行）：{exc}",
            f"CSV format error (line {reader.line_num}): {exc}",
        ) from None
    return rows


#: Limits on an uploaded workbook, checked before openpyxl opens it. A 115 KB file can hold one
#: row of a million cells (openpyxl builds the whole row: 1 GB) or a 1.5 GB shared-string table.
XLSX_MAX_MEMBERS = 200
XLSX_MAX_TOTAL = 20_000_000  # bytes, uncompressed, all members
XLSX_MAX_MEMBER = {"xl/sharedStrings.xml": 5_000_000}
XLSX_MAX_SHEET_ROWS = 20_000  # <row> elements in the first sheet, empty ones included
XLSX_MAX_ROW_CELLS = 200  # cells written in one row (only the first 20 columns are read)
XLSX_READ_COLUMNS = 20


def _too_big(zh: str, en: str) -> Unprocessable:
    return _bad_file(
        f"该 Excel 文件{zh}，无法导入。请使用名单模板，只保留名单本身。",
        f"This Excel file {en}: cannot import it. Use the roster template.",
    )


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The member holding the workbook's first sheet (the one the import reads)."""
    from defusedxml import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    sheet = workbook.find(f"{main}sheets/{main}sheet")
    if sheet is None:
        return None
    rid = sheet.get(f"{rel_ns}id")
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


class _Stop(Exception):
    pass


def _scan_sheet(archive: zipfile.ZipFile, member: str) -> None:
    """Stream the sheet's XML, refusing a row of too many cells or too many rows.

    expat reads it in 64 KB pieces and keeps nothing: memory stays flat whatever the sheet holds.
    """
    import xml.parsers.expat

    rows = 0
    cells = 0
    problem: list[tuple[str, str]] = []

    def start(name: str, _attrs: Any) -> None:
        nonlocal rows, cells
        local = name.rsplit(":", 1)[-1]
        if local == "row":
            rows += 1
            cells = 0
            if rows > XLSX_MAX_SHEET_ROWS:
                problem.append(
                    (
                        f"的第一个工作表超过 {XLSX_MAX_SHEET_ROWS} 行（含空行）",
                        f"has more than {XLSX_MAX_SHEET_ROWS} rows (empty ones included)",
                    )
                )
                raise _Stop
        elif local == "c":
            cells += 1
            if cells > XLSX_MAX_ROW_CELLS:
                problem.append(
                    (
                        f"第 {rows} 行超过 {XLSX_MAX_ROW_CELLS} 个单元格",
                        f"has more than {XLSX_MAX_ROW_CELLS} cells in row {rows}",
                    )
                )
                raise _Stop

    def no_doctype(*_args: Any) -> None:
        problem.append(("含有 DTD 声明", "declares a DTD"))
        raise _Stop

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = no_doctype
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(65536):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        zh, en = problem[0]
        raise _too_big(zh, en) from None
    except (xml.parsers.expat.ExpatError, zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _bad_file(
            "无法读取该 Excel 文件，请确认是 .xlsx 格式。", f"Cannot read this Excel file: {exc}"
        ) from None


def check_xlsx_archive(raw: bytes) -> None:
    """Refuse a workbook whose archive declares too much, before anything is decompressed.

    Python's zipfile stops at a member's declared size (and fails the CRC), so the declared
    sizes bound what any reader of the archive can be made to inflate.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _bad_file(
            "无法读取该 Excel 文件，请确认是 .xlsx 格式。",
            "Cannot read this Excel file: it is not a valid .xlsx archive.",
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise _too_big(
                f"含有 {len(members)} 个部件（最多 {XLSX_MAX_MEMBERS} 个）",
                f"has {len(members)} parts (at most {XLSX_MAX_MEMBERS})",
            )
        for member in members:
            limit = XLSX_MAX_MEMBER.get(member.filename)
            if limit is not None and member.file_size > limit:
                raise _too_big(
                    f"的共享字符串表解压后有 {member.file_size // 1_000_000} MB（最多 {limit // 1_000_000} MB）",
                    f"has a shared-string table of {member.file_size // 1_000_000} MB "
                    f"(at most {limit // 1_000_000} MB)",
                )
        total = sum(m.file_size for m in members)
        if total > XLSX_MAX_TOTAL:
            raise _too_big(
                f"解压后有 {total // 1_000_000} MB（最多 {XLSX_MAX_TOTAL // 1_000_000} MB）",
                f"unpacks to {total // 1_000_000} MB (at most {XLSX_MAX_TOTAL // 1_000_000} MB)",
            )
        try:
            sheet = _first_sheet(archive)
        except Exception:  # noqa: BLE001 - a damaged workbook part: openpyxl will say so below
            sheet = None
        names = archive.namelist()
        # When the first sheet cannot be told, every sheet is held to the limits.
        sheets = (
            [sheet]
            if sheet is not None and sheet in names
            else [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        )
        for sheet_name in sheets:
            _scan_sheet(archive, sheet_name)


def _xlsx_rows(raw: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl

    check_xlsx_archive(raw)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise _bad_file(
            "无法读取该 Excel 文件，请确认是 .xlsx 格式。", f"Cannot read this Excel file: {exc}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise _bad_file("无法读取该 Excel 文件。", f"Cannot read this Excel file: {exc}") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _bad_file("Excel 文件中没有工作表。", "The workbook has no sheet.")
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(
            sheet.iter_rows(values_only=True, max_col=XLSX_READ_COLUMNS), start=1
        ):
            cells = [_cell_text(v) for v in values]
            if any(cells):  # empty rows do not count towards the limit
                rows.append((number, cells))
            if len(rows) > MAX_ROSTER_ROWS + 1:
                break
        return rows
    except KioskError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _bad_file("无法读取该 Excel 文件。", f"Cannot read this Excel file: {exc}") from None
    finally:
        book.close()


def _header_map(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").lower()
        for field_name, aliases in HEADERS.items():
            if name in aliases and field_name not in found:
                found[field_name] = index
    return found


def _draw_no(text: str) -> int | None:
    text = text.strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= MAX_DRAW_NO else None


def parse_roster(
    rows: list[tuple[int, list[str]]],
    position_codes: set[str],
    taken: set[tuple[str, int]],
) -> list[RosterRow]:
    """Check every row against the sitting; return them all, or raise listing each bad line."""
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise _bad_file("文件中没有内容。", "The file has no rows.")
    header_line, header = rows[0]
    columns = _header_map(header)
    missing = [HEADERS[f][0] for f in HEADERS if f not in columns]
    if missing:
        raise _bad_file(
            f"第 {header_line} 行应为表头，缺少列：{'、'.join(missing)}。请使用名单模板。",
            f"Line {header_line} should be the header; missing column(s): "
            f"{', '.join(missing)}. Use the roster template.",
        )
    body = rows[1:]
    if not body:
        raise _bad_file("名单中没有考生。", "The roster has no candidates.")
    if len(body) > MAX_ROSTER_ROWS:
        raise _bad_file(
            f"名单太长：一次最多导入 {MAX_ROSTER_ROWS} 行。",
            f"The roster is too long: at most {MAX_ROSTER_ROWS} rows at a time.",
        )
    problems: list[tuple[int, str, str]] = []
    good: list[RosterRow] = []
    seen: dict[tuple[str, int], int] = {}

    def cell(cells: list[str], name: str) -> str:
        index = columns[name]
        return cells[index].strip() if index < len(cells) else ""

    for line, cells in body:
        draw_text = cell(cells, "draw_no")
        name = cell(cells, "candidate_name")
        code = cell(cells, "position_code")
        errors: list[tuple[str, str]] = []
        draw_no = _draw_no(draw_text)
        if draw_no is None:
            errors.append(
                (
                    f"抽签号“{draw_text}”应为 1 到 {MAX_DRAW_NO} 的整数",
                    f"draw number “{draw_text}” must be a whole number from 1 to {MAX_DRAW_NO}",
                )
                if draw_text
                else ("缺少抽签号", "the draw number is missing")
            )
        if not name:
            errors.append(("缺少姓名", "the name is missing"))
        elif len(name) > 50:
            errors.append(
                ("姓名太长（最多 50 个字符）", "the name is too long (at most 50 characters)")
            )
        elif any(ord(c) < 32 for c in name):
            errors.append(("姓名含有控制字符", "the name contains control characters"))
        if not code:
            errors.append(("缺少岗位代码", "the post code is missing"))
        elif code not in position_codes:
            errors.append(
                (
                    f"岗位代码 {code} 不存在，请先添加该岗位",
                    f"there is no post {code}: add the post first",
                )
            )
        if draw_no is not None and code:
            key = (code, draw_no)
            if key in seen:
                errors.append(
                    (
                        f"岗位 {code} 的抽签号 {draw_no} 与第 {seen[key]} 行重复",
                        f"draw number {draw_no} for post {code} repeats line {seen[key]}",
                    )
                )
            elif key in taken:
                errors.append(
                    (
                        f"岗位 {code} 已有抽签号 {draw_no}",
                        f"post {code} already has draw number {draw_no}",
                    )
                )
            else:
                seen[key] = line
        if errors:
            problems.append(
                (line, "；".join(e[0] for e in errors), "; ".join(e[1] for e in errors))
            )
        else:
            assert draw_no is not None
            good.append(RosterRow(line, draw_no, name, code))
    if problems:
        raise RosterInvalid(problems)
    return good


# --- QR codes --------------------------------------------------------------------------------


#: Quiet zone around every code, in modules: ISO/IEC 18004 asks for 4; phone readers need it.
QR_BORDER = 4


def qr_svg(url: str, scale: int = 4) -> str:
    """``url`` as an SVG QR code that keeps its shape at any CSS size.

    The SVG carries a ``viewBox`` besides its size: a page that sizes it (the printed sheet does)
    scales the whole code. Without one, a code larger than its box was cut off, quiet zone and
    finder patterns first: the display's longer link gave a bigger code, which did not scan.
    """
    buffer = io.BytesIO()
    import segno  # loaded on first QR code: idle servers stay small

    code = segno.make(url, error="m", micro=False)
    code.save(
        buffer, kind="svg", scale=scale, border=QR_BORDER, xmldecl=False, svgns=True, title=url
    )
    side = code.symbol_size(scale=scale, border=QR_BORDER)[0]
    svg = buffer.getvalue().decode()
    return svg.replace("<svg ", f'<svg viewBox="0 0 {side} {side}" ', 1)


def qr_png(url: str, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    import segno

    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=QR_BORDER)
    return buffer.getvalue()


# --- routes ----------------------------------------------------------------------------------


router = APIRouter(prefix="/api", dependencies=[CurrentSecretary])
templates_router = APIRouter()


_templates = i18n.templates(TEMPLATES_DIR, TRANSLATIONS_DIR)


@router.post("/sessions/{session_id}/roster", status_code=201)
async def import_roster(
    session_id: SessionId,
    kiosk: KioskDep,
    file: Annotated[UploadFile, File(description="CSV or XLSX: 抽签号, 姓名, 岗位代码")],
) -> dict[str, Any]:
    raw = await file.read(MAX_ROSTER_BYTES + 1)
    if len(raw) > MAX_ROSTER_BYTES:
        raise _bad_file(
            f"文件太大（最多 {MAX_ROSTER_BYTES // 1000} KB）。",
            "The file is too large (1 MB at most).",
        )
    # Parsing a workbook is CPU work of up to a second or two: on a worker thread, so the judges'
    # sockets are answered meanwhile.
    rows = await asyncio.to_thread(read_rows, raw, file.filename or "")

    before = await kiosk.view(session_id)
    codes = {p.code for p in before.positions}
    taken = {(i.position_code, i.draw_no) for i in before.interviews}
    roster = parse_roster(rows, codes, taken)

    def commands(conn: Any) -> list[sd.Command]:
        # Checked above; the decider checks each again on the writer, and the roster is one
        # transaction, so a conflicting change made meanwhile rolls the whole import back.
        return [
            sd.AddInterview(
                store.reserve_id(conn, "interview"), r.draw_no, r.candidate_name, r.position_code
            )
            for r in roster
        ]

    outcome = await kiosk.run(session_id, commands)
    ids = {e.data["interview_id"] for e in outcome.events if e.kind == "interview.created"}
    view = sd.sitting_view(outcome.state)
    return {
        "imported": len(ids),
        "interviews": [
            views.interview_for_secretary(view, i) for i in view.interviews if i.id in ids
        ],
    }


@router.get("/roster-template.csv")
async def roster_template_csv() -> Response:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return Response(
        buffer.getvalue().encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="roster-template.csv"'},
    )


@router.get("/roster-template.xlsx")
async def roster_template_xlsx() -> Response:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名单"
    for row in TEMPLATE_ROWS:
        sheet.append(list(row))
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 14
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MIME,
        headers={"Content-Disposition": 'attachment; filename="roster-template.xlsx"'},
    )


async def _link_for(
    request: Request, kiosk: Any, settings: Any, session_id: int, seat: int | None
) -> str:
    tokens = await kiosk.db.read(
        lambda db: (repo.get_sitting(db, session_id), repo.tokens_of(db, session_id))[1]
    )
    found = links(request, settings, tokens)
    if seat is None:
        return found["display"]["url"]
    for judge in found["judges"]:
        if judge["seat"] == seat:
            return judge["url"]
    raise NotFound(f"本场次没有第 {seat} 席。", f"This sitting has no seat {seat}.")


Seat = Annotated[int, PathParam(ge=1, le=15)]


@router.get("/sessions/{session_id}/qr/judge/{seat}.svg")
async def judge_qr_svg(
    session_id: SessionId, seat: Seat, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> Response:
    url = await _link_for(request, kiosk, settings, session_id, seat)
    return Response(qr_svg(url), media_type="image/svg+xml")


@router.get("/sessions/{session_id}/qr/judge/{seat}.png")
async def judge_qr_png(
    session_id: SessionId, seat: Seat, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> Response:
    url = await _link_for(request, kiosk, settings, session_id, seat)
    return Response(qr_png(url), media_type="image/png")


@router.get("/sessions/{session_id}/qr/display.svg")
async def display_qr_svg(
    session_id: SessionId, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> Response:
    url = await _link_for(request, kiosk, settings, session_id, None)
    return Response(qr_svg(url), media_type="image/svg+xml")


@router.get("/sessions/{session_id}/qr/display.png")
async def display_qr_png(
    session_id: SessionId, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> Response:
    url = await _link_for(request, kiosk, settings, session_id, None)
    return Response(qr_png(url), media_type="image/png")


async def _logged_in(request: Request, kiosk: Any, settings: Any) -> bool:
    token = bearer_or_cookie(request)
    try:
        await kiosk.db.read(
            lambda db: repo.check_login_token(db, token, timedelta(hours=settings.login_hours))
        )
    except NotAuthenticated:
        return False
    return True


def _local_only(url: str) -> bool:
    host = url.split("//", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    return host in ("localhost", "127.0.0.1", "::1") or host.startswith("127.")


@templates_router.get("/console", response_class=HTMLResponse, include_in_schema=False)
async def console_page(request: Request, kiosk: KioskDep, settings: SettingsDep) -> Response:
    logged_in = await _logged_in(request, kiosk, settings)
    gettext = i18n.gettext_for(request, TRANSLATIONS_DIR)
    strings = {s: gettext(s) for s in JS_STRINGS}
    config = {
        "strings": strings,
        "staleAfter": settings.stale_after,
        "lang": i18n.negotiate(request),
    }
    return i18n.render(
        _templates,
        request,
        "console.html",
        TRANSLATIONS_DIR,
        logged_in=logged_in,
        config_json=json.dumps(config, ensure_ascii=False).replace("</", "<\\/"),
    )


@templates_router.get(
    "/console/sessions/{session_id}/qr", response_class=HTMLResponse, include_in_schema=False
)
async def qr_sheet(
    session_id: SessionId, request: Request, kiosk: KioskDep, settings: SettingsDep
) -> Response:
    if not await _logged_in(request, kiosk, settings):
        return RedirectResponse("/console", status_code=303)
    snapshot = await kiosk.view(session_id)
    tokens = await kiosk.db.read(lambda db: repo.tokens_of(db, session_id))
    found = links(request, settings, tokens)
    cards = [
        {"label": ("judge", j["seat"]), "url": j["url"], "svg": qr_svg(j["url"], scale=5)}
        for j in found["judges"]
    ]
    cards.append(
        {
            "label": ("display", None),
            "url": found["display"]["url"],
            "svg": qr_svg(found["display"]["url"], scale=5),
        }
    )
    return i18n.render(
        _templates,
        request,
        "qr_sheet.html",
        TRANSLATIONS_DIR,
        session=views.session_summary(snapshot),
        cards=cards,
        local_only=_local_only(found["display"]["url"]),
    )


def mount(app: FastAPI) -> None:
    """Add the console's page, static files and API routes to ``app``."""
    app.include_router(router)
    app.include_router(templates_router)
    app.mount("/console/static", StaticFiles(directory=str(STATIC_DIR)), name="console_static")

    @app.exception_handler(RosterInvalid)
    async def roster_invalid(request: Request, exc: RosterInvalid) -> Response:
        from fastapi.responses import JSONResponse

        lang = "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"
        return JSONResponse(
            {
                "detail": exc.text(lang),
                "code": exc.code,
                "errors": [
                    {"line": line, "message": en if lang == "en" else zh}
                    for line, zh, en in exc.problems
                ],
            },
            exc.status_code,
        )
