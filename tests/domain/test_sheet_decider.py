"""A sitting scored by elements (评分要素) as the decider sees it: the criteria in its first
event, parts in each mark, the sitting's trim rule when the last mark arrives, the ack, the
views (nobody's parts before scoring, the judge's own after submitting), the display's element
averages and the spoken sentence without the 去掉 clauses; and the chain replays to the same
state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain import sheets, views
from server.domain import sitting as sd
from server.domain.states import State
from server.errors import InvalidParts, InvalidScore, Unprocessable

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
AB = sheets.parse_criteria(
    [{"code": "a", "name": "要素甲", "max": "50"}, {"code": "b", "name": "要素乙", "max": "50"}], 1
)
SPLIT = [("50", "10"), ("10", "45"), ("40", "40"), ("35", "30"), ("30", "35")]


def stamp(n: int) -> str:
    return (T0 + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")


def run(state: sd.SittingState | None, *commands: sd.Command) -> sd.SittingState:
    for command in commands:
        version = 0 if state is None else state.version
        state, _ = sd.apply(state, command, stamp(version + 1))
    assert state is not None
    return state


def sitting(trim: str = "total", criteria: tuple[sheets.Criterion, ...] = AB) -> sd.SittingState:
    return run(
        None,
        sd.CreateSitting(1, "要素场", 5, 1, 2, 5, criteria=criteria, trim=trim),
        sd.AddPosition(10, "A1", "综合岗", 1, "2"),
        sd.AddInterview(101, 1, "张三", "A1"),
        sd.Start(101),
    )


def submit(seat: int, parts: object, score: object = None, rid: str | None = None) -> sd.Submit:
    return sd.Submit(seat, rid or f"r{seat}", 101, score, parts)


def test_the_first_event_carries_the_sheet_and_a_one_number_chain_does_not() -> None:
    events = sd.decide(
        None, sd.CreateSitting(1, "要素场", 5, 1, 2, 5, criteria=AB, trim="per_criterion")
    )
    data = events[0].data
    assert data["criteria"] == [
        {"code": "a", "name": "要素甲", "max": "50.0"},
        {"code": "b", "name": "要素乙", "max": "50.0"},
    ]
    assert data["trim"] == "per_criterion"
    plain = sd.decide(None, sd.CreateSitting(1, "一个总分", 5, 1, 2, 5))[0].data
    assert "criteria" not in plain and "trim" not in plain


def test_a_mark_by_elements_records_its_parts_and_their_sum() -> None:
    state = sitting()
    command = submit(1, {"a": "16.5", "b": 20}, "36.5")
    events = sd.decide(state, command)
    assert [e.kind for e in events] == ["mark.submitted"]
    assert events[0].data["score"] == "36.5"
    assert events[0].data["parts"] == {"a": "16.5", "b": "20.0"}
    after = run(state, command)
    ack = sd.acknowledge(after, command, [])  # the same request again: the original ack
    assert (ack.score, dict(ack.parts or {}), ack.replay) == (
        "36.5",
        {"a": "16.5", "b": "20.0"},
        True,
    )
    assert sd.decide(after, command) == []
    frame = views.judge_state(sd.sitting_view(after), 1)
    assert frame["criteria"] == [c.as_data() for c in AB]
    assert frame["my_parts"] == {"a": "16.5", "b": "20.0"}
    assert views.judge_state(sd.sitting_view(after), 2)["my_parts"] is None
    secretary = views.interview_for_secretary(
        sd.sitting_view(after), sd.sitting_view(after).interviews[0]
    )
    assert all(m["parts"] is None and m["score"] is None for m in secretary["marks"])


@pytest.mark.parametrize(
    ("parts", "score"),
    [
        (None, "36.5"),
        ({"a": "16.5"}, None),
        ({"a": "51", "b": "0"}, None),
        ({"a": "1", "b": "2"}, "4"),
        ({"a": "1", "b": "2", "c": "0"}, None),
        ("3", None),
    ],
)
def test_bad_parts_change_nothing(parts: object, score: object) -> None:
    state = sitting()
    with pytest.raises(InvalidParts):
        sd.decide(state, submit(1, parts, score))


def test_a_one_number_sitting_ignores_parts_and_keeps_its_rules() -> None:
    state = run(
        None,
        sd.CreateSitting(1, "一个总分", 5, 1, 2, 5),
        sd.AddPosition(10, "A1", "综合岗", 1, "2"),
        sd.AddInterview(101, 1, "张三", "A1"),
        sd.Start(101),
    )
    events = sd.decide(state, submit(1, {"a": "1"}, "85"))
    assert events[0].data == {"interview_id": 101, "seat": 1, "score": "85.0", "request_id": "r1"}
    with pytest.raises(InvalidScore):
        sd.decide(state, submit(1, {"a": "1"}))


@pytest.mark.parametrize(
    ("trim", "result", "high", "low", "speech"),
    [
        (
            "total",
            "63.33",
            3,
            2,
            "综合岗岗位1号考生，去掉一个最高分80分，去掉一个最低分55分，最终面试得分63.33分",
        ),
        ("per_criterion", "70.00", None, None, "综合岗岗位1号考生，最终面试得分70.00分"),
    ],
)
def test_the_last_mark_scores_by_the_sittings_rule(
    trim: str, result: str, high: int | None, low: int | None, speech: str
) -> None:
    state = sitting(trim)
    for seat, (a, b) in enumerate(SPLIT, start=1):
        state = run(state, submit(seat, {"a": a, "b": b}))
    interview = state.interviews[101]
    assert interview.state == State.SCORED
    assert (interview.result, interview.dropped_high, interview.dropped_low) == (result, high, low)
    state = run(state, sd.Announce(101))
    view = sd.sitting_view(state)
    frame = views.display_state(view)["announcement"]
    assert frame["speech"] == speech
    if trim == "per_criterion":
        assert frame["elements"] == [
            {"code": "a", "name": "要素甲", "max": "50.0", "average": "35.00"},
            {"code": "b", "name": "要素乙", "max": "50.0", "average": "35.00"},
        ]
    else:
        assert "elements" not in frame
    shown = views.interview_for_secretary(view, view.interviews[0])
    assert shown["marks"][0]["parts"] == {"a": "50.0", "b": "10.0"}


def test_the_chain_replays_to_the_same_sheet() -> None:
    state = None
    recorded: list[sd.Recorded] = []
    commands: list[sd.Command] = [
        sd.CreateSitting(1, "要素场", 5, 1, 2, 5, criteria=AB, trim="per_criterion"),
        sd.AddPosition(10, "A1", "综合岗", 1, "2"),
        sd.AddInterview(101, 1, "张三", "A1"),
        sd.Start(101),
        *[submit(seat, {"a": a, "b": b}) for seat, (a, b) in enumerate(SPLIT, start=1)],
        sd.Reopen(101, 2, "录入有误"),
        submit(2, {"a": "12", "b": "44"}, rid="again"),
    ]
    for command in commands:
        version = 0 if state is None else state.version
        state, events = sd.apply(state, command, stamp(version + 1))
        recorded += events
    replayed = sd.fold(recorded)
    assert replayed == state
    assert replayed is not None and replayed.criteria == AB and replayed.trim == "per_criterion"
    assert replayed.interviews[101].marks[2].parts == {"a": "12.0", "b": "44.0"}


def test_a_sheet_follows_a_change_of_decimals_before_the_start() -> None:
    state = run(
        None,
        sd.CreateSitting(1, "要素场", 5, 1, 2, 5, criteria=AB),
        sd.CorrectSitting(score_decimals=2),
    )
    assert [c.as_data()["max"] for c in state.criteria] == ["50.00", "50.00"]
    state = run(state, sd.CorrectSitting(score_decimals=0))
    assert [c.as_data()["max"] for c in state.criteria] == ["50", "50"]
    halves = sheets.parse_criteria(
        [{"code": "a", "name": "甲", "max": "50.5"}, {"code": "b", "name": "乙", "max": "49.5"}], 1
    )
    with_halves = run(None, sd.CreateSitting(1, "要素场", 5, 1, 2, 5, criteria=halves))
    with pytest.raises(Unprocessable):
        sd.decide(with_halves, sd.CorrectSitting(score_decimals=0))
