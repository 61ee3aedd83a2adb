"""The CSV export: a row per interview, UTF-8 with a BOM so Excel reads the Chinese right.

Times are Beijing time, as the header says. A text cell a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
import io

from server.domain import views
from server.domain.views import SessionView
from server.exports.record import STATE_ZH, csv_safe, local_note, local_text


def render(session: SessionView) -> bytes:
    """Return the sitting as CSV bytes (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    seats = range(1, session.judge_count + 1)
    writer.writerow(
        ["抽签号", "姓名", "岗位代码", "岗位名称"]
        + [f"评委{s}" for s in seats]
        + ["去掉最高分(席位)", "去掉最低分(席位)", "面试得分", "状态", "签字时间(北京时间 UTC+8)",
           "备注"]
    )
    for interview in session.interviews:
        row = views.interview_for_secretary(session, interview)
        marks = {m["seat"]: m for m in row["marks"]}
        cells = []
        for seat in seats:
            mark = marks[seat]
            cells.append("回避" if mark["excused"] else (mark["score"] or ""))
        high = next((m["seat"] for m in row["marks"] if m["dropped"] == "high"), "")
        low = next((m["seat"] for m in row["marks"] if m["dropped"] == "low"), "")
        values = (
            [row["draw_no"], row["candidate_name"], row["position_code"], row["position_name"]]
            + cells
            + [high, low, row["result"] or "", STATE_ZH.get(row["state"], row["state"]),
               local_text(interview.signed_at), local_note(interview)]
        )
        writer.writerow([csv_safe(v) for v in values])
    return out.getvalue().encode("utf-8-sig")
