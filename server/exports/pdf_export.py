"""The PDF score sheet (面试成绩登记表): the record a panel signs on paper.

One row per candidate with every seat's mark (the dropped ones struck through), the result, the
candidate's own signature drawn from the stored strokes as vector lines, and the signing time;
then the ranking of each post and lines for the judges', the scorer's and the supervisor's
signatures. Every page carries the audit chain's head hash, in print and as a QR code, so a
paper copy can be matched to the electronic record it came from.

A sitting scored by elements (评分要素) adds a score sheet per judge (评委评分表): every
candidate's parts as that judge gave them, the dropped ones struck through, and a line for the
judge's signature.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from server.domain.ranking import PostRanking
from server.domain.scoring import fmt
from server.domain.states import SCORED_STATES
from server.domain.views import InterviewView
from server.exports import sheet_record
from server.exports.fonts import Runs, cjk_font
from server.exports.record import (
    STATE_ZH,
    UNRANKED_ZH,
    Record,
    dropped_seat,
    local,
    local_note,
    rules_text,
)

log = logging.getLogger("kiosk.exports")

PAGE = landscape(A4)
MARGIN = 12 * mm
FOOTER = 30 * mm  # room for the hash and its QR code
QR_SIZE = 24 * mm
GRID = colors.HexColor("#666666")
HEAD_BG = colors.HexColor("#E4E9F0")
FLAG_BG = colors.HexColor("#FFF2CC")
POST_BG = colors.HexColor("#F3F5F8")
GREY = "#777777"


_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


class Styles:
    def __init__(self, font: str) -> None:
        self.font = font
        self.runs = Runs(font)
        self.title = ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=24, alignment=TA_CENTER
        )
        self.subtitle = ParagraphStyle(
            "subtitle", fontName=font, fontSize=11, leading=16, alignment=TA_CENTER
        )
        self.h2 = ParagraphStyle(
            "h2", fontName=font, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4
        )
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
        self.center = ParagraphStyle("center", parent=self.cell, alignment=TA_CENTER)
        self.head = ParagraphStyle("head", parent=self.center, fontSize=8)

    def t(self, text: str) -> str:
        """Free text (a name, a title, a note) as paragraph markup, in fonts that have it."""
        return self.runs.markup(_CONTROLS.sub(" ", text))


class Signature(Flowable):
    """A candidate's signature, redrawn from its ``[[x, y, t], ...]`` strokes as vector lines."""

    def __init__(
        self, strokes: Sequence[Sequence[Sequence[float]]] | None, width: float, height: float
    ) -> None:
        super().__init__()
        self.strokes = [s for s in (strokes or []) if s]
        self.width, self.height = width, height

    def wrap(self, _avail_width: float, _avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        points = [p for stroke in self.strokes for p in stroke]
        if not points:
            return
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        left, top = min(xs), min(ys)
        span_x, span_y = max(max(xs) - left, 1), max(max(ys) - top, 1)
        pad = 1.5
        scale = min((self.width - 2 * pad) / span_x, (self.height - 2 * pad) / span_y)
        off_x = (self.width - span_x * scale) / 2
        off_y = (self.height - span_y * scale) / 2
        canvas = self.canv
        canvas.setStrokeColor(colors.HexColor("#1a237e"))
        canvas.setLineWidth(0.7)
        canvas.setLineCap(1)
        canvas.setLineJoin(1)
        for stroke in self.strokes:
            # Screen y grows downward; PDF y grows upward.
            path = canvas.beginPath()
            x0, y0 = stroke[0][0], stroke[0][1]
            path.moveTo(off_x + (x0 - left) * scale, self.height - off_y - (y0 - top) * scale)
            for x, y, *_ in stroke[1:]:
                path.lineTo(off_x + (x - left) * scale, self.height - off_y - (y - top) * scale)
            canvas.drawPath(path, stroke=1, fill=0)


def qr_payload(record: Record) -> str:
    return (
        f"interview-kiosk session={record.session.id} seq={record.head_seq} head={record.head_hash}"
    )


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw ``text`` as a QR code of ``size`` points, as filled squares (no raster image)."""
    code = segno.make(text, error="m", micro=False)
    rows = [list(r) for r in code.matrix]
    border = 2
    modules = len(rows) + 2 * border
    unit = size / modules
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(colors.black)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + (c + border) * unit,
                    y + size - (r + border + 1) * unit,
                    unit,
                    unit,
                    stroke=0,
                    fill=1,
                )


def page_frame(
    font: str, runs: Runs, heading: str, qr: str, head_hash: str, chain_line: str, check_line: str
) -> Any:
    """Every page of a printed record: a running head (what it is, the page number) and a foot with
    the audit chain's head hash beside its QR code, how to check them, and any character no
    installed font could draw."""

    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        width, height = PAGE
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor(GREY))
        runs.draw(canvas, MARGIN, height - 8 * mm, heading, 8)
        canvas.setFont(font, 8)
        canvas.drawRightString(width - MARGIN, height - 8 * mm, f"第 {doc.page} 页")
        qr_x = width - MARGIN - QR_SIZE
        _draw_qr(canvas, qr, qr_x, 4 * mm, QR_SIZE)
        canvas.setStrokeColor(colors.HexColor("#BBBBBB"))
        canvas.line(MARGIN, FOOTER - 2 * mm, qr_x - 4 * mm, FOOTER - 2 * mm)
        canvas.setFillColor(colors.black)
        canvas.setFont(font, 8)
        canvas.drawString(MARGIN, FOOTER - 7 * mm, chain_line)
        canvas.setFont("Courier", 8.5)
        canvas.drawString(MARGIN, FOOTER - 12 * mm, head_hash)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor(GREY))
        canvas.drawString(MARGIN, FOOTER - 17 * mm, check_line)
        if runs.missing:
            canvas.setFillColor(colors.HexColor("#B00020"))
            canvas.drawString(MARGIN, FOOTER - 22 * mm, missing_text(list(runs.missing)))
        canvas.restoreState()

    return draw


def _page(record: Record, font: str, runs: Runs) -> Any:
    return page_frame(
        font,
        runs,
        f"面试成绩登记表 · {record.session.title}",
        qr_payload(record),
        record.head_hash,
        f"审计链头哈希（共 {record.head_seq} 条事件，场次 {record.session.id}）：",
        "用右侧二维码或上面的哈希与电子记录（audit.jsonl，kiosk verify）核对：二者一致即本表与电子记录相符。",
    )


def record_document(out: io.BytesIO, title: str, head_hash: str) -> SimpleDocTemplate:
    """A4 with the margins and the room for :func:`page_frame`'s foot."""
    return SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER + 2 * mm,
        title=title,
        author="interview-kiosk",
        subject=f"audit head {head_hash}",
    )


