"""The CSV export: a row per interview, UTF-8 with a BOM so Excel reads the Chinese right.

Times are Beijing time, as the header says. A sitting scored by elements (评分要素) adds, after
the usual columns, every seat's part of every element (empty until the interview is scored) and,
under per-element trimming, each element's average. A text cell a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
import io

from server.domain import views
from server.domain.scoring import fmt
from server.domain.views import SittingView
from server.exports import sheet_record
from server.exports.record import STATE_ZH, csv_safe, local_note, local_text


def render(session: SittingView) -> bytes:
    """Return the sitting as CSV bytes (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    seats = range(1, session.judge_count + 1)
    criteria = sheet_record.criteria_of(session)
    per_element = sheet_record.trim_of(session) == "per_criterion"
    writer.writerow(
        ["抽签号", "姓名", "岗位代码", "岗位名称"]
        + [f"评委{s}" for s in seats]
        + [
            "去掉最高分(席位)",
            "去掉最低分(席位)",
            "面试得分",
            "状态",
            "签字时间(北京时间 UTC+8)",
            "备注",
        ]
        + [csv_safe(f"评委{s}·{c.name}") for s in seats for c in criteria]
        + ([csv_safe(f"要素平均·{c.name}") for c in criteria] if per_element else [])
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
            + [
                high,
                low,
                row["result"] or "",
                STATE_ZH.get(row["state"], row["state"]),
                local_text(interview.signed_at),
                local_note(interview),
            ]
        )
        if criteria:
            parts = sheet_record.revealed_parts(interview)
            values += [
                "回避" if seat in interview.excused else fmt(parts.get(seat, {}).get(c.code)) or ""
                for seat in seats
                for c in criteria
            ]
            if per_element:
                result = sheet_record.outcome(session, interview)
                averages = result.averages(session.result_decimals) if result else {}
                values += [averages.get(c.code, "") for c in criteria]
        writer.writerow([csv_safe(v) for v in values])
    return out.getvalue().encode("utf-8-sig")
