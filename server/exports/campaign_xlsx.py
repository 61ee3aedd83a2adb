"""A campaign record (:mod:`campaign_record`) as an XLSX workbook: one sheet, sections one below another.

Scores are ``Decimal`` numbers shown with their own decimals; every text is a plain string, never
a formula (an applicant named ``=HYPERLINK(...)`` stays text). The audit chain's head closes the
sheet, as on the PDF.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server.exports.campaign_record import BEIJING, CampaignRecord

TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
GREY = Font(color="666666")
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
CENTER = Alignment(horizontal="center", vertical="center")


def _put(ws: Worksheet, row: int, col: int, value: Any) -> Any:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text starting with "=" is still text
    elif isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        cell.number_format = "0" if places == 0 else "0." + "0" * places
    return cell


def render(record: CampaignRecord) -> bytes:
    """Return ``record`` as XLSX bytes."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = record.title[:31]
    width = max([len(s.columns) for s in record.sections] + [2])
    _put(ws, 1, 1, f"{record.title} · {record.campaign_title}").font = TITLE
    row = 2
    for line in record.info:
        _put(ws, row, 1, line)
        row += 1
    widths = [6] * width
    for section in record.sections:
        row += 1
        _put(ws, row, 1, section.heading).font = BOLD
        row += 1
        for col, name in enumerate(section.columns, start=1):
            cell = _put(ws, row, col, name)
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = CENTER
            widths[col - 1] = max(widths[col - 1], len(name) * 2 + 2)
        for values in section.rows:
            row += 1
            for col, value in enumerate(values, start=1):
                _put(ws, row, col, value)
                if isinstance(value, str):
                    widths[col - 1] = min(48, max(widths[col - 1], len(value) * 2 + 2))
        for note in section.notes:
            row += 1
            _put(ws, row, 1, note).font = GREY
        row += 1
    row += 1
    made = record.made_at.astimezone(BEIJING)
    _put(
        ws, row, 1, f"审计链头哈希（共 {record.head_seq} 条事件，竞聘工作 {record.campaign_id}）："
    ).font = GREY
    _put(ws, row + 1, 1, record.head_hash)
    _put(ws, row + 2, 1, f"生成时间（北京时间）：{made:%Y-%m-%d %H:%M:%S}").font = GREY
    for index, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = w
    ws.sheet_view.showGridLines = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
