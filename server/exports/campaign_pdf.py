"""A campaign record (:mod:`campaign_record`) as a PDF, in the score sheet's hand.

The same embedded CJK font with its fallbacks for rare characters in names, and on every page
the campaign chain's head hash, in print and as a QR code, so a paper copy can be matched to the
electronic record (``GET /api/campaigns/{cid}/audit.jsonl``, ``kiosk verify --head``).
"""

from __future__ import annotations

import io
import logging
import unicodedata
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.exports.campaign_record import BEIJING, CampaignRecord, Cell
from server.exports.fonts import Runs, cjk_font
from server.exports.pdf_export import (
    FOOTER,
    GREY,
    GRID,
    HEAD_BG,
    MARGIN,
    PAGE,
    QR_SIZE,
    Styles,
    _draw_qr,
    missing_text,
)

log = logging.getLogger("kiosk.exports")


def _text(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _page(record: CampaignRecord, font: str, runs: Runs) -> Any:
    def draw(canvas: Canvas, doc: Any) -> None:
        canvas.saveState()
        width, height = PAGE
        canvas.setFillColor(colors.HexColor(GREY))
        runs.draw(canvas, MARGIN, height - 8 * mm, f"{record.title} · {record.campaign_title}", 8)
        canvas.setFont(font, 8)
        canvas.drawRightString(width - MARGIN, height - 8 * mm, f"第 {doc.page} 页")
        qr_x = width - MARGIN - QR_SIZE
        _draw_qr(canvas, record.qr_payload, qr_x, 4 * mm, QR_SIZE)
        canvas.setStrokeColor(colors.HexColor("#BBBBBB"))
        canvas.line(MARGIN, FOOTER - 2 * mm, qr_x - 4 * mm, FOOTER - 2 * mm)
        canvas.setFillColor(colors.black)
        canvas.setFont(font, 8)
        canvas.drawString(
            MARGIN,
            FOOTER - 7 * mm,
            f"竞聘工作审计链头哈希（共 {record.head_seq} 条事件，竞聘工作 {record.campaign_id}）：",
        )
        canvas.setFont("Courier", 8.5)
        canvas.drawString(MARGIN, FOOTER - 12 * mm, record.head_hash)
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor(GREY))
        made = record.made_at.astimezone(BEIJING)
        canvas.drawString(
            MARGIN,
            FOOTER - 17 * mm,
            f"生成于 {made:%Y-%m-%d %H:%M}（北京时间）。用右侧二维码或上面的哈希与电子记录（audit.jsonl）核对。",
        )
        if runs.missing:
            canvas.setFillColor(colors.HexColor("#B00020"))
            canvas.drawString(MARGIN, FOOTER - 22 * mm, missing_text(list(runs.missing)))
        canvas.restoreState()

    return draw


def render(record: CampaignRecord) -> bytes:
    """Return ``record`` as PDF bytes."""
    return render_report(record)[0]


def render_report(record: CampaignRecord) -> tuple[bytes, list[str]]:
    """Return ``record`` as PDF bytes and the characters no installed font could draw."""
    font = cjk_font()
    st = Styles(font)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FOOTER + 2 * mm,
        title=f"{record.title} {record.campaign_title}",
        author="interview-kiosk",
        subject=f"audit head {record.head_hash}",
    )
    story: list[Any] = [
        Paragraph(escape(record.title), st.title),
        Paragraph(st.t(record.campaign_title), st.subtitle),
        Spacer(1, 2 * mm),
        *[Paragraph(st.t(line), st.body) for line in record.info],
    ]
    for section in record.sections:
        block: list[Any] = [
            Paragraph(st.t(section.heading), st.h2),
            _table(section.columns, section.rows, st, doc.width),
        ]
        block += [
            Paragraph(f'<font color="{GREY}">{st.t(note)}</font>', st.body)
            for note in section.notes
        ]
        # A short section stays on one page; a long one breaks, its header row repeated.
        if len(section.rows) < 25:
            story.append(KeepTogether(block))
        else:
            story += block
    missing = list(st.runs.missing)
    if missing:
        log.warning(
            "campaign %s record %s: no installed font has %s",
            record.campaign_id,
            record.name,
            " ".join(f"U+{ord(c):04X}" for c in missing),
        )
        warning = ParagraphStyle("warning", parent=st.body, textColor=colors.HexColor("#B00020"))
        story.insert(3, Paragraph(escape(missing_text(missing)), warning))
    page = _page(record, font, st.runs)
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue(), missing


def _width(text: str) -> int:
    """Display width: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(columns: list[str], rows: list[list[Cell]], st: Styles, width: float) -> Table:
    # Each column gets room for its longest text (headers may wrap once), long texts are capped
    # and wrap; columns of short values (codes, marks, numbers) are centred, the rest left.
    needs = []
    centred = []
    for index, name in enumerate(columns):
        texts = [_text(r[index]) for r in rows if index < len(r)]
        longest = max([_width(t) for t in texts] + [0])
        needs.append(min(max(longest, (_width(name) + 1) // 2, 4), 40))
        centred.append(longest <= 8)
    total = sum(needs)
    widths = [width * n / total for n in needs]
    head = [Paragraph(st.t(c), st.head) for c in columns]
    body = [
        [Paragraph(st.t(_text(v)), st.center if centred[i] else st.cell) for i, v in enumerate(r)]
        for r in rows
    ]
    table = Table([head, *body], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table
