"""A sitting as a pure decider over its own audit events.

A sitting's state is the fold of its audit chain: :func:`evolve` takes one recorded event (its
``seq``, ``at``, ``actor``, ``kind`` and ``data``, exactly as ``audit.jsonl`` holds them) and
returns the next state; :func:`decide` checks a command against the state and returns the events
that record it — the kinds and the data the store writes today — or raises the named
:class:`~server.errors.KioskError` with the message the secretary or the judge reads.

This module does not know SQL, sockets or the clock. A moment enters only as an event's ``at``,
stamped by whoever appends the event, so the times the screens show are the times in the record.
The marks and the results stay the exact text the chain carries; :mod:`server.domain.scoring`
computes the result and :mod:`server.domain.states` says which step is allowed from which state.

**Ids.** Sitting, post, interview and component ids are database row ids, unique across every
sitting, so one sitting's decider cannot choose them. The commands that create a row carry the
id the store will give it (``CreateSitting.session_id``, ``AddPosition.position_id``,
``AddInterview.interview_id``, ``AddComponent.component_id``): the single writer reserves it
before deciding (``server.store.sittings.reserve_id``: the ``id_counter`` table, in the
writer's transaction, so the id of a removed row is never given again, on SQLite as on
PostgreSQL; a refused command's transaction rolls its reservation back) and
``decide`` only checks that it is new to this sitting. An allocator passed to ``decide`` was the
alternative; it would make deciding a side effect (an id spent on a refused command) and the
same command on the same state could decide differently, which a plain value rules out.

**What is not here.** Field shapes (title length, ``judge_count`` 3–15, a note's characters) are
checked by the API's schemas before a command is made; the links (tokens) of the seats and the
display, and the drawn signature itself, are rows beside the record, not part of the state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import compress
from operator import is_not
from typing import Any

from server.domain import chain, ranking, scoring, sheets
from server.domain.scoring import fmt
from server.domain.signature import check_strokes
from server.domain.states import Action, State, transition
from server.domain.views import InterviewView, PositionView, SittingView, is_marking
from server.errors import (
    AlreadySubmitted,
    Conflict,
    DuplicateEntry,
    InUse,
    NotFound,
    NotOpen,
    SeatConflict,
    SeatExcused,
    StillOnScreen,
    TooLateToCorrect,
    Unprocessable,
)

NOTE_MAX = 500  # a dispute note: why the candidate on screen did not sign
#: Places a component score (a written test, say) may have.
COMPONENT_DECIMALS = 2
#: Sitting fields that shape the scoring: fixed once the first interview has started.
SCORING_FIELDS = ("judge_count", "min_scores", "score_decimals", "result_decimals")
_SITTING_FIELDS = ("title", "batch", *SCORING_FIELDS)

# --- the state ---------------------------------------------------------------------------------
#
# Frozen dataclasses over plain dicts: nothing here mutates a dict it was given; every change
# builds a new dict (a shallow copy of one level), so an old state stays valid beside a new one.


@dataclass(frozen=True)
class Mark:
    """A seat's live mark: its text exactly as recorded, and the request that brought it."""

    score: str
    request_id: str
    parts: Mapping[str, str] | None = None  # a score sheet's elements, as recorded


@dataclass(frozen=True)
class Receipt:
    """What a request id was acknowledged with, kept for the whole sitting (even after a reopen)."""

    interview_id: int
    score: str
    parts: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Position:
    id: int
    code: str
    name: str
    openings: int
    shortlist_ratio: str  # decimal text, as recorded


@dataclass(frozen=True)
class Interview:
    id: int
    position_id: int
    draw_no: int
    candidate_name: str
    state: State = State.WAITING
    marks: Mapping[int, Mark] = field(default_factory=dict)
    excused: Mapping[int, str] = field(default_factory=dict)  # seat → reason
    result: str | None = None
    dropped_high: int | None = None
    dropped_low: int | None = None
    started_at: datetime | None = None
    scored_at: datetime | None = None
    announced_at: datetime | None = None
    signed_at: datetime | None = None
    note: str | None = None
    countdown_ends_at: datetime | None = None


@dataclass(frozen=True)
class Component:
    id: int
    name: str
    weight: str  # decimal text, as recorded


@dataclass(frozen=True)
class SittingState:
    """One sitting as its chain has made it, up to and including event ``version``."""

    id: int
    title: str
    batch: str
    judge_count: int
    score_decimals: int
    result_decimals: int
    min_scores: int
    language: str
    created_at: datetime
    version: int
    positions: Mapping[int, Position] = field(default_factory=dict)  # by id, in id order
    interviews: Mapping[int, Interview] = field(default_factory=dict)  # by id
    announced_id: int | None = None
    removed: bool = False
    receipts: Mapping[int, Mapping[str, Receipt]] = field(default_factory=dict)  # seat → id → …
    components: Mapping[int, Component] = field(default_factory=dict)
    component_scores: Mapping[int, Mapping[int, str]] = field(default_factory=dict)  # iid → cid →
    #: A score sheet by element (评分要素, DESIGN.md section 6); empty: one number per judge.
    criteria: tuple[sheets.Criterion, ...] = ()
    trim: str = "total"

    def position_by_code(self, code: str) -> Position | None:
        return next((p for p in self.positions.values() if p.code == code), None)

    def owed(self, interview: Interview) -> int:
        """Count the seats that owe ``interview`` a mark (every seat not excused)."""
        return self.judge_count - len(interview.excused)


# --- events: the shapes every decider shares (re-exported for the callers) ---------------------

Event = chain.Event
Recorded = chain.Recorded


# --- commands ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateSitting:
    session_id: int  # the id the store gives the sitting's row
    title: str
    judge_count: int
    score_decimals: int
    result_decimals: int
    min_scores: int
    batch: str = ""
    language: str = "zh"
    criteria: tuple[sheets.Criterion, ...] = ()  # checked by sheets.parse_criteria
    trim: str = "total"