def warn_missing(story: list[Any], at: int, st: Styles, what: str) -> list[str]:
    """The characters no installed font could draw: logged, and said in red at ``story[at]`` (and in
    every foot), so nobody signs a name printed wrong. Returns them."""
    missing = list(st.runs.missing)
    if missing:
        log.warning(
            "%s: no installed font has %s (install Debian's fonts-hanazono)",
            what,
            " ".join(f"U+{ord(c):04X}" for c in missing),
        )
        warning = ParagraphStyle("warning", parent=st.body, textColor=colors.HexColor("#B00020"))
        story.insert(at, Paragraph(escape(missing_text(missing)), warning))
    return missing


def missing_text(missing: Sequence[str]) -> str:
    # The characters themselves would print as blanks: name them by code point.
    codes = "、".join(f"U+{ord(c):04X}" for c in missing)
    return f"以下字符无法显示（本机字体缺字）：{codes}。请核对电子记录中的原文。"


def render(record: Record) -> bytes:
    """Return the sitting's score sheet as PDF bytes."""
    return render_report(record)[0]


def render_report(record: Record) -> tuple[bytes, list[str]]:
    """Return the score sheet as PDF bytes and the characters no installed font could draw."""
    font = cjk_font()
    st = Styles(font)
    out = io.BytesIO()
    doc = record_document(out, f"面试成绩登记表 {record.session.title}", record.head_hash)
    story: list[Any] = [
        Paragraph("面试成绩登记表", st.title),
        Paragraph(st.t(record.session.title), st.subtitle),
        Spacer(1, 2 * mm),
        Paragraph(_info_line(record, st), st.body),
        Spacer(1, 1 * mm),
    ]
    story += [Paragraph(f"· {st.t(line)}", st.body) for line in rules_text(record)]
    story += [
        Paragraph(f"· {st.t(line)}", st.body) for line in sheet_record.rules_lines(record.session)
    ]
    story.append(
        Paragraph(
            f'<font color="{GREY}">表中带删除线的分数为去掉的分数（高 = 最高分，低 = 最低分）；'
            "“回避”为该评委回避本场面试；“—”为尚未评分。签字时间为北京时间。</font>",
            st.body,
        )
    )
    story.append(Spacer(1, 3 * mm))
    story.append(_score_table(record, st, doc.width))
    story += _notes_block(record, st)
    for post in record.ranking.posts:
        story.append(KeepTogether(_ranking_block(record, post, st, doc.width)))
    story.append(KeepTogether(_signature_block(record, st, doc.width)))
    if sheet_record.criteria_of(record.session):
        for seat in range(1, record.session.judge_count + 1):
            story.append(PageBreak())
            story += _judge_sheet(record, seat, st, doc.width)
    missing = warn_missing(story, 5, st, f"PDF of session {record.session.id}")
    page = _page(record, font, st.runs)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue(), missing


