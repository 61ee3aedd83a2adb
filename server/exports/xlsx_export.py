"""The XLSX export: the marks, a ranking sheet per post, the judges' sheets and calibration, and
the audit log.

Numbers are written as numbers (``Decimal`` cells) with a number format showing the sitting's
decimals, so a spreadsheet can sum them and still shows "85.0" and "80.13" as announced.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server.domain.ranking import PostRanking
from server.domain.scoring import fmt
from server.domain.states import SCORED_STATES
from server.exports import sheet_record
from server.exports.record import (
    STATE_ZH,
    UNRANKED_ZH,
    Record,
    dropped_seat,
    local,
    local_note,
    rules_text,
)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
DROPPED = Font(strike=True, color="888888")
DROPPED_FILL = PatternFill("solid", fgColor="F2F2F2")
FLAG_FILL = PatternFill("solid", fgColor="FFF2CC")
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def number_format(places: int) -> str:
    return "0" if places == 0 else "0." + "0" * places


def render(record: Record) -> bytes:
    """Return the sitting's workbook as XLSX bytes."""
    book = Workbook()
    marks = book.active
    assert marks is not None
    marks.title = "成绩登记"
    _marks_sheet(marks, record)
    used = {marks.title, "审计日志", "评委评分表", "评委校准"}
    for post in record.ranking.posts:
        name = _sheet_name(f"排名-{post.position.code}", used)
        used.add(name)
        _ranking_sheet(book.create_sheet(name), record, post)
    if sheet_record.criteria_of(record.session):
        _parts_sheet(book.create_sheet("评委评分表"), record)
    _calibration_sheet(book.create_sheet("评委校准"), record)
    _audit_sheet(book.create_sheet("审计日志"), record)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(wanted: str, used: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", wanted)[:28]
    name, n = base, 2
    while name in used:
        name, n = f"{base}~{n}", n + 1
    return name


def _naive_local(moment: datetime | None) -> datetime | None:
    # Excel has no time zones: write Beijing time, as the header says.
    return None if moment is None else local(moment).replace(tzinfo=None)


def _header(ws: Worksheet, row: int, titles: list[str], widths: Sequence[float]) -> None:
    for col, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = _put(ws, row, col, title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = CENTER
        ws.column_dimensions[get_column_letter(col)].width = width


def _title(ws: Worksheet, text: str, lines: list[str]) -> int:
    """Write a title and a few lines under it; return the next free row."""
    _put(ws, 1, 1, text).font = TITLE
    for offset, line in enumerate(lines, start=2):
        _put(ws, offset, 1, line)
    return len(lines) + 2


def _put(ws: Worksheet, row: int, col: int, value: Any, fmt: str | None = None) -> Any:
    """Write one cell; text is always a plain string, never a formula."""
    if isinstance(value, str):
        # A dispute note or a batch may hold control characters, which XLSX cannot store.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        # openpyxl takes any text starting with "=" for a formula: a candidate named
        # "=HYPERLINK(...)" would run in the secretary's Excel. Text stays text.
        cell.data_type = "s"
    if fmt is not None and value is not None:
        cell.number_format = fmt
    return cell


def _marks_sheet(ws: Worksheet, record: Record) -> None:
    s = record.session
    components = record.ranking.components
    score_fmt = number_format(s.score_decimals)
    result_fmt = number_format(s.result_decimals)
    part_fmt = number_format(2)
    seats = list(range(1, s.judge_count + 1))
    row = _title(
        ws,
        f"面试成绩登记表 — {s.title}",
        [
            (
                f"日期：{record.held_on():%Y-%m-%d}　批次：{s.batch or '—'}　"
                f"审计链头（第 {record.head_seq} 条）：{record.head_hash}"
            ),
            *rules_text(record),
            "划线灰底的分数为去掉的最高分、最低分；“回避”为该评委回避本场面试。",
        ],
    )
    titles = ["抽签号", "姓名", "岗位代码", "岗位名称"] + [f"评委{n}" for n in seats]
    titles += ["去掉最高分(席位)", "去掉最低分(席位)", "面试得分"]
    titles += [f"{c.name}" for c in components] + (["总成绩"] if components else [])
    titles += ["状态", "签字时间(北京时间)", "备注"]
    widths = [8, 12, 10, 18] + [8] * len(seats) + [15, 15, 10]
    widths += [10] * len(components) + ([10] if components else []) + [12, 20, 24]
    header_row = row
    _header(ws, header_row, titles, widths)
    totals = {
        r.candidate.interview_id: r.total for post in record.ranking.posts for r in post.ranking
    }
    for interview in s.interviews:
        row += 1
        reveal = interview.state in SCORED_STATES
        values: list[Any] = [
            interview.draw_no,
            interview.candidate_name,
            interview.position_code,
            interview.position_name,
        ]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
        col = len(values)
        for seat in seats:
            col += 1
            if seat in interview.excused:
                _put(ws, row, col, "回避").alignment = CENTER
                continue
            if not reveal or seat not in interview.marks:
                continue
            cell = _put(ws, row, col, interview.marks[seat], score_fmt)
            if dropped_seat(interview, seat):
                cell.font = DROPPED
                cell.fill = DROPPED_FILL
        _put(ws, row, col + 1, interview.dropped_high if reveal else None)
        _put(ws, row, col + 2, interview.dropped_low if reveal else None)
        _put(ws, row, col + 3, interview.result if reveal else None, result_fmt)
        col += 3
        entered = record.scores.get(interview.id, {})
        for component in components:
            col += 1
            _put(ws, row, col, entered.get(component.id), part_fmt)
        if components:
            col += 1
            _put(ws, row, col, totals.get(interview.id), result_fmt)
        _put(ws, row, col + 1, STATE_ZH.get(interview.state, interview.state))
        _put(ws, row, col + 2, _naive_local(interview.signed_at), TIME_FORMAT)
        _put(ws, row, col + 3, local_note(interview) or None)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)


def _ranking_sheet(ws: Worksheet, record: Record, post: PostRanking) -> None:
    s = record.session
    components = record.ranking.components
    result_fmt = number_format(s.result_decimals)
    p = post.position
    row = _title(
        ws,
        f"岗位排名 — {p.code} {p.name}",
        [
            (
                f"职位数 {p.openings}，考察比例 {fmt(p.shortlist_ratio)}，"
                f"初步考察对象 {post.shortlist_size} 人（末位并列者一并列入，由领导小组研究确定）。"
            ),
            f"场次：{s.title}　审计链头：{record.head_hash}",
        ],
    )
    titles = ["名次", "抽签号", "姓名", "面试得分"] + [c.name for c in components]
    titles += ["总成绩", "达到60分", "初步考察对象", "末位并列"]
    widths = [8, 8, 12, 10] + [10] * len(components) + [10, 10, 14, 10]
    _header(ws, row, titles, widths)
    header_row = row
    for ranked in post.ranking:
        row += 1
        c = ranked.candidate
        values: list[tuple[Any, str | None]] = [
            (ranked.rank, None),
            (c.draw_no, None),
            (c.candidate_name, None),
            (ranked.interview, result_fmt),
        ]
        values += [(c.components.get(comp.id), number_format(2)) for comp in components]
        values += [
            (ranked.total, result_fmt),
            ("是" if ranked.eligible else "否", None),
            ("是" if ranked.shortlisted else "", None),
            ("并列，待研究" if ranked.tie_at_cutoff else "", None),
        ]
        for col, (value, shown) in enumerate(values, start=1):
            cell = _put(ws, row, col, value, shown)
            if ranked.tie_at_cutoff:
                cell.fill = FLAG_FILL
    if post.unranked:
        row += 2
        _put(ws, row, 1, "未参加排名").font = BOLD
        row += 1
        for col, title in enumerate(["抽签号", "姓名", "状态", "原因"], start=1):
            cell = _put(ws, row, col + 1, title)
            cell.font = BOLD
            cell.fill = HEADER_FILL
        for apart in post.unranked:
            row += 1
            c = apart.candidate
            reason = UNRANKED_ZH[apart.reason]
            if apart.missing:
                names = {comp.id: comp.name for comp in components}
                reason += "：" + "、".join(names.get(m, str(m)) for m in apart.missing)
            for col, value in enumerate(
                [c.draw_no, c.candidate_name, STATE_ZH.get(c.state, c.state), reason], start=2
            ):
                _put(ws, row, col, value)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _parts_sheet(ws: Worksheet, record: Record) -> None:
    """Every seat's part of every element, a row per seat and interview (评委评分表)."""
    s = record.session
    criteria = sheet_record.criteria_of(s)
    per_element = sheet_record.trim_of(s) == "per_criterion"
    score_fmt = number_format(s.score_decimals)
    result_fmt = number_format(s.result_decimals)
    row = _title(
        ws,
        f"评委评分表 — {s.title}",
        [
            *sheet_record.rules_lines(s),
            "划线灰底的分数为去掉的分数；评分结束前不显示任何分数。",
        ],
    )
    titles = ["岗位代码", "抽签号", "姓名", "评委席位"]
    titles += [f"{c.name}（{sheet_record.plain(c.max)}）" for c in criteria] + [
        "合计",
        "去掉",
        "面试得分",
    ]
    widths = [10, 8, 12, 9] + [12] * len(criteria) + [9, 8, 10]
    header_row = row
    _header(ws, header_row, titles, widths)
    first = len(titles) - len(criteria) - 3 + 1  # the column of the first element
    for interview in s.interviews:
        parts = sheet_record.revealed_parts(interview)
        outcome = sheet_record.outcome(s, interview)
        dropped = sheet_record.dropped_parts(outcome)
        for seat in range(1, s.judge_count + 1):
            row += 1
            for col, value in enumerate(
                [interview.position_code, interview.draw_no, interview.candidate_name, seat],
                start=1,
            ):
                _put(ws, row, col, value)
            if seat in interview.excused:
                _put(ws, row, first, "回避").alignment = CENTER
                continue
            own = parts.get(seat)
            if own is None:
                continue
            for offset, c in enumerate(criteria):
                cell = _put(ws, row, first + offset, own.get(c.code), score_fmt)
                if seat in dropped.get(c.code, ()):
                    cell.font = DROPPED
                    cell.fill = DROPPED_FILL
            total = interview.marks.get(seat)
            cell = _put(ws, row, first + len(criteria), total, score_fmt)
            side = dropped_seat(interview, seat)
            if side:
                cell.font = DROPPED
                cell.fill = DROPPED_FILL
                _put(ws, row, first + len(criteria) + 1, "最高" if side == "high" else "最低")
        if per_element and outcome is not None:
            row += 1
            _put(ws, row, 3, interview.candidate_name)
            _put(ws, row, 4, "要素平均").font = BOLD
            averages = outcome.averages(s.result_decimals)
            for offset, c in enumerate(criteria):
                _put(ws, row, first + offset, Decimal(averages[c.code]), result_fmt).font = BOLD
        if parts:
            _put(ws, row, first + len(criteria) + 2, interview.result, result_fmt).font = BOLD
    ws.freeze_panes = ws.cell(row=header_row + 1, column=5)


def _calibration_sheet(ws: Worksheet, record: Record) -> None:
    """Each seat against the panel: drops, the mean deviation, and every deviation of the day."""
    s = record.session
    result_fmt = number_format(s.result_decimals)
    deviation_fmt = number_format(max(s.score_decimals, s.result_decimals))
    data = sheet_record.calibration(s)
    per_element = sheet_record.trim_of(s) == "per_criterion" and bool(sheet_record.criteria_of(s))
    row = _title(
        ws,
        f"评委评分校准 — {s.title}",
        [
            "偏差 = 评委打分 − 面试得分（已评分的考生）；平均偏差精确计算，最后四舍五入一次。",
            "总被去掉最高分或最低分、或平均偏差较大的评委，宜在下一场前沟通。",
        ],
    )
    titles = ["评委席位", "评分次数", "被去掉最高分", "被去掉最低分", "平均偏差"]
    titles += ["要素被去最高", "要素被去最低"] if per_element else []
    _header(ws, row, titles, [10, 10, 13, 13, 10] + ([13, 13] if per_element else []))
    for seat in data["seats"]:
        row += 1
        mean = seat["mean_deviation"]
        values: list[tuple[Any, str | None]] = [
            (seat["seat"], None),
            (seat["marks"], None),
            (seat["dropped_high"], None),
            (seat["dropped_low"], None),
            (Decimal(mean) if mean is not None else None, result_fmt),
        ]
        if per_element:
            values += [(seat["parts_dropped_high"], None), (seat["parts_dropped_low"], None)]
        for col, (value, shown) in enumerate(values, start=1):
            _put(ws, row, col, value, shown)
    scored = sheet_record.scored_interviews(s)
    if not scored:
        return
    row += 2
    _put(ws, row, 1, "每位考生的偏差（按面试顺序）").font = BOLD
    row += 1
    seats = [seat["seat"] for seat in data["seats"]]
    _header(
        ws,
        row,
        ["岗位代码", "抽签号", "面试得分"] + [f"评委{n}" for n in seats],
        [10, 8, 10] + [9] * len(seats),
    )
    for interview in scored:
        row += 1
        _put(ws, row, 1, interview.position_code)
        _put(ws, row, 2, interview.draw_no)
        _put(ws, row, 3, interview.result, result_fmt)
        for col, seat in enumerate(seats, start=4):
            mark = interview.marks.get(seat)
            if mark is not None:
                _put(ws, row, col, mark - interview.result, deviation_fmt)


def _audit_sheet(ws: Worksheet, record: Record) -> None:
    row = _title(
        ws,
        f"审计日志 — {record.session.title}",
        [f"共 {record.head_seq} 条；链头哈希：{record.head_hash}；时间为 UTC。"],
    )
    _header(
        ws,
        row,
        ["序号", "时间(UTC)", "操作者", "事件", "数据", "前一哈希", "哈希"],
        [7, 28, 11, 20, 60, 68, 68],
    )
    header_row = row
    for line in record.audit:
        event = json.loads(line)
        row += 1
        values = [
            event["seq"],
            event["at"],
            event["actor"],
            event["kind"],
            json.dumps(event["data"], ensure_ascii=False, sort_keys=True),
            event["prev"],
            event["hash"],
        ]
        for col, value in enumerate(values, start=1):
            cell = _put(ws, row, col, value)
            if col == 5:
                cell.alignment = WRAP
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
