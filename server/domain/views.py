"""What each screen is allowed to see, built from a snapshot of one sitting.

The store fills the data classes below; these functions decide what a judge, the hall display
and the secretary receive. They are where the privacy rules live: a judge sees only their own
mark, the display sees marks and the result only from the announcement on, and nobody sees a
mark of an interview that is still being scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from server.domain.scoring import fmt
from server.domain.sheets import Criterion, sheet_score
from server.domain.states import ANNOUNCED_STATES, SCORED_STATES, State


@dataclass
class PositionView:
    id: int
    code: str
    name: str
    openings: int
    shortlist_ratio: Decimal


@dataclass
class InterviewView:
    id: int
    draw_no: int
    candidate_name: str
    position_code: str
    position_name: str
    state: State
    marks: dict[int, Decimal] = field(default_factory=dict)
    excused: dict[int, str] = field(default_factory=dict)
    result: Decimal | None = None
    dropped_high: int | None = None
    dropped_low: int | None = None
    started_at: datetime | None = None
    scored_at: datetime | None = None
    announced_at: datetime | None = None
    signed_at: datetime | None = None
    note: str | None = None
    countdown_ends_at: datetime | None = None
    #: A score sheet's elements per seat (评分要素); shown only once the interview is scored.
    parts: dict[int, dict[str, Decimal]] = field(default_factory=dict)


@dataclass
class SittingView:
    id: int
    title: str
    batch: str
    judge_count: int
    score_decimals: int
    result_decimals: int
    min_scores: int
    created_at: datetime
    version: int
    positions: list[PositionView]
    interviews: list[InterviewView]
    announced_id: int | None = None
    language: str = "zh"
    criteria: tuple[Criterion, ...] = ()  # empty: one number per judge
    trim: str = "total"
    #: Optional indexes the builder may give (server/domain/sitting.py keeps them up to date per
    #: change): interview id → its place in ``interviews``, and the ids being marked now. Without
    #: them the lookups below scan the roster; with them a mark's views cost the same in a
    #: sitting of 60 interviews as in one of 5.
    place: Mapping[int, int] | None = None
    live_ids: frozenset[int] | None = None

    def expected(self, interview: InterviewView) -> int:
        """Count the seats that owe a mark for ``interview`` (every seat not excused)."""
        return self.judge_count - len(interview.excused)

    def interview(self, interview_id: int | None) -> InterviewView | None:
        """The interview of that id (None: no such interview in the roster)."""
        if interview_id is None:
            return None
        if self.place is not None:
            index = self.place.get(interview_id)
            return None if index is None else self.interviews[index]
        return next((i for i in self.interviews if i.id == interview_id), None)

    def picked(self, interview_ids: Iterable[int]) -> list[InterviewView]:
        """The interviews of those ids that are in the roster, in roster order."""
        if self.place is not None:
            place = self.place
            return [
                self.interviews[n] for n in sorted(place[i] for i in interview_ids if i in place)
            ]
        wanted = set(interview_ids)
        return [i for i in self.interviews if i.id in wanted]

    @cached_property
    def interviewing(self) -> list[InterviewView]:
        """The interviews being marked now, in the order they started (usually one).

        Picked out before sorting: every mark builds a view, and sorting a long sitting's
        started interviews each time made a mark's cost grow with the sitting.
        """
        if self.live_ids is not None and self.place is not None:
            live = [self.interviews[self.place[i]] for i in self.live_ids]
        else:
            live = [i for i in self.interviews if is_marking(i)]
        return sorted(live, key=_start_order) if len(live) > 1 else live

    @cached_property
    def last_started(self) -> InterviewView | None:
        """The interview started last (None before the first start)."""
        started = [i for i in self.interviews if i.started_at is not None]
        return max(started, key=_start_order) if started else None


def is_marking(interview: InterviewView) -> bool:
    """The interview is being marked: started and not yet scored."""
    return interview.state == State.INTERVIEWING and interview.started_at is not None


def _start_order(interview: InterviewView) -> tuple[datetime, int]:
    return interview.started_at or datetime.min, interview.id


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def seat_marks(
    session: SittingView, interview: InterviewView, reveal: bool
) -> list[dict[str, Any]]:
    """One entry per seat; scores and dropped flags only when ``reveal``."""
    rows = []
    for seat in range(1, session.judge_count + 1):
        dropped = None
        if reveal and seat == interview.dropped_high:
            dropped = "high"
        elif reveal and seat == interview.dropped_low:
            dropped = "low"
        row: dict[str, Any] = {
            "seat": seat,
            "submitted": seat in interview.marks,
            "excused": seat in interview.excused,
            "score": fmt(interview.marks.get(seat)) if reveal else None,
            "dropped": dropped,
        }
        if session.criteria:  # a score sheet's elements: after scoring, like the score
            own = interview.parts.get(seat) if reveal else None
            row["parts"] = None if own is None else {code: fmt(v) for code, v in own.items()}
        rows.append(row)
    return rows


OUTLIER_POINTS = Decimal(15)


def outliers(marks: dict[int, Decimal], limit: Decimal = OUTLIER_POINTS) -> list[int]:
    """Seats whose mark lies more than ``limit`` points from the median of all marks."""
    if len(marks) < 3:
        return []
    ordered = sorted(marks.values())
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return sorted(seat for seat, mark in marks.items() if abs(mark - median) > limit)


def interview_for_secretary(session: SittingView, interview: InterviewView) -> dict[str, Any]:
    """The interview as ``GET /api/sessions/{sid}`` and every flow endpoint show it."""
    reveal = interview.state in SCORED_STATES
    return {
        "id": interview.id,
        "session_id": session.id,
        "draw_no": interview.draw_no,
        "candidate_name": interview.candidate_name,
        "position_code": interview.position_code,
        "position_name": interview.position_name,
        "state": str(interview.state),
        "result": fmt(interview.result) if reveal else None,
        "marks": seat_marks(session, interview, reveal),
        "outliers": outliers(interview.marks) if reveal else [],
        "submitted": len(interview.marks),
        "expected": session.expected(interview),
        "excuse_reasons": {str(s): r for s, r in sorted(interview.excused.items())},
        "started_at": iso(interview.started_at),
        "scored_at": iso(interview.scored_at),
        "announced_at": iso(interview.announced_at),
        "signed_at": iso(interview.signed_at),
        "note": interview.note,
        "countdown_ends_at": iso(interview.countdown_ends_at),
    }


def session_summary(session: SittingView) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "batch": session.batch,
        "judge_count": session.judge_count,
        "score_decimals": session.score_decimals,
        "result_decimals": session.result_decimals,
        "min_scores": session.min_scores,
        "language": session.language,
        "created_at": iso(session.created_at),
        "criteria": [c.as_data() for c in session.criteria] or None,
        "trim": session.trim,
    }


def session_for_secretary(session: SittingView) -> dict[str, Any]:
    """The sitting as ``GET /api/sessions/{sid}`` shows it."""
    return {
        **session_summary(session),
        "version": session.version,
        "positions": [
            {
                "code": p.code,
                "name": p.name,
                "openings": p.openings,
                "shortlist_ratio": fmt(p.shortlist_ratio),
            }
            for p in session.positions
        ],
        "interviews": [interview_for_secretary(session, i) for i in session.interviews],
    }


def judge_interview(session: SittingView, seat: int) -> InterviewView | None:
    """The interview a seat's phone shows: one it owes a mark for, else the live one, else the last."""
    interviewing = session.interviewing
    for interview in interviewing:
        if seat not in interview.marks and seat not in interview.excused:
            return interview
    if interviewing:
        return interviewing[-1]
    return session.last_started