def _notes_block(record: Record, st: Styles) -> list[Any]:
    """Dispute notes and excuse reasons, one line per interview that has any."""
    lines = []
    for interview in record.session.interviews:
        note = local_note(interview)
        if note:
            who = (
                f"岗位 {interview.position_code} {interview.draw_no} 号 {interview.candidate_name}"
            )
            lines.append(Paragraph(f"· {st.t(who)}：{st.t(note)}", st.body))
    if not lines:
        return []
    return [Spacer(1, 2 * mm), Paragraph("备注（异议、回避）", st.h2), *lines]


def _info_line(record: Record, st: Styles) -> str:
    s = record.session
    parts = [
        f"日期：{record.held_on():%Y年%m月%d日}",
        f"批次：{st.t(s.batch) if s.batch else '—'}",
        f"岗位：{len(s.positions)} 个",
        f"考生：{len(s.interviews)} 人次",
        f"评委：{s.judge_count} 人",
    ]
    return "　　".join(parts)


def _mark_cell(interview: InterviewView, seat: int, style: ParagraphStyle, narrow: bool) -> Any:
    if seat in interview.excused:
        return Paragraph("回避", style)
    if interview.state not in SCORED_STATES or seat not in interview.marks:
        return Paragraph("—", style)
    text = fmt(interview.marks[seat])
    side = dropped_seat(interview, seat)
    if side is None:
        return Paragraph(text or "", style)
    tag = "高" if side == "high" else "低"
    gap = "<br/>" if narrow else ""
    return Paragraph(
        f'<font color="{GREY}"><strike>{text}</strike>{gap}<font size="6">{tag}</font></font>',
        style,
    )