@dataclass(frozen=True)
class AddPosition:
    position_id: int  # the id the store gives the post's row
    code: str
    name: str
    openings: int = 1
    shortlist_ratio: str = "1"


@dataclass(frozen=True)
class AddInterview:
    interview_id: int  # the id the store gives the interview's row
    draw_no: int
    candidate_name: str
    position_code: str


@dataclass(frozen=True)
class Start:
    interview_id: int
    countdown_minutes: int | None = None


@dataclass(frozen=True)
class SetCountdown:
    interview_id: int
    minutes: int | None


@dataclass(frozen=True)
class Excuse:
    interview_id: int
    seat: int
    reason: str


@dataclass(frozen=True)
class Reopen:
    interview_id: int
    seat: int
    reason: str


@dataclass(frozen=True)
class Submit:
    """A judge's mark as it came off the socket: ``interview_id`` and ``score`` unchecked."""

    seat: int
    request_id: str
    interview_id: Any
    score: Any  # None: left out (a score sheet's total may be)
    parts: Any = None  # a score sheet's elements, unchecked; None: none sent


@dataclass(frozen=True)
class Announce:
    interview_id: int


@dataclass(frozen=True)
class Absent:
    interview_id: int


@dataclass(frozen=True)
class Dispute:
    interview_id: int
    note: str


@dataclass(frozen=True)
class Sign:
    interview_id: int
    strokes: list[Any]


@dataclass(frozen=True)
class CorrectInterview:
    """Change a waiting candidate's draw number, name or post; a field left None stays."""

    interview_id: int
    draw_no: int | None = None
    candidate_name: str | None = None
    position_code: str | None = None


@dataclass(frozen=True)
class RemoveInterview:
    interview_id: int


@dataclass(frozen=True)
class CorrectPosition:
    """Change the post ``code`` names; a field left None stays."""

    code: str
    new_code: str | None = None
    name: str | None = None
    openings: int | None = None
    shortlist_ratio: str | None = None


@dataclass(frozen=True)
class RemovePosition:
    code: str


@dataclass(frozen=True)
class CorrectSitting:
    """Change the title or batch; the panel and the decimals only before the first start."""

    title: str | None = None
    batch: str | None = None
    judge_count: int | None = None
    score_decimals: int | None = None
    result_decimals: int | None = None
    min_scores: int | None = None


@dataclass(frozen=True)
class RemoveSitting:
    pass


@dataclass(frozen=True)
class AddComponent:
    component_id: int  # the id the store gives the component's row
    name: str
    weight: Decimal


@dataclass(frozen=True)
class ScoreComponent:
    interview_id: int
    component_id: int
    score: Any


Command = (
    CreateSitting
    | AddPosition
    | AddInterview
    | Start
    | SetCountdown
    | Excuse
    | Reopen
    | Submit
    | Announce
    | Absent
    | Dispute
    | Sign
    | CorrectInterview
    | RemoveInterview
    | CorrectPosition
    | RemovePosition
    | CorrectSitting
    | RemoveSitting
    | AddComponent
    | ScoreComponent
)


# --- evolve ------------------------------------------------------------------------------------


def _put_interview(state: SittingState, interview: Interview) -> SittingState:
    return replace(state, interviews={**state.interviews, interview.id: interview})


def _step(interview: Interview, action: Action, **changes: Any) -> Interview:
    # The record is checked as it is folded: a chain that skips a step does not fold.
    return replace(interview, state=transition(interview.state, action), **changes)


def _session_created(e: Recorded) -> SittingState:
    d = e.data
    return SittingState(
        id=d["session_id"],
        title=d["title"],
        batch=d.get("batch", ""),
        judge_count=d["judge_count"],
        score_decimals=d["score_decimals"],
        result_decimals=d["result_decimals"],
        min_scores=d["min_scores"],
        language=d.get("language", "zh"),  # chains of the landed release have no language
        criteria=sheets.criteria_from_data(d.get("criteria") or ()),
        trim=d.get("trim") or "total",
        created_at=e.moment,
        version=e.seq,
    )


def _session_corrected(s: SittingState, e: Recorded) -> SittingState:
    s = replace(s, **{k: v for k, v in e.data["new"].items() if k in _SITTING_FIELDS})
    if s.criteria and "score_decimals" in e.data["new"]:
        # A sheet's maxima are written like marks: with the sitting's new places.
        places = s.score_decimals
        s = replace(
            s,
            criteria=tuple(replace(c, max=scoring.quantize(c.max, places)) for c in s.criteria),
        )
    return s


def _session_removed(s: SittingState, e: Recorded) -> SittingState:
    return replace(s, removed=True)


