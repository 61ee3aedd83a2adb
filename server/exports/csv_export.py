"""The CSV export: a row per interview, UTF-8 with a BOM so Excel reads the Chinese right."""

from __future__ import annotations

import csv
import io

from server.domain import views
from server.domain.views import SessionView

STATE_ZH = {
    "waiting": "候考", "interviewing": "面试中", "scored": "已评分", "announced": "已公布",
    "confirmed": "已签字确认", "absent": "缺考", "disputed": "有异议",
}


def render(session: SessionView) -> bytes:
    """Return the sitting as CSV bytes (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    seats = range(1, session.judge_count + 1)
    writer.writerow(
        ["抽签号", "姓名", "岗位代码", "岗位名称"]
        + [f"评委{s}" for s in seats]
        + ["去掉最高分(席位)", "去掉最低分(席位)", "面试得分", "状态", "签字时间"]
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
        writer.writerow(
            [row["draw_no"], row["candidate_name"], row["position_code"], row["position_name"]]
            + cells
            + [high, low, row["result"] or "", STATE_ZH.get(row["state"], row["state"]),
               row["signed_at"] or ""]
        )
    return out.getvalue().encode("utf-8-sig")