def judge_state(session: SittingView, seat: int) -> dict[str, Any]:
    """The ``state`` frame for one judge seat: never another seat's mark."""
    interview = judge_interview(session, seat)
    if interview is None:
        return {
            "type": "state",
            "seat": seat,
            "session_id": session.id,
            "session_title": session.title,
            "score_decimals": session.score_decimals,
            "interview": None,
            "my_score": None,
            "submitted": 0,
            "expected": 0,
            "excused": False,
        } | _sheet_fields(session, None, seat)
    return {
        "type": "state",
        "seat": seat,
        "session_id": session.id,
        "session_title": session.title,
        "score_decimals": session.score_decimals,
        "interview": {
            "id": interview.id,
            "draw_no": interview.draw_no,
            "position_code": interview.position_code,
            "position_name": interview.position_name,
            "state": str(interview.state),
        },
        "my_score": fmt(interview.marks.get(seat)),
        "submitted": len(interview.marks),
        "expected": session.expected(interview),
        "excused": seat in interview.excused,
    } | _sheet_fields(session, interview, seat)


def _sheet_fields(
    session: SittingView, interview: InterviewView | None, seat: int
) -> dict[str, Any]:
    """A score sheet's elements for a judge's phone, and that seat's own parts (no one else's)."""
    if not session.criteria:
        return {}
    own = interview.parts.get(seat) if interview is not None else None
    return {
        "criteria": [c.as_data() for c in session.criteria],
        "my_parts": None if own is None else {code: fmt(v) for code, v in own.items()},
    }