def _position_created(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    position = Position(d["position_id"], d["code"], d["name"], d["openings"], d["shortlist_ratio"])
    return replace(s, positions={**s.positions, position.id: position})


def _position_corrected(s: SittingState, e: Recorded) -> SittingState:
    position = s.positions[e.data["position_id"]]
    return replace(s, positions={**s.positions, position.id: replace(position, **e.data["new"])})


def _position_removed(s: SittingState, e: Recorded) -> SittingState:
    return replace(
        s, positions={k: v for k, v in s.positions.items() if k != e.data["position_id"]}
    )


def _position_id(s: SittingState, code: str) -> int:
    position = s.position_by_code(code)
    if position is None:
        raise ValueError(f"the chain names post {code!r} before creating it")
    return position.id


def _interview_created(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    interview = Interview(
        id=d["interview_id"],
        position_id=_position_id(s, d["position_code"]),
        draw_no=d["draw_no"],
        candidate_name=d["candidate_name"],
    )
    return _put_interview(s, interview)


def _interview_corrected(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    new = dict(e.data["new"])
    if "position_code" in new:
        new["position_id"] = _position_id(s, new.pop("position_code"))
    return _put_interview(s, replace(interview, **new))


def _interview_removed(s: SittingState, e: Recorded) -> SittingState:
    iid = e.data["interview_id"]
    return replace(
        s,
        interviews={k: v for k, v in s.interviews.items() if k != iid},
        component_scores={k: v for k, v in s.component_scores.items() if k != iid},
    )


def _interview_started(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    minutes = e.data.get("countdown_minutes")
    at = e.moment
    ends = at + timedelta(minutes=minutes) if minutes else interview.countdown_ends_at
    return _put_interview(s, _step(interview, Action.START, started_at=at, countdown_ends_at=ends))


def _interview_countdown(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    minutes = e.data.get("minutes")
    ends = e.moment + timedelta(minutes=minutes) if minutes else None
    return _put_interview(s, replace(interview, countdown_ends_at=ends))


def _mark_submitted(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    seat, iid, score, request_id = d["seat"], d["interview_id"], d["score"], d["request_id"]
    interview = s.interviews[iid]
    parts = d.get("parts")
    marks = {**interview.marks, seat: Mark(score, request_id, parts)}
    seen = {**s.receipts.get(seat, {}), request_id: Receipt(iid, score, parts)}
    s = replace(s, receipts={**s.receipts, seat: seen})
    return _put_interview(s, _step(interview, Action.SUBMIT, marks=marks))


def _seat_excused(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    excused = {**interview.excused, e.data["seat"]: e.data["reason"]}
    return _put_interview(s, _step(interview, Action.EXCUSE, excused=excused))


def _mark_reopened(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    seat = e.data["seat"]
    reopened = _step(
        interview,
        Action.REOPEN,
        # The old mark (or the excusal) leaves the state; the chain keeps it.
        marks={k: v for k, v in interview.marks.items() if k != seat},
        excused={k: v for k, v in interview.excused.items() if k != seat},
        result=None,
        dropped_high=None,
        dropped_low=None,
        scored_at=None,
    )
    return _put_interview(s, reopened)


def _interview_scored(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    interview = s.interviews[d["interview_id"]]
    scored = _step(
        interview,
        Action.COMPLETE,
        result=d["result"],
        dropped_high=d["dropped_high"],
        dropped_low=d["dropped_low"],
        scored_at=e.moment,
    )
    return _put_interview(s, scored)


def _interview_announced(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    s = replace(s, announced_id=interview.id)
    return _put_interview(s, _step(interview, Action.ANNOUNCE, announced_at=e.moment))


def _interview_signed(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    return _put_interview(s, _step(interview, Action.SIGN, signed_at=e.moment))


def _interview_absent(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    return _put_interview(s, _step(interview, Action.ABSENT))


def _interview_disputed(s: SittingState, e: Recorded) -> SittingState:
    interview = s.interviews[e.data["interview_id"]]
    return _put_interview(s, _step(interview, Action.DISPUTE, note=e.data["note"]))


def _component_created(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    component = Component(d["component_id"], d["name"], d["weight"])
    return replace(s, components={**s.components, component.id: component})


def _component_scored(s: SittingState, e: Recorded) -> SittingState:
    d = e.data
    iid = d["interview_id"]
    scores = {**s.component_scores.get(iid, {}), d["component_id"]: d["score"]}
    return replace(s, component_scores={**s.component_scores, iid: scores})


#: Each kind of the sitting's chain and how it moves the state (every kind in audit.KINDS).
EVOLVE: dict[str, Callable[[SittingState, Recorded], SittingState]] = {
    "session.corrected": _session_corrected,
    "session.removed": _session_removed,
    "position.created": _position_created,
    "position.corrected": _position_corrected,
    "position.removed": _position_removed,
    "interview.created": _interview_created,
    "interview.corrected": _interview_corrected,
    "interview.removed": _interview_removed,
    "interview.started": _interview_started,
    "interview.countdown": _interview_countdown,
    "mark.submitted": _mark_submitted,
    "seat.excused": _seat_excused,
    "mark.reopened": _mark_reopened,
    "interview.scored": _interview_scored,
    "interview.announced": _interview_announced,
    "interview.signed": _interview_signed,
    "interview.absent": _interview_absent,
    "interview.disputed": _interview_disputed,
    "component.created": _component_created,
    "component.scored": _component_scored,
}


evolve = chain.make_evolve("session.created", _session_created, EVOLVE, "a sitting's")


def fold(events: Iterable[Recorded], state: SittingState | None = None) -> SittingState | None:
    """Return the state after every event in ``events``, in order."""
    return chain.fold(evolve, events, state)


# --- decide: the checks, each with the message the reader acts on ------------------------------


def _sitting(state: SittingState | None) -> SittingState:
    if state is None:
        raise NotFound("场次不存在。", "There is no such sitting.")
    if state.removed:
        raise NotFound(f"场次 {state.id} 不存在。", f"There is no sitting {state.id}.")
    return state


def _interview(state: SittingState | None, interview_id: int) -> Interview:
    interview = None if state is None else state.interviews.get(interview_id)
    if interview is None:
        raise NotFound(f"面试 {interview_id} 不存在。", f"There is no interview {interview_id}.")
    return interview


def _sitting_or_none(state: SittingState | None) -> SittingState:
    # Every command but CreateSitting and Submit needs the sitting to exist (removed or not:
    # each rule says itself whether a removed sitting refuses it, as the store does today).
    if state is None:
        raise NotFound("场次不存在。", "There is no such sitting.")
    return state


def _check_seat(state: SittingState, seat: int) -> None:
    if not 1 <= seat <= state.judge_count:
        raise Unprocessable(
            f"评委席位必须在 1 到 {state.judge_count} 之间。",
            f"The seat must be between 1 and {state.judge_count}.",
        )


def _unknown_post(code: str) -> Unprocessable:
    return Unprocessable(
        f"岗位代码 {code} 不存在，请先添加该岗位。", f"There is no post {code}: add the post first."
    )


def _code_taken(code: str) -> DuplicateEntry:
    return DuplicateEntry(
        f"岗位代码 {code} 在本场次中已存在。", f"Post code {code} already exists in this sitting."
    )


def _new_id(kind: str, taken: Mapping[int, Any], new: int) -> None:
    # The store reserves the id; a clash is the store's bug, not the secretary's.
    if new in taken:
        raise ValueError(f"{kind} id {new} is already used in this sitting")


def _waiting_only(interview: Interview, doing_zh: str, doing_en: str) -> None:
    if interview.state != State.WAITING:
        raise TooLateToCorrect(
            f"{interview.draw_no} 号考生的面试已不在候考状态，不能{doing_zh}；"
            "成绩和记录以审计日志为准。",
            f"Draw {interview.draw_no} is no longer waiting: it cannot be {doing_en}.",
        )


def _started(interview: Interview) -> bool:
    return interview.started_at is not None or interview.state not in (State.WAITING, State.ABSENT)


def _not_started(state: SittingState, doing_zh: str, doing_en: str) -> None:
    if any(_started(i) for i in state.interviews.values()):
        raise TooLateToCorrect(
            f"本场次已有考生开始面试，不能{doing_zh}。",
            f"An interview of this sitting has started: {doing_en} is no longer possible.",
        )


def _scored_if_complete(
    state: SittingState, interview: Interview, marks: Mapping[int, Mark], excused: Mapping[int, str]
) -> list[Event]:
    """Return ``interview.scored`` once every seat not excused has a mark, else nothing."""
    if interview.state != State.INTERVIEWING or len(marks) < state.judge_count - len(excused):
        return []
    outcome: scoring.Outcome | sheets.SheetOutcome
    if state.criteria:
        # By element: the sitting's trim rule (per element, no whole mark is dropped).
        outcome = sheets.sheet_score(
            {seat: sheets.parts_from_data(mark.parts or {}) for seat, mark in marks.items()},
            state.criteria,
            state.trim,
            state.result_decimals,
        )
    else:
        outcome = scoring.interview_score(
            {seat: Decimal(mark.score) for seat, mark in marks.items()}, state.result_decimals
        )
    return [
        Event(
            "interview.scored",
            "system",
            {
                "interview_id": interview.id,
                "result": fmt(outcome.result),
                "dropped_high": outcome.dropped_high,
                "dropped_low": outcome.dropped_low,
                "marks": {str(seat): marks[seat].score for seat in sorted(marks)},
            },
        )
    ]


def _create_sitting(state: SittingState | None, c: CreateSitting) -> list[Event]:
    if state is not None:
        raise ValueError(f"sitting {state.id} already exists")
    fields = {
        "title": c.title,
        "batch": c.batch,
        "judge_count": c.judge_count,
        "score_decimals": c.score_decimals,
        "result_decimals": c.result_decimals,
        "min_scores": c.min_scores,
        "language": c.language,
    }
    if c.criteria:  # only a sheet's chain says so: one-number chains stay as they were
        fields["criteria"] = [criterion.as_data() for criterion in c.criteria]
        fields["trim"] = c.trim
    return [Event("session.created", "secretary", {"session_id": c.session_id, **fields})]


def _add_position(state: SittingState, c: AddPosition) -> list[Event]:
    _sitting(state)
    _new_id("position", state.positions, c.position_id)
    if state.position_by_code(c.code) is not None:
        raise _code_taken(c.code)
    fields = {
        "code": c.code,
        "name": c.name,
        "openings": c.openings,
        "shortlist_ratio": c.shortlist_ratio,
    }
    return [Event("position.created", "secretary", {"position_id": c.position_id, **fields})]


def _draw_holder(
    state: SittingState, position_id: int, draw_no: int, other_than: int | None = None
) -> Interview | None:
    return next(
        (
            i
            for i in state.interviews.values()
            if i.position_id == position_id and i.draw_no == draw_no and i.id != other_than
        ),
        None,
    )


def _add_interview(state: SittingState, c: AddInterview) -> list[Event]:
    _sitting(state)
    position = state.position_by_code(c.position_code)
    if position is None:
        raise _unknown_post(c.position_code)
    if _draw_holder(state, position.id, c.draw_no) is not None:
        raise DuplicateEntry(
            f"岗位 {c.position_code} 已有抽签号 {c.draw_no}。",
            f"Post {c.position_code} already has draw number {c.draw_no}.",
        )
    _new_id("interview", state.interviews, c.interview_id)
    data = {
        "interview_id": c.interview_id,
        "draw_no": c.draw_no,
        "candidate_name": c.candidate_name,
        "position_code": c.position_code,
    }
    return [Event("interview.created", "secretary", data)]


def _start(state: SittingState, c: Start) -> list[Event]:
    interview = _interview(state, c.interview_id)
    live = next(
        (
            i
            for i in state.interviews.values()
            if i.state == State.INTERVIEWING and i.id != interview.id
        ),
        None,
    )
    if live is not None and interview.state == State.WAITING:
        raise Conflict(
            f"{live.draw_no} 号的面试尚未结束，请等评分完成后再开始下一位。",
            f"Draw {live.draw_no} is still being interviewed: wait until it is scored.",
        )
    transition(interview.state, Action.START)
    data = {"interview_id": interview.id, "countdown_minutes": c.countdown_minutes}
    return [Event("interview.started", "secretary", data)]


def _set_countdown(state: SittingState, c: SetCountdown) -> list[Event]:
    interview = _interview(state, c.interview_id)
    if interview.state != State.INTERVIEWING:
        raise Conflict("只有面试中的考生可以设置倒计时。", "Only a live interview has a countdown.")
    data = {"interview_id": interview.id, "minutes": c.minutes}
    return [Event("interview.countdown", "secretary", data)]


def _excuse(state: SittingState, c: Excuse) -> list[Event]:
    interview = _interview(state, c.interview_id)
    _sitting(state)
    _check_seat(state, c.seat)
    transition(interview.state, Action.EXCUSE)  # excusing keeps the state; check it
    if c.seat in interview.excused:
        raise SeatConflict(f"{c.seat} 号评委已回避。", f"Seat {c.seat} is already excused.")
    if c.seat in interview.marks:
        raise SeatConflict(
            f"{c.seat} 号评委已打分，不能回避；如需更正请使用“重新打分”。",
            f"Seat {c.seat} has already marked: reopen the seat instead.",
        )
    remaining = state.judge_count - len(interview.excused) - 1
    if remaining < state.min_scores:
        raise SeatConflict(
            f"回避后只剩 {remaining} 位评委，少于本场要求的 {state.min_scores} 个有效分。",
            f"Only {remaining} seats would remain, fewer than the {state.min_scores} marks required.",
        )
    data = {"interview_id": interview.id, "seat": c.seat, "reason": c.reason}
    excused = {**interview.excused, c.seat: c.reason}
    return [
        Event("seat.excused", "secretary", data),
        *_scored_if_complete(state, interview, interview.marks, excused),
    ]


def _reopen(state: SittingState, c: Reopen) -> list[Event]:
    interview = _interview(state, c.interview_id)
    _sitting(state)
    _check_seat(state, c.seat)
    transition(interview.state, Action.REOPEN)
    mark = interview.marks.get(c.seat)
    excusal = interview.excused.get(c.seat)
    if mark is None and excusal is None:
        raise SeatConflict(
            f"{c.seat} 号评委尚未打分，无需重新打分。", f"Seat {c.seat} has no mark to reopen."
        )
    data: dict[str, Any] = {"interview_id": interview.id, "seat": c.seat, "reason": c.reason}
    if mark is not None:
        data["old_score"] = mark.score
        data["old_request_id"] = mark.request_id
    else:
        data["old_score"] = None
        data["was_excused"] = excusal
    return [Event("mark.reopened", "secretary", data)]


def _submit(state: SittingState | None, c: Submit) -> list[Event]:
    seen = None if state is None else state.receipts.get(c.seat, {}).get(c.request_id)
    if seen is not None:
        return []  # the original ack goes back (see acknowledge); nothing changes
    state = _sitting(state)
    if not 1 <= c.seat <= state.judge_count:  # a seat removed by a correction, its phone still open
        raise NotOpen(
            "本场次已没有这个评委席位，请向秘书索取新的链接。",
            "This seat no longer exists in the sitting.",
        )
    parts: dict[str, str] | None = None
    if state.criteria:
        sheet = sheets.parse_parts(c.parts, c.score, state.criteria, state.score_decimals)
        score, parts = sheet.score, sheet.parts_data()
    else:
        score = scoring.parse_mark(c.score, state.score_decimals)
    # Any id that is not one of this sitting's (a string, a bool, another sitting's) is not open.
    interview = state.interviews.get(c.interview_id) if type(c.interview_id) is int else None
    if interview is None:
        raise NotOpen(
            "这场面试不在本场次中，无法打分。", "That interview is not part of this sitting."
        )
    if c.seat in interview.excused:
        raise SeatExcused("您已回避本场面试，无需打分。", "You are excused from this interview.")
    if c.seat in interview.marks:
        raise AlreadySubmitted(
            "您已为该考生打过分，分数不可更改。", "You have already marked this candidate."
        )
    if interview.state != State.INTERVIEWING:
        raise NotOpen("该考生尚未开始面试或评分已结束。", "This interview is not open for marking.")
    text = fmt(score)
    assert text is not None
    data: dict[str, Any] = {
        "interview_id": interview.id,
        "seat": c.seat,
        "score": text,
        "request_id": c.request_id,
    }
    if parts is not None:
        data["parts"] = parts
    marks = {**interview.marks, c.seat: Mark(text, c.request_id, parts)}
    return [
        Event("mark.submitted", f"judge:{c.seat}", data),
        *_scored_if_complete(state, interview, marks, interview.excused),
    ]


def _announce(state: SittingState, c: Announce) -> list[Event]:
    interview = _interview(state, c.interview_id)
    transition(interview.state, Action.ANNOUNCE)  # the wrong state says so first
    # One candidate on screen at a time: the one shown signs, or a note says why they did not,
    # before the next result replaces theirs.
    on_screen = next(
        (
            i
            for i in state.interviews.values()
            if i.state == State.ANNOUNCED and i.id != interview.id
        ),
        None,
    )
    if on_screen is not None:
        position = state.positions.get(on_screen.position_id)
        code = position.code if position is not None else "?"
        raise StillOnScreen(
            f"{code} 岗位 {on_screen.draw_no} 号考生的成绩仍在大屏上，请先让其签字确认，"
            "或记录其拒绝签字/未返回的说明。",
            f"Candidate {on_screen.draw_no} of post {code} is still on the display: have them "
            "sign, or record that they declined to sign or did not come back.",
        )
    _sitting(state)
    data = {"interview_id": interview.id, "result": interview.result}
    return [Event("interview.announced", "secretary", data)]


def _absent(state: SittingState, c: Absent) -> list[Event]:
    interview = _interview(state, c.interview_id)
    transition(interview.state, Action.ABSENT)
    return [Event("interview.absent", "secretary", {"interview_id": interview.id})]


def _dispute(state: SittingState, c: Dispute) -> list[Event]:
    interview = _interview(state, c.interview_id)
    note = c.note.strip()
    if not 1 <= len(note) <= NOTE_MAX:
        raise Unprocessable(
            f"请写明情况（1 到 {NOTE_MAX} 个字），例如：考生拒绝签字，或考生未返回。",
            f"Say what happened (1 to {NOTE_MAX} characters), e.g. the candidate declined to sign.",
        )
    transition(interview.state, Action.DISPUTE)
    return [Event("interview.disputed", "secretary", {"interview_id": interview.id, "note": note})]


def signature_payload(strokes: list[Any]) -> str:
    """Write the drawn signature as the store keeps it beside the record (the event: its hash)."""
    return json.dumps(strokes, separators=(",", ":"))


def _sign(state: SittingState, c: Sign) -> list[Event]:
    strokes = check_strokes(c.strokes)
    _sitting(state)
    interview = state.interviews.get(c.interview_id)
    if interview is None or state.announced_id != c.interview_id:
        raise Conflict(
            "只能为正在公布成绩的考生签字。", "Only the candidate whose score is shown can sign."
        )
    transition(interview.state, Action.SIGN)
    payload = signature_payload(strokes)
    data = {
        "interview_id": interview.id,
        "points": sum(len(s) for s in strokes),
        "strokes_sha256": hashlib.sha256(payload.encode()).hexdigest(),
    }
    return [Event("interview.signed", "display", data)]


def _interview_fields(state: SittingState, interview: Interview) -> dict[str, Any]:
    position = state.positions.get(interview.position_id)
    return {
        "draw_no": interview.draw_no,
        "candidate_name": interview.candidate_name,
        "position_code": position.code if position is not None else None,
    }


def _correct_interview(state: SittingState, c: CorrectInterview) -> list[Event]:
    interview = _interview(state, c.interview_id)
    _sitting(state)
    _waiting_only(interview, "更正", "corrected")
    old = _interview_fields(state, interview)
    changes = {
        "draw_no": c.draw_no,
        "candidate_name": c.candidate_name,
        "position_code": c.position_code,
    }
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    position = state.position_by_code(new["position_code"])
    if position is None:
        raise _unknown_post(new["position_code"])
    taken = _draw_holder(state, position.id, new["draw_no"], other_than=interview.id)
    if taken is not None:
        raise DuplicateEntry(
            f"岗位 {new['position_code']} 已有抽签号 {new['draw_no']}（{taken.candidate_name}）。",
            f"Post {new['position_code']} already has draw number {new['draw_no']}.",
        )
    changed = [k for k in ("draw_no", "candidate_name", "position_code") if new[k] != old[k]]
    if not changed:
        return []
    data = {
        "interview_id": interview.id,
        "old": {k: old[k] for k in changed},
        "new": {k: new[k] for k in changed},
    }
    return [Event("interview.corrected", "secretary", data)]


def _remove_interview(state: SittingState, c: RemoveInterview) -> list[Event]:
    interview = _interview(state, c.interview_id)
    _sitting(state)
    _waiting_only(interview, "删除", "removed")
    data: dict[str, Any] = {"interview_id": interview.id, **_interview_fields(state, interview)}
    # A waiting interview has no mark; it may have an excused seat or a component score.
    if interview.excused:
        data["excused"] = {str(seat): reason for seat, reason in sorted(interview.excused.items())}
    scores = state.component_scores.get(interview.id)
    if scores:
        data["component_scores"] = {str(cid): score for cid, score in scores.items()}
    return [Event("interview.removed", "secretary", data)]


def _get_position(state: SittingState, code: str) -> Position:
    _sitting(state)
    position = state.position_by_code(code)
    if position is None:
        raise NotFound(f"本场次没有岗位 {code}。", f"This sitting has no post {code}.")
    return position


def _users(state: SittingState, position: Position) -> int:
    return sum(1 for i in state.interviews.values() if i.position_id == position.id)


def _correct_position(state: SittingState, c: CorrectPosition) -> list[Event]:
    position = _get_position(state, c.code)
    old: dict[str, Any] = {
        "code": position.code,
        "name": position.name,
        "openings": position.openings,
        "shortlist_ratio": position.shortlist_ratio,
    }
    changes: dict[str, Any] = {
        "code": c.new_code,
        "name": c.name,
        "openings": c.openings,
        "shortlist_ratio": c.shortlist_ratio,
    }
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    if new["code"] != old["code"]:
        users = _users(state, position)
        if users:
            raise InUse(
                f"岗位 {c.code} 已有 {users} 名考生，不能更改岗位代码；可以修改岗位名称。",
                f"Post {c.code} has {users} candidate(s): its code cannot change (its name can).",
            )
        if state.position_by_code(new["code"]) is not None:
            raise _code_taken(new["code"])
    changed = [k for k in old if new[k] != old[k]]
    if not changed:
        return []
    data = {
        "position_id": position.id,
        "code": c.code,
        "old": {k: old[k] for k in changed},
        "new": {k: new[k] for k in changed},
    }
    return [Event("position.corrected", "secretary", data)]


def _remove_position(state: SittingState, c: RemovePosition) -> list[Event]:
    position = _get_position(state, c.code)
    users = _users(state, position)
    if users:
        raise InUse(
            f"岗位 {c.code} 还有 {users} 名考生，请先删除或改派这些考生。",
            f"Post {c.code} still has {users} candidate(s): remove or move them first.",
        )
    data = {
        "position_id": position.id,
        "code": position.code,
        "name": position.name,
        "openings": position.openings,
        "shortlist_ratio": position.shortlist_ratio,
    }
    return [Event("position.removed", "secretary", data)]


def _correct_sitting(state: SittingState, c: CorrectSitting) -> list[Event]:
    _sitting(state)
    old: dict[str, Any] = {k: getattr(state, k) for k in _SITTING_FIELDS}
    changes = {k: getattr(c, k) for k in _SITTING_FIELDS}
    new = {**old, **{k: v for k, v in changes.items() if v is not None}}
    if new["judge_count"] != old["judge_count"] and c.min_scores is None:
        # Keep the minimum the secretary chose when it still fits the new panel.
        new["min_scores"] = min(old["min_scores"], new["judge_count"])
    changed = [k for k in old if new[k] != old[k]]
    if any(k in SCORING_FIELDS for k in changed):
        _not_started(
            state, "更改评委人数、最少有效评分或小数位", "changing the panel or the decimals"
        )
        if state.criteria and new["score_decimals"] != old["score_decimals"]:
            # Fewer places than a maximum needs would cut it (12.5 with whole marks): refused.
            exact = scoring.quantize(Decimal(1), new["score_decimals"])
            if any(c.max != c.max.quantize(exact) for c in state.criteria):
                raise Unprocessable(
                    f"评分要素的满分有小数，评分不能改为保留 {new['score_decimals']} 位小数。",
                    f"An element's maximum needs more than {new['score_decimals']} decimal place(s).",
                )
        if not 3 <= new["min_scores"] <= new["judge_count"]:
            raise Unprocessable(
                f"最少有效评分必须在 3 到评委人数（{new['judge_count']}）之间。",
                f"min_scores must be from 3 to judge_count ({new['judge_count']}).",
            )
        # Seats excused in advance must still exist and leave enough marks.
        for interview in state.interviews.values():
            for seat in interview.excused:
                if seat > new["judge_count"]:
                    raise SeatConflict(
                        f"第 {seat} 席已在某位考生的面试中回避，不能减少到 {new['judge_count']} 位评委；"
                        "请先撤销该回避。",
                        f"Seat {seat} is excused for an interview: undo that before reducing the panel.",
                    )
        most = max((len(i.excused) for i in state.interviews.values()), default=0)
        if most and new["judge_count"] - most < new["min_scores"]:
            raise SeatConflict(
                "按新的评委人数，已有回避的考生将凑不够最少有效评分。",
                "With the new panel, an interview with excused seats would have too few marks.",
            )
    if not changed:
        return []
    data: dict[str, Any] = {
        "session_id": state.id,
        "old": {k: old[k] for k in changed},
        "new": {k: new[k] for k in changed},
    }
    if new["judge_count"] > old["judge_count"]:
        data["seats_added"] = list(range(old["judge_count"] + 1, new["judge_count"] + 1))
    elif new["judge_count"] < old["judge_count"]:
        data["seats_removed"] = list(range(new["judge_count"] + 1, old["judge_count"] + 1))
    return [Event("session.corrected", "secretary", data)]


def _remove_sitting(state: SittingState, c: RemoveSitting) -> list[Event]:
    _sitting(state)
    _not_started(state, "删除场次", "removing it")
    return [Event("session.removed", "secretary", {"session_id": state.id, "title": state.title})]


def _add_component(state: SittingState, c: AddComponent) -> list[Event]:
    _sitting(state)
    if any(x.name == c.name for x in state.components.values()):
        raise DuplicateEntry(
            f"本场次已有名为“{c.name}”的成绩组成部分。",
            f"This sitting already has a component named “{c.name}”.",
        )
    planned = [
        ranking.ComponentSpec(x.id, x.name, Decimal(x.weight)) for x in state.components.values()
    ]
    ranking.interview_weight([*planned, ranking.ComponentSpec(0, c.name, c.weight)])
    _new_id("component", state.components, c.component_id)
    data = {"component_id": c.component_id, "name": c.name, "weight": fmt(c.weight) or "0"}
    return [Event("component.created", "secretary", data)]


def _score_component(state: SittingState, c: ScoreComponent) -> list[Event]:
    interview = _interview(state, c.interview_id)
    component = state.components.get(c.component_id)
    if component is None:
        raise NotFound(
            f"本场次没有编号为 {c.component_id} 的成绩组成部分。",
            f"This sitting has no component {c.component_id}.",
        )
    text = fmt(scoring.parse_mark(c.score, COMPONENT_DECIMALS)) or "0"
    data = {
        "interview_id": interview.id,
        "component_id": component.id,
        "name": component.name,
        "score": text,
        "old_score": state.component_scores.get(interview.id, {}).get(component.id),
    }
    return [Event("component.scored", "secretary", data)]


_DECIDE: dict[type, Callable[[Any, Any], list[Event]]] = {
    AddPosition: _add_position,
    AddInterview: _add_interview,
    Start: _start,
    SetCountdown: _set_countdown,
    Excuse: _excuse,
    Reopen: _reopen,
    Announce: _announce,
    Absent: _absent,
    Dispute: _dispute,
    Sign: _sign,
    CorrectInterview: _correct_interview,
    RemoveInterview: _remove_interview,
    CorrectPosition: _correct_position,
    RemovePosition: _remove_position,
    CorrectSitting: _correct_sitting,
    RemoveSitting: _remove_sitting,
    AddComponent: _add_component,
    ScoreComponent: _score_component,
}

#: Commands that the store routes to a sitting by a row id it has (an interview's), not by the
#: sitting's: on a removed sitting they still decide, as the store lets them today.
_BY_INTERVIEW = (
    Start,
    SetCountdown,
    Excuse,
    Reopen,
    Announce,
    Absent,
    Dispute,
    CorrectInterview,
    RemoveInterview,
    ScoreComponent,
)


def decide(state: SittingState | None, command: Command) -> list[Event]:
    """Return the events that record ``command``, or raise the rule it breaks; change nothing.

    An empty list means the command changes nothing: a correction to the values already held,
    or a ``Submit`` whose request id this seat has used before (:func:`acknowledge` then gives
    the original ack).
    """
    if isinstance(command, CreateSitting):
        return _create_sitting(state, command)
    if isinstance(command, Submit):
        return _submit(state, command)
    if state is None and isinstance(command, _BY_INTERVIEW):
        _interview(state, command.interview_id)  # "there is no interview N", as the store says
    return _DECIDE[type(command)](_sitting_or_none(state), command)


@dataclass(frozen=True)
class Ack:
    """What the judge's phone is told once a mark is durable (or was already)."""

    request_id: str
    interview_id: int
    score: str
    replay: bool
    parts: Mapping[str, str] | None = None  # a score sheet's elements, as recorded


def acknowledge(state: SittingState, command: Submit, events: list[Event]) -> Ack:
    """Return the ack for ``command``, given the events ``decide`` returned for it.

    A fresh mark is acknowledged with what its ``mark.submitted`` event carries; a request id seen
    before (no events) with what it was first acknowledged with, from ``state``.
    """
    if events:
        data = events[0].data
        return Ack(
            command.request_id, data["interview_id"], data["score"], False, data.get("parts")
        )
    receipt = state.receipts[command.seat][command.request_id]
    return Ack(command.request_id, receipt.interview_id, receipt.score, True, receipt.parts)


def apply(
    state: SittingState | None, command: Command, at: str
) -> tuple[SittingState | None, list[Recorded]]:
    """Decide ``command`` and fold its events stamped ``at`` (the store: after its commit)."""
    events = decide(state, command)
    recorded = chain.stamp(events, 0 if state is None else state.version, at)
    return fold(recorded, state), recorded


# --- what the screens see ----------------------------------------------------------------------


def sitting_view(state: SittingState) -> SittingView:
    """Build the sitting as :mod:`server.domain.views` takes it."""
    positions = sorted(state.positions.values(), key=lambda p: p.id)
    interviews, place, live = _roster(state)
    return SittingView(
        id=state.id,
        title=state.title,
        batch=state.batch,
        judge_count=state.judge_count,
        score_decimals=state.score_decimals,
        result_decimals=state.result_decimals,
        min_scores=state.min_scores,
        language=state.language,
        created_at=state.created_at,
        version=state.version,
        positions=[
            PositionView(p.id, p.code, p.name, p.openings, Decimal(p.shortlist_ratio))
            for p in positions
        ],
        interviews=interviews,
        announced_id=state.announced_id,
        criteria=state.criteria,
        trim=state.trim,
        place=place,
        live_ids=live,
    )


#: Interview id → (the state's interview, its post, the view built from them). States share the
#: objects of what an event left alone, so a sitting of 60 builds one interview's view per mark.
_VIEWS: dict[int, tuple[Interview, Position, InterviewView]] = {}


@dataclass(frozen=True)
class _Roster:
    """What a sitting's views were last built from, and what was built."""

    interviews: Mapping[int, Interview]
    positions: Mapping[int, Position]
    built: list[InterviewView]  # in roster order
    place: dict[int, int]  # interview id → index in ``built``
    live: frozenset[int]  # the interviews being marked


#: Sitting id → its roster as last built.
_ROSTERS: dict[int, _Roster] = {}


def _roster_key(interview: Interview) -> tuple[int, int]:
    return interview.position_id, interview.draw_no


def _roster(state: SittingState) -> tuple[list[InterviewView], dict[int, int], frozenset[int]]:
    """Every interview's view in roster order (post, then draw number), each one's place in that
    order, and the ids of those being marked.

    A mark changes one interview: when the roster is the one last built for this sitting (same
    interviews, posts and order), only the interviews that changed are built again and nothing
    is sorted or scanned in Python, so a mark costs the same in a long sitting as in a short
    one. Whatever was built last is the reference, so a view built out of turn is still right,
    just slower.
    """
    held = _ROSTERS.get(state.id)
    if held is not None:
        before = held.interviews
        if held.positions is state.positions and before.keys() == state.interviews.keys():
            # Which interviews are other objects than last time, compared in C. The keys are
            # the same; if their order differs, a pair compares two interviews' objects, never
            # the same object, so an interview is at worst built again for nothing.
            now = state.interviews.values()
            changed = list(compress(now, map(is_not, before.values(), now)))
            if all(_roster_key(i) == _roster_key(before[i.id]) for i in changed):
                fresh = list(held.built)
                marking = set(held.live)
                for interview in changed:
                    view = fresh[held.place[interview.id]] = _cached_view(state, interview)
                    if is_marking(view):
                        marking.add(view.id)
                    else:
                        marking.discard(view.id)
                roster = _Roster(
                    state.interviews, state.positions, fresh, held.place, frozenset(marking)
                )
                _ROSTERS[state.id] = roster
                return list(fresh), roster.place, roster.live
    ordered = sorted(state.interviews.values(), key=_roster_key)
    built = [_cached_view(state, i) for i in ordered]
    place = {i.id: n for n, i in enumerate(ordered)}
    live = frozenset(v.id for v in built if is_marking(v))
    _ROSTERS[state.id] = _Roster(state.interviews, state.positions, built, place, live)
    return list(built), place, live


def _cached_view(state: SittingState, interview: Interview) -> InterviewView:
    position = state.positions[interview.position_id]
    held = _VIEWS.get(interview.id)
    if held is not None and held[0] is interview and held[1] is position:
        return held[2]
    view = interview_view(state, interview)
    _VIEWS[interview.id] = (interview, position, view)
    return view


def interview_view(state: SittingState, interview: Interview) -> InterviewView:
    """Build one interview as :mod:`server.domain.views` takes it."""
    position = state.positions[interview.position_id]
    return InterviewView(
        id=interview.id,
        draw_no=interview.draw_no,
        candidate_name=interview.candidate_name,
        position_code=position.code,
        position_name=position.name,
        state=interview.state,
        marks={seat: Decimal(m.score) for seat, m in interview.marks.items()},
        parts={
            seat: sheets.parts_from_data(m.parts) for seat, m in interview.marks.items() if m.parts
        },
        excused=dict(interview.excused),
        result=None if interview.result is None else Decimal(interview.result),
        dropped_high=interview.dropped_high,
        dropped_low=interview.dropped_low,
        started_at=interview.started_at,
        scored_at=interview.scored_at,
        announced_at=interview.announced_at,
        signed_at=interview.signed_at,
        note=interview.note,
        countdown_ends_at=interview.countdown_ends_at,
    )