def _score_table(record: Record, st: Styles, width: float) -> Table:
    """One row per candidate, grouped under a row per post; two header rows (seats under 评委评分)."""
    s = record.session
    components = record.ranking.components
    seats = list(range(1, s.judge_count + 1))
    totals = {r.candidate.interview_id: r.total for p in record.ranking.posts for r in p.ranking}
    sig_w, sig_h = 30 * mm, 10 * mm
    fixed = {
        "draw": 11 * mm,
        "name": 22 * mm,
        "result": 16 * mm,
        "state": 17 * mm,
        "sign": sig_w + 2 * mm,
        "time": 20 * mm,
    }
    part_w = 15 * mm
    rest = width - sum(fixed.values()) - part_w * (len(components) + (1 if components else 0))
    mark_w = min(15 * mm, rest / len(seats))
    # Room left over (few judges) goes to the name, then to the signature; the rest stays margin.
    spare = rest - mark_w * len(seats)
    to_name = min(spare, 23 * mm)
    to_sign = min(spare - to_name, 20 * mm)
    fixed["name"] += to_name
    fixed["sign"] += to_sign
    sig_w += to_sign
    narrow = mark_w < 13 * mm
    mark_style = ParagraphStyle("mark", parent=st.center, fontSize=7.5 if narrow else 8.5)

    before = ["抽签号", "姓名"]
    after = ["面试得分"] + [c.name for c in components] + (["总成绩"] if components else [])
    after += ["状态", "考生签字", "签字时间"]
    columns = len(before) + len(seats) + len(after)
    first = [Paragraph(h, st.head) for h in before]
    first += [Paragraph("评委评分（席位）", st.head)] + [""] * (len(seats) - 1)
    first += [Paragraph(st.t(h), st.head) for h in after]
    second: list[Any] = [""] * len(before) + [Paragraph(str(n), st.head) for n in seats]
    second += [""] * len(after)
    rows: list[list[Any]] = [first, second]
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 1), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("SPAN", (len(before), 0), (len(before) + len(seats) - 1, 0)),
    ]
    for c in [*range(len(before)), *range(len(before) + len(seats), columns)]:
        style.append(("SPAN", (c, 0), (c, 1)))

    for position in s.positions:
        members = [i for i in s.interviews if i.position_code == position.code]
        heading = (
            f"岗位 {st.t(position.code)}　{st.t(position.name)}　（职位数 {position.openings}）"
        )
        rows.append([Paragraph(f"<b>{heading}</b>", st.cell)] + [""] * (columns - 1))
        style += [
            ("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
            ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), POST_BG),
        ]
        for interview in members:
            rows.append(
                _score_row(record, interview, seats, totals, st, mark_style, narrow, sig_w, sig_h)
            )
    if not s.interviews:
        rows.append([Paragraph("（本场次暂无考生）", st.cell)] + [""] * (columns - 1))
        style.append(("SPAN", (0, 2), (-1, 2)))
    widths = [fixed["draw"], fixed["name"]] + [mark_w] * len(seats) + [fixed["result"]]
    widths += [part_w] * (len(components) + (1 if components else 0))
    widths += [fixed["state"], fixed["sign"], fixed["time"]]
    table = Table(rows, colWidths=widths, repeatRows=2)
    table.setStyle(TableStyle(style))
    return table


def _score_row(
    record: Record,
    interview: InterviewView,
    seats: list[int],
    totals: dict[int, Any],
    st: Styles,
    mark_style: ParagraphStyle,
    narrow: bool,
    sig_w: float,
    sig_h: float,
) -> list[Any]:
    reveal = interview.state in SCORED_STATES
    row: list[Any] = [
        Paragraph(str(interview.draw_no), st.center),
        Paragraph(st.t(interview.candidate_name), st.cell),
    ]
    row += [_mark_cell(interview, seat, mark_style, narrow) for seat in seats]
    row.append(Paragraph(f"<b>{fmt(interview.result)}</b>" if reveal else "—", st.center))
    entered = record.scores.get(interview.id, {})
    row += [Paragraph(fmt(entered.get(c.id)) or "—", st.center) for c in record.ranking.components]
    if record.ranking.components:
        total = totals.get(interview.id)
        row.append(Paragraph(f"<b>{fmt(total)}</b>" if total is not None else "—", st.center))
    row.append(Paragraph(STATE_ZH.get(interview.state, interview.state), st.center))
    row.append(Signature(record.signatures.get(interview.id), sig_w, sig_h))
    signed = local(interview.signed_at) if interview.signed_at else None
    row.append(Paragraph(f"{signed:%Y-%m-%d}<br/>{signed:%H:%M:%S}" if signed else "", st.center))
    return row


