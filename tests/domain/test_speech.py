"""The sentence the hall display speaks: built by the server, marks read as people say them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from server.domain import views
from server.domain.scoring import interview_score
from server.domain.states import State
from server.domain.views import InterviewView, SittingView

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def sitting(shown: InterviewView, language: str = "zh", judges: int = 5, result_decimals: int = 2) -> SittingView:
    return SittingView(
        id=1, title="第一批次", batch="1", judge_count=judges, score_decimals=1,
        result_decimals=result_decimals, min_scores=3, created_at=T0, version=1, positions=[],
        interviews=[shown], announced_id=shown.id, language=language,
    )


def announced(
    marks: dict[int, str], result_decimals: int = 2, post: str = "办公室主任", draw: int = 3,
    excused: dict[int, str] | None = None, state: State = State.ANNOUNCED,
) -> InterviewView:
    exact = {seat: Decimal(v) for seat, v in marks.items()}
    outcome = interview_score(exact, result_decimals)
    return InterviewView(
        id=7, draw_no=draw, candidate_name="张三", position_code="A1", position_name=post,
        state=state, marks=exact, excused=excused or {}, result=outcome.result,
        dropped_high=outcome.dropped_high, dropped_low=outcome.dropped_low, started_at=T0,
    )


SPOKEN_MARKS = [
    (Decimal("90.0"), "90"),
    (Decimal("86.50"), "86.5"),
    (Decimal("100.0"), "100"),
    (Decimal("100"), "100"),
    (Decimal("0.0"), "0"),
    (Decimal("0"), "0"),
    (Decimal("0.50"), "0.5"),
    (Decimal("90"), "90"),
    (Decimal("85.05"), "85.05"),
    (Decimal("70.10"), "70.1"),
]


@pytest.mark.parametrize(("mark", "said"), SPOKEN_MARKS)
def test_a_dropped_mark_is_said_without_trailing_zero_decimals(mark: Decimal, said: str) -> None:
    assert views.spoken_mark(mark) == said


ZH = [
    # The design's example: six marks, float rounding would give 80.12.
    (
        {1: "79.0", 2: "80.0", 3: "80.0", 4: "80.0", 5: "80.5", 6: "90.0"}, 2, None,
        "办公室主任岗位3号考生，去掉一个最高分90分，去掉一个最低分79分，最终面试得分80.13分",
    ),
    # The top and the bottom of the scale.
    (
        {1: "100.0", 2: "0.0", 3: "85.0", 4: "86.5", 5: "88.0"}, 2, None,
        "办公室主任岗位3号考生，去掉一个最高分100分，去掉一个最低分0分，最终面试得分86.50分",
    ),
    # Two places on the marks; the result keeps its own places, trailing zero included.
    (
        {1: "86.50", 2: "90.00", 3: "70.00", 4: "80.00", 5: "85.00"}, 2, None,
        "办公室主任岗位3号考生，去掉一个最高分90分，去掉一个最低分70分，最终面试得分83.83分",
    ),
    (
        {1: "86.50", 2: "86.50", 3: "86.50", 4: "80.25", 5: "99.75"}, 1, None,
        "办公室主任岗位3号考生，去掉一个最高分99.75分，去掉一个最低分80.25分，最终面试得分86.5分",
    ),
    # Whole results: no decimal point at all.
    (
        {1: "80.0", 2: "81.0", 3: "82.5", 4: "83.0", 5: "90.0"}, 0, None,
        "办公室主任岗位3号考生，去掉一个最高分90分，去掉一个最低分80分，最终面试得分82分",
    ),
    # Every judge gave the same mark: one is still dropped each way, and said.
    (
        {1: "88.0", 2: "88.0", 3: "88.0", 4: "88.0", 5: "88.0"}, 2, None,
        "办公室主任岗位3号考生，去掉一个最高分88分，去掉一个最低分88分，最终面试得分88.00分",
    ),
    # Seats 6 and 7 excused: fewer marks than seats.
    (
        {1: "81.5", 2: "77.0", 3: "93.5", 4: "88.0", 5: "60.0"}, 2, {6: "回避", 7: "离场"},
        "办公室主任岗位3号考生，去掉一个最高分93.5分，去掉一个最低分60分，最终面试得分82.17分",
    ),
]


@pytest.mark.parametrize(("marks", "places", "excused", "sentence"), ZH)
def test_the_chinese_sentence(marks: dict[int, str], places: int, excused, sentence: str) -> None:
    shown = announced(marks, places, excused=excused)
    frame = views.display_state(sitting(shown, judges=7, result_decimals=places))
    assert frame["announcement"]["speech"] == sentence
    # The sentence and the screen say the same result.
    assert frame["announcement"]["result"] in sentence


def test_the_english_sentence() -> None:
    shown = announced({1: "79.0", 2: "80.0", 3: "80.0", 4: "80.0", 5: "80.5", 6: "90.0"}, post="Office head")
    assert views.display_state(sitting(shown, language="en", judges=6))["announcement"]["speech"] == (
        "Office head, candidate 3. Highest mark dropped: 90. Lowest mark dropped: 79. "
        "Final interview score: 80.13."
    )


@pytest.mark.parametrize(
    ("post", "said"),
    [("岗位A1", "岗位A1岗位"), ("综合岗", "综合岗岗位"), ("财务岗位", "财务岗位岗位"), ("办公室主任", "办公室主任岗位")],
)
def test_the_post_is_named_as_the_contract_writes_it(post: str, said: str) -> None:
    shown = announced({1: "80.0", 2: "81.0", 3: "82.0"}, post=post, draw=12)
    assert views.speech(sitting(shown), shown).startswith(f"{said}12号考生，")  # type: ignore[union-attr]


@pytest.mark.parametrize("state", [State.ANNOUNCED, State.CONFIRMED, State.DISPUTED])
def test_the_sentence_stays_with_the_announcement(state: State) -> None:
    shown = announced({1: "80.0", 2: "81.0", 3: "82.0"}, state=state)
    assert views.display_state(sitting(shown))["announcement"]["speech"].endswith("最终面试得分81.00分")


@pytest.mark.parametrize("state", [State.INTERVIEWING, State.SCORED])
def test_no_sentence_before_the_announcement(state: State) -> None:
    shown = announced({1: "80.0", 2: "81.0", 3: "82.0"}, state=state)
    frame = views.display_state(sitting(shown))
    assert frame["announcement"] is None
    assert "81.00" not in repr(frame)
