"""A campaign record (:mod:`campaign_record`) as a PDF, in the score sheet's hand.

The same embedded CJK font with its fallbacks for rare characters in names, and on every page
the campaign chain's head hash, in print and as a QR code, so a paper copy can be matched to the
electronic record (``GET /api/campaigns/{cid}/audit.jsonl``, ``kiosk verify --head``).
"""

from __future__ import annotations

import io
import unicodedata
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from server.exports.campaign_record import BEIJING, CampaignRecord, Cell
from server.exports.fonts import Runs, cjk_font
from server.exports.pdf_export import (
    GREY,
    GRID,
    HEAD_BG,
    Styles,
    page_frame,
    record_document,
    warn_missing,
)


def _text(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _page(record: CampaignRecord, font: str, runs: Runs) -> Any:
    made = record.made_at.astimezone(BEIJING)
    return page_frame(
        font,
        runs,
        f"{record.title} · {record.campaign_title}",
        record.qr_payload,
        record.head_hash,
        f"竞聘工作审计链头哈希（共 {record.head_seq} 条事件，竞聘工作 {record.campaign_id}）：",
        f"生成于 {made:%Y-%m-%d %H:%M}（北京时间）。用右侧二维码或上面的哈希与电子记录（audit.jsonl）核对。",
    )


def render(record: CampaignRecord) -> bytes:
    """Return ``record`` as PDF bytes."""
    return render_report(record)[0]


def render_report(record: CampaignRecord) -> tuple[bytes, list[str]]:
    """Return ``record`` as PDF bytes and the characters no installed font could draw."""
    font = cjk_font()
    st = Styles(font)
    out = io.BytesIO()
    doc = record_document(out, f"{record.title} {record.campaign_title}", record.head_hash)
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
    missing = warn_missing(story, 3, st, f"campaign {record.campaign_id} record {record.name}")
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