def _ranking_block(record: Record, post: PostRanking, st: Styles, width: float) -> list[Any]:
    p = post.position
    components = record.ranking.components
    block: list[Any] = [
        Paragraph(
            f"岗位排名：{st.t(p.code)} {st.t(p.name)}"
            f'<font size="9">　（职位数 {p.openings}，考察比例 {fmt(p.shortlist_ratio)}，'
            f"初步考察对象 {post.shortlist_size} 人）</font>",
            st.h2,
        )
    ]
    head = ["名次", "抽签号", "姓名", "面试得分"] + [c.name for c in components]
    head += ["总成绩", "达到60分", "初步考察对象", "备注"]
    rows: list[list[Any]] = [[Paragraph(st.t(h), st.head) for h in head]]
    flagged = []
    for index, ranked in enumerate(post.ranking, start=1):
        c = ranked.candidate
        row = [
            Paragraph(str(ranked.rank), st.center),
            Paragraph(str(c.draw_no), st.center),
            Paragraph(st.t(c.candidate_name), st.cell),
            Paragraph(fmt(ranked.interview) or "", st.center),
        ]
        row += [Paragraph(fmt(c.components.get(comp.id)) or "—", st.center) for comp in components]
        row += [
            Paragraph(f"<b>{fmt(ranked.total)}</b>", st.center),
            Paragraph("是" if ranked.eligible else "否", st.center),
            Paragraph("是" if ranked.shortlisted else "", st.center),
            Paragraph("末位并列，提交领导小组研究确定" if ranked.tie_at_cutoff else "", st.cell),
        ]
        rows.append(row)
        if ranked.tie_at_cutoff:
            flagged.append(index)
    if not post.ranking:
        rows.append([Paragraph("（暂无已评分的考生）", st.cell)] + [""] * (len(head) - 1))
    base = [14 * mm, 14 * mm, 30 * mm, 20 * mm] + [18 * mm] * len(components)
    base += [20 * mm, 18 * mm, 24 * mm]
    widths = base + [max(40 * mm, min(width - sum(base), 80 * mm))]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("BACKGROUND", (0, i), (-1, i), FLAG_BG) for i in flagged]
    if not post.ranking:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    block.append(table)
    if post.unranked:
        names = {c.id: c.name for c in components}
        items = []
        for apart in post.unranked:
            c = apart.candidate
            reason = UNRANKED_ZH[apart.reason]
            if apart.missing:
                reason += "：" + "、".join(names.get(m, str(m)) for m in apart.missing)
            items.append(f"{c.draw_no} 号 {st.t(c.candidate_name)}（{st.t(reason)}）")
        block.append(Spacer(1, 1.5 * mm))
        block.append(Paragraph("未参加排名：" + "；".join(items), st.body))
    return block


