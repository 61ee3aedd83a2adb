"""What each screen may see: a judge only their own mark, the display nothing before the announcement."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from server.domain import views
from server.domain.states import State
from server.domain.views import InterviewView, SittingView

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def sitting(*interviews: InterviewView, announced_id: int | None = None) -> SittingView:
    return SittingView(
        id=1, title="第一批次", batch="1", judge_count=5, score_decimals=1, result_decimals=2,
        min_scores=5, created_at=T0, version=1, positions=[], interviews=list(interviews),
        announced_id=announced_id,
    )


def interview(iid: int, state: State, marks: dict[int, str], started: int | None = 0, **kw) -> InterviewView:
    return InterviewView(
        id=iid, draw_no=iid, candidate_name=f"考生{iid}", position_code="A1", position_name="主任",
        state=state, marks={s: Decimal(v) for s, v in marks.items()},
        started_at=None if started is None else T0 + timedelta(minutes=started), **kw,
    )


SECRET = {1: "81.5", 2: "77.0", 3: "93.5", 4: "88.0"}


def all_strings(value) -> str:
    return repr(value)


@pytest.mark.parametrize("state", [State.INTERVIEWING])
def test_a_judge_sees_only_their_own_mark(state) -> None:
    s = sitting(interview(1, state, SECRET))
    for seat in range(1, 6):
        frame = views.judge_state(s, seat)
        assert frame["my_score"] == (SECRET.get(seat))
        others = [v for k, v in SECRET.items() if k != seat]
        assert not any(v in all_strings(frame) for v in others)
        assert frame["submitted"] == 4 and frame["expected"] == 5


@pytest.mark.parametrize("state", [State.INTERVIEWING, State.SCORED])
def test_the_display_sees_no_mark_or_result_before_the_announcement(state) -> None:
    live = interview(1, state, SECRET, result=Decimal("85.83"), dropped_high=3, dropped_low=2)
    frame = views.display_state(sitting(live))
    text = all_strings(frame)
    assert frame["announcement"] is None
    assert not any(v in text for v in SECRET.values())
    assert "85.83" not in text


def test_the_secretary_sees_marks_only_once_scored() -> None:
    live = interview(1, State.INTERVIEWING, SECRET)
    row = views.interview_for_secretary(sitting(live), live)
    assert [m["score"] for m in row["marks"]] == [None] * 5
    assert [m["submitted"] for m in row["marks"]] == [True, True, True, True, False]
    assert row["result"] is None


def test_the_announcement_shows_every_mark_and_the_dropped_ones() -> None:
    marks = {**SECRET, 5: "60.0"}
    shown = interview(1, State.ANNOUNCED, marks, result=Decimal("82.17"), dropped_high=3, dropped_low=5)
    frame = views.display_state(sitting(shown, announced_id=1))
    ann = frame["announcement"]
    assert ann["result"] == "82.17"
    assert {m["seat"]: m["dropped"] for m in ann["marks"]} == {1: None, 2: None, 3: "high", 4: None, 5: "low"}


def test_a_reopened_seat_is_led_back_to_the_interview_it_owes() -> None:
    older = interview(1, State.INTERVIEWING, {1: "80", 2: "81", 4: "83", 5: "84"}, started=0)
    newer = interview(2, State.INTERVIEWING, {}, started=10)
    s = sitting(older, newer)
    assert views.judge_state(s, 3)["interview"]["id"] == 1  # seat 3 still owes interview 1
    assert views.judge_state(s, 1)["interview"]["id"] == 2
    assert views.display_state(s)["current"]["id"] == 2


def test_judge_sees_the_last_started_interview_when_nothing_is_live() -> None:
    s = sitting(
        interview(1, State.ANNOUNCED, SECRET, started=0),
        interview(2, State.SCORED, SECRET, started=5),
        interview(3, State.WAITING, {}, started=None),
    )
    assert views.judge_state(s, 2)["interview"]["id"] == 2
    assert views.display_state(s)["current"] is None
    assert views.judge_state(sitting(), 1)["interview"] is None


OUTLIERS = [
    ({1: "80", 2: "82", 3: "85", 4: "81", 5: "60"}, [5]),
    ({1: "80", 2: "82", 3: "85", 4: "81", 5: "96.5"}, []),  # 14.5 from the median of 82
    ({1: "80", 2: "82", 3: "85", 4: "81", 5: "97.5"}, [5]),
    ({1: "50", 2: "82", 3: "85", 4: "81", 5: "99"}, [1, 5]),
]


@pytest.mark.parametrize(("marks", "seats"), OUTLIERS)
def test_far_off_marks_are_flagged_for_the_secretary(marks, seats) -> None:
    assert views.outliers({s: Decimal(v) for s, v in marks.items()}) == seats