def element_averages(session: SittingView, interview: InterviewView) -> list[dict[str, Any]] | None:
    """Each element's average under per-element trimming, as the display shows it; else None."""
    if not session.criteria or session.trim != "per_criterion" or len(interview.parts) < 3:
        return None
    outcome = sheet_score(interview.parts, session.criteria, session.trim, session.result_decimals)
    averages = outcome.averages(session.result_decimals)
    return [
        {"code": c.code, "name": c.name, "max": fmt(c.max), "average": averages[c.code]}
        for c in session.criteria
    ]


def spoken_mark(mark: Decimal) -> str:
    """Write a mark as people say it: no trailing zero decimals ("90.0" → "90", "86.50" → "86.5")."""
    text = format(mark, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _post(position_name: str) -> str:
    # The contract's wording, "{name}岗位", whatever the name ends with: outside clients match it.
    return f"{position_name}岗位"


def speech(session: SittingView, interview: InterviewView) -> str | None:
    """The sentence the hall display speaks for an announced interview, in the sitting's language.

    The dropped marks are read as people say them; the result keeps exactly its decimals. A
    clause is left out when its seat is unknown (no mark was dropped), never guessed.
    """
    if interview.result is None:
        return None
    high = interview.marks.get(interview.dropped_high) if interview.dropped_high else None
    low = interview.marks.get(interview.dropped_low) if interview.dropped_low else None
    result = fmt(interview.result)
    if session.language == "en":
        parts = [f"{interview.position_name}, candidate {interview.draw_no}"]
        if high is not None:
            parts.append(f"Highest mark dropped: {spoken_mark(high)}")
        if low is not None:
            parts.append(f"Lowest mark dropped: {spoken_mark(low)}")
        parts.append(f"Final interview score: {result}")
        return ". ".join(parts) + "."
    parts = [f"{_post(interview.position_name)}{interview.draw_no}号考生"]
    if high is not None:
        parts.append(f"去掉一个最高分{spoken_mark(high)}分")
    if low is not None:
        parts.append(f"去掉一个最低分{spoken_mark(low)}分")
    parts.append(f"最终面试得分{result}分")
    return "，".join(parts)


def display_state(session: SittingView) -> dict[str, Any]:
    """The ``state`` frame for the hall display: no mark or result before the announcement."""
    interviewing = session.interviewing
    current = None
    if interviewing:
        live = interviewing[-1]
        current = {
            "id": live.id,
            "draw_no": live.draw_no,
            "position_name": live.position_name,
            "state": str(live.state),
            "submitted": len(live.marks),
            "expected": session.expected(live),
            "countdown_ends_at": iso(live.countdown_ends_at),
        }
    announcement = None
    shown = session.interview(session.announced_id)
    if shown is not None and shown.state in ANNOUNCED_STATES:
        announcement = {
            "interview_id": shown.id,
            "draw_no": shown.draw_no,
            "candidate_name": shown.candidate_name,
            "position_name": shown.position_name,
            "marks": [m for m in seat_marks(session, shown, reveal=True) if not m["excused"]],
            "result": fmt(shown.result),
            "state": str(shown.state),
            "signed_at": iso(shown.signed_at),
            "speech": speech(session, shown),
        }
        elements = element_averages(session, shown)
        if elements is not None:
            announcement["elements"] = elements
    return {
        "type": "state",
        "session": {"id": session.id, "title": session.title, "batch": session.batch},
        "current": current,
        "announcement": announcement,
    }