def _signature_block(record: Record, st: Styles, width: float) -> list[Any]:
    seats = list(range(1, record.session.judge_count + 1))
    per_row = 4
    people = [f"{seat} 号评委" for seat in seats]
    rows_of = [people[i : i + per_row] for i in range(0, len(people), per_row)]
    rows_of.append(["记分员", "监督员", "日期"])
    label, gap = 26 * mm, 6 * mm
    line = width / per_row - label - gap
    cells: list[list[Any]] = []
    style: list[Any] = [("VALIGN", (0, 0), (-1, -1), "BOTTOM")]
    for r, names in enumerate(rows_of):
        row: list[Any] = []
        for c, name in enumerate(names):
            row += [Paragraph(f"{name}：", st.body), "", ""]
            style.append(("LINEBELOW", (3 * c + 1, r), (3 * c + 1, r), 0.6, colors.black))
        row += ["", "", ""] * (per_row - len(names))
        cells.append(row)
    table = Table(cells, colWidths=[label, line, gap] * per_row, rowHeights=12 * mm, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return [Paragraph("签字确认", st.h2), table]


def _judge_sheet(record: Record, seat: int, st: Styles, width: float) -> list[Any]:
    """One judge's score sheet (评委评分表): each candidate's parts, the total, a signature line."""
    s = record.session
    criteria = sheet_record.criteria_of(s)
    story: list[Any] = [
        Paragraph("评委评分表", st.title),
        Paragraph(f"{st.t(s.title)}　·　第 {seat} 席评委", st.subtitle),
        Spacer(1, 2 * mm),
        *[Paragraph(f"· {st.t(line)}", st.body) for line in sheet_record.rules_lines(s)],
        Paragraph(
            f'<font color="{GREY}">带删除线的分数为去掉的分数；“回避”为本席回避该考生；'
            "“—”为尚未评分（评分结束前不显示任何分数）。</font>",
            st.body,
        ),
        Spacer(1, 3 * mm),
    ]
    head = ["岗位", "抽签号", "姓名"]
    head += [f"{st.t(c.name)}<br/>（{sheet_record.plain(c.max)}）" for c in criteria] + [
        "合计",
        "面试得分",
    ]
    rows: list[list[Any]] = [[Paragraph(h, st.head) for h in head]]
    for interview in s.interviews:
        parts = sheet_record.revealed_parts(interview).get(seat)
        dropped = sheet_record.dropped_parts(sheet_record.outcome(s, interview))
        row: list[Any] = [
            Paragraph(st.t(interview.position_code), st.center),
            Paragraph(str(interview.draw_no), st.center),
            Paragraph(st.t(interview.candidate_name), st.cell),
        ]
        if seat in interview.excused:
            row += [Paragraph("回避", st.center)] + [""] * len(criteria)
        elif parts is None:
            row += [Paragraph("—", st.center) for _ in range(len(criteria) + 1)]
        else:
            for c in criteria:
                text = fmt(parts.get(c.code)) or "—"
                struck = seat in dropped.get(c.code, ())
                row.append(
                    Paragraph(
                        f'<font color="{GREY}"><strike>{text}</strike></font>' if struck else text,
                        st.center,
                    )
                )
            row.append(_mark_cell(interview, seat, st.center, narrow=False))
        revealed = interview.state in SCORED_STATES and interview.result is not None
        row.append(Paragraph(f"<b>{fmt(interview.result)}</b>" if revealed else "—", st.center))
        rows.append(row)
    if not s.interviews:
        rows.append([Paragraph("（本场次暂无考生）", st.cell)] + [""] * (len(head) - 1))
    fixed = [18 * mm, 13 * mm, 26 * mm]
    tail = [18 * mm, 18 * mm]
    each = min(30 * mm, (width - sum(fixed) - sum(tail)) / max(1, len(criteria)))
    table = Table(
        rows, colWidths=fixed + [each] * len(criteria) + tail, repeatRows=1, hAlign="LEFT"
    )
    style: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    for r, interview in enumerate(s.interviews, start=1):
        if seat in interview.excused and criteria:
            style.append(("SPAN", (3, r), (3 + len(criteria), r)))
    if not s.interviews:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 8 * mm))
    sign = Table(
        [[Paragraph(f"第 {seat} 席评委签字：", st.body), "", "", Paragraph("日期：", st.body), ""]],
        colWidths=[34 * mm, 60 * mm, 12 * mm, 14 * mm, 40 * mm],
        rowHeights=12 * mm,
        hAlign="LEFT",
    )
    sign.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, colors.black),
                ("LINEBELOW", (4, 0), (4, 0), 0.6, colors.black),
            ]
        )
    )
    story.append(KeepTogether([sign]))
    return story
