"""What the records print of a score sheet by element (评分要素) and of the judges' calibration.

Shared by the CSV, XLSX and PDF writers and by ``GET /api/sessions/{sid}/judges``: every seat's
parts once an interview is scored (nothing before), each element's average and dropped seats
under per-element trimming, and each seat's calibration over the sitting's scored interviews.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from server.domain import sheets
from server.domain.sheets import Criterion, Scored, SheetOutcome
from server.domain.states import SCORED_STATES
from server.domain.views import InterviewView, SittingView

TRIM_ZH = {
    "total": "各评委按评分要素打分，各要素之和为该评委的评分；去掉一个最高分和一个最低分后取算术平均",
    "per_criterion": "各评委按评分要素打分；每个要素分别去掉一个最高分和一个最低分后取算术平均，各要素平均分之和",
}


def criteria_of(session: SittingView) -> tuple[Criterion, ...]:
    """The sitting's criteria; empty for a sitting scored by one number."""
    return tuple(getattr(session, "criteria", ()) or ())


def trim_of(session: SittingView) -> str:
    return str(getattr(session, "trim", None) or "total")


def revealed_parts(interview: InterviewView) -> dict[int, dict[str, Decimal]]:
    """Every seat's parts, once the interview is scored; nothing while it is being scored."""
    if interview.state not in SCORED_STATES:
        return {}
    return dict(getattr(interview, "parts", None) or {})


def outcome(session: SittingView, interview: InterviewView) -> SheetOutcome | None:
    """The interview's outcome under the sitting's rule, with each element's average and drops."""
    criteria = criteria_of(session)
    parts = revealed_parts(interview)
    if (
        not criteria
        or len(parts) < 3
        or any(any(c.code not in p for c in criteria) for p in parts.values())
    ):
        return None
    return sheets.sheet_score(parts, criteria, trim_of(session), session.result_decimals)


def dropped_parts(result: SheetOutcome | None) -> dict[str, tuple[int, int]]:
    """Per element code, the (high, low) seats whose parts were dropped (per-element trimming)."""
    if result is None:
        return {}
    return {e.code: (e.dropped_high, e.dropped_low) for e in result.elements}


def rules_lines(session: SittingView) -> list[str]:
    """The sheet's rules as sentences for the printed record; none for one-number sittings."""
    criteria = criteria_of(session)
    if not criteria:
        return []
    items = "、".join(f"{c.name}（{plain(c.max)} 分）" for c in criteria)
    rule = TRIM_ZH.get(trim_of(session), TRIM_ZH["total"])
    return [
        f"评分要素 {len(criteria)} 项：{items}，满分合计 100 分。",
        f"{rule}，结果四舍五入保留 {session.result_decimals} 位小数，即为面试得分。",
    ]


def plain(value: Decimal) -> str:
    """A maximum as people read it: no trailing zero decimals ("50.0" → "50")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def scored_interviews(session: SittingView) -> list[Scored]:
    """The sitting's scored interviews in the order they started, as calibration reads them."""
    started = sorted(
        (i for i in session.interviews if i.state in SCORED_STATES and i.result is not None),
        key=lambda i: (i.started_at is None, i.started_at, i.id),
    )
    out = []
    for interview in started:
        result = outcome(session, interview)
        out.append(
            Scored(
                interview_id=interview.id,
                draw_no=interview.draw_no,
                position_code=interview.position_code,
                marks=dict(interview.marks),
                result=interview.result,  # type: ignore[arg-type]
                dropped_high=interview.dropped_high,
                dropped_low=interview.dropped_low,
                elements_dropped=dropped_parts(result),
            )
        )
    return out


def calibration(session: SittingView) -> dict[str, Any]:
    """Each seat's calibration over the sitting's scored interviews (``GET …/judges``'s seats)."""
    return sheets.calibration(
        scored_interviews(session), session.judge_count, session.result_decimals
    )


def rooms(sittings: Sequence[SittingView]) -> list[sheets.Room]:
    """The rooms of a batch: each sitting's title and the results of its scored interviews."""
    return [
        sheets.Room(
            s.id,
            s.title,
            [i.result for i in s.interviews if i.state in SCORED_STATES and i.result is not None],
        )
        for s in sittings
    ]
