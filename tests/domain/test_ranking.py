"""Ranking and shortlist rules, case by case (DESIGN.md sections 1 and 4)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from server.domain.ranking import (
    Candidate,
    ComponentSpec,
    Unranked,
    interview_weight,
    rank_post,
    rank_sitting,
    shortlist_size,
    to_wire,
    total_score,
)
from server.domain.states import State
from server.domain.views import InterviewView, PositionView, SittingView
from server.errors import Unprocessable

D = Decimal
S = State


def post(openings: int = 1, ratio: str = "1", code: str = "A1") -> PositionView:
    return PositionView(id=1, code=code, name=f"岗位{code}", openings=openings, shortlist_ratio=D(ratio))


def cand(draw: int, score: str | None, state: State = S.SCORED, **components: str) -> Candidate:
    return Candidate(
        interview_id=100 + draw,
        draw_no=draw,
        candidate_name=f"考生{draw}",
        state=state,
        interview=None if score is None else D(score),
        components={int(k[1:]): D(v) for k, v in components.items()},
    )


def table(result) -> list[tuple[int, int, str, bool, bool, bool]]:
    """(draw, rank, total, eligible, shortlisted, tie_at_cutoff) for each ranked candidate."""
    return [
        (r.candidate.draw_no, r.rank, str(r.total), r.eligible, r.shortlisted, r.tie_at_cutoff)
        for r in result.ranking
    ]


T, F = True, False

CASES = [
    # id, openings, ratio, candidates, expected table
    (
        "plain order, shortlist of 2",
        1, "2",
        [cand(1, "80.00"), cand(2, "90.00"), cand(3, "85.00")],
        [(2, 1, "90.00", T, T, F), (3, 2, "85.00", T, T, F), (1, 3, "80.00", T, F, F)],
    ),
    (
        "equal totals share a rank: 1, 2, 2, 4",
        1, "1",
        [cand(1, "90.00"), cand(2, "85.50"), cand(3, "85.50"), cand(4, "70.00")],
        [(1, 1, "90.00", T, T, F), (2, 2, "85.50", T, F, F), (3, 2, "85.50", T, F, F),
         (4, 4, "70.00", T, F, F)],
    ),
    (
        "the 60 line: 59.99 is not eligible, 60.00 is; ineligible never shortlisted",
        3, "1",
        [cand(1, "59.99"), cand(2, "60.00"), cand(3, "45.00")],
        [(2, 1, "60.00", T, T, F), (1, 2, "59.99", F, F, F), (3, 3, "45.00", F, F, F)],
    ),
    (
        "tie at the cut-off: both shortlisted and flagged",
        1, "2",
        [cand(1, "88.00"), cand(2, "80.00"), cand(3, "80.00"), cand(4, "75.00")],
        [(1, 1, "88.00", T, T, F), (2, 2, "80.00", T, T, T), (3, 2, "80.00", T, T, T),
         (4, 4, "75.00", T, F, F)],
    ),
    (
        "three tied across the cut-off of 2: all three shortlisted and flagged",
        2, "1",
        [cand(1, "81.00"), cand(2, "81.00"), cand(3, "81.00"), cand(4, "60.00")],
        [(1, 1, "81.00", T, T, T), (2, 1, "81.00", T, T, T), (3, 1, "81.00", T, T, T),
         (4, 4, "60.00", T, F, F)],
    ),
    (
        "a tie inside the shortlist is no cut-off tie",
        1, "3",
        [cand(1, "90.00"), cand(2, "90.00"), cand(3, "80.00"), cand(4, "70.00")],
        [(1, 1, "90.00", T, T, F), (2, 1, "90.00", T, T, F), (3, 3, "80.00", T, T, F),
         (4, 4, "70.00", T, F, F)],
    ),
    (
        "a tie that fills the shortlist exactly is no cut-off tie",
        1, "2",
        [cand(1, "90.00"), cand(2, "90.00"), cand(3, "80.00")],
        [(1, 1, "90.00", T, T, F), (2, 1, "90.00", T, T, F), (3, 3, "80.00", T, F, F)],
    ),
    (
        "fewer eligible than places: every eligible one, no flags",
        2, "2",
        [cand(1, "70.00"), cand(2, "59.00"), cand(3, "65.00")],
        [(1, 1, "70.00", T, T, F), (3, 2, "65.00", T, T, F), (2, 3, "59.00", F, F, F)],
    ),
    (
        "tie at the cut-off below the 60 line: nobody below 60 is shortlisted",
        1, "2",
        [cand(1, "75.00"), cand(2, "55.00"), cand(3, "55.00")],
        [(1, 1, "75.00", T, T, F), (2, 2, "55.00", F, F, F), (3, 2, "55.00", F, F, F)],
    ),
    (
        "ratio 1.5 of 3 openings: ceil(4.5) = 5",
        3, "1.5",
        [cand(n, f"{90 - n}.00") for n in range(1, 8)],
        [(n, n, f"{90 - n}.00", T, n <= 5, F) for n in range(1, 8)],
    ),
]


@pytest.mark.parametrize(
    ("openings", "ratio", "candidates", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_ranking_rules(openings, ratio, candidates, expected) -> None:
    assert table(rank_post(post(openings, ratio), candidates)) == expected


def test_equal_totals_are_ordered_by_the_interview_score() -> None:
    written = [ComponentSpec(1, "笔试", D("0.5"))]
    result = rank_post(
        post(1, "1"),
        # totals: (70 + 90) / 2 = 80 and (90 + 70) / 2 = 80: equal; the interview breaks the tie
        [cand(1, "70.00", c1="90"), cand(2, "90.00", c1="70")],
        written,
    )
    assert table(result) == [(2, 1, "80.00", T, T, F), (1, 2, "80.00", T, F, F)]


def test_absent_and_unscored_interviews_are_listed_apart_never_as_zero() -> None:
    result = rank_post(
        post(1, "3"),
        [
            cand(1, None, S.ABSENT),
            cand(2, "70.00", S.CONFIRMED),
            cand(3, None, S.WAITING),
            cand(4, None, S.INTERVIEWING),
            cand(5, "65.00", S.DISPUTED),
            cand(6, "61.00", S.ANNOUNCED),
        ],
    )
    assert table(result) == [(2, 1, "70.00", T, T, F), (5, 2, "65.00", T, T, F), (6, 3, "61.00", T, T, F)]
    assert [(a.candidate.draw_no, a.reason) for a in result.unranked] == [
        (1, Unranked.ABSENT), (3, Unranked.NOT_SCORED), (4, Unranked.NOT_SCORED)
    ]


def test_a_missing_component_score_keeps_the_candidate_out_of_the_ranking() -> None:
    written = [ComponentSpec(7, "笔试", D("0.4"))]
    result = rank_post(post(), [cand(1, "80.00", c7="90"), cand(2, "85.00")], written)
    assert table(result) == [(1, 1, "84.00", T, T, F)]
    assert [(a.candidate.draw_no, a.reason, a.missing) for a in result.unranked] == [
        (2, Unranked.MISSING_COMPONENTS, (7,))
    ]


TOTALS = [
    # interview, {component id: (weight, score)}, result_decimals, total
    ("80.13", {}, 2, "80.13"),
    ("80", {}, 2, "80.00"),
    # 0.6 × 80.13 + 0.4 × 90.5 = 48.078 + 36.2 = 84.278 → 84.28
    ("80.13", {1: ("0.4", "90.5")}, 2, "84.28"),
    # half-up exactly at the half: 0.5 × 80.25 + 0.5 × 80 = 80.125 → 80.13 (float gives 80.12)
    ("80.25", {1: ("0.5", "80")}, 2, "80.13"),
    # two components: 0.5 × 70 + 0.3 × 80 + 0.2 × 90 = 35 + 24 + 18 = 77
    ("70.00", {1: ("0.3", "80"), 2: ("0.2", "90")}, 2, "77.00"),
    # 1/3-style weights stay exact: 0.3333 × 90 + 0.6667 × 60 = 29.997 + 40.002 = 69.999 → 70.0
    ("90.0", {1: ("0.6667", "60")}, 1, "70.0"),
    ("85.5", {1: ("0.25", "85.25")}, 0, "85"),
]


@pytest.mark.parametrize(("interview", "parts", "places", "expected"), TOTALS)
def test_weighted_total_is_exact_and_rounded_once(interview, parts, places, expected) -> None:
    specs = [ComponentSpec(cid, f"c{cid}", D(w)) for cid, (w, _) in parts.items()]
    scores = {cid: D(s) for cid, (_, s) in parts.items()}
    assert str(total_score(D(interview), scores, specs, places)) == expected


@pytest.mark.parametrize(
    ("weights", "rest"),
    [([], "1"), (["0.4"], "0.6"), (["0.3", "0.2"], "0.5"), (["0.9999"], "0.0001")],
)
def test_the_interview_keeps_the_rest_of_the_weight(weights, rest) -> None:
    specs = [ComponentSpec(i, f"c{i}", D(w)) for i, w in enumerate(weights)]
    assert str(interview_weight(specs)) == rest


@pytest.mark.parametrize("weights", [["1"], ["0.5", "0.5"], ["0.7", "0.4"]])
def test_the_interview_weight_must_stay_above_zero(weights) -> None:
    with pytest.raises(Unprocessable):
        interview_weight([ComponentSpec(i, f"c{i}", D(w)) for i, w in enumerate(weights)])


@pytest.mark.parametrize(
    ("openings", "ratio", "size"),
    [(1, "1", 1), (1, "2", 2), (3, "1.5", 5), (2, "1.5", 3), (1, "0.5", 1), (7, "1.2", 9),
     (10, "0.3333", 4), (3, "0.0001", 1)],
)
def test_shortlist_size_is_the_exact_ceiling(openings, ratio, size) -> None:
    assert shortlist_size(openings, D(ratio)) == size


def sitting(positions: list[PositionView], interviews: list[InterviewView]) -> SittingView:
    return SittingView(
        id=1, title="场次", batch="", judge_count=5, score_decimals=1, result_decimals=2,
        min_scores=5, created_at=datetime(2026, 11, 24, tzinfo=UTC), version=1,
        positions=positions, interviews=interviews,
    )


def iv(iid: int, draw: int, code: str, result: str | None, state: State = S.SCORED) -> InterviewView:
    return InterviewView(
        id=iid, draw_no=draw, candidate_name=f"人{iid}", position_code=code,
        position_name=f"岗位{code}", state=state, result=None if result is None else D(result),
    )


def test_two_posts_with_different_ratios_are_ranked_apart() -> None:
    a = PositionView(1, "A", "办公室主任", 1, D("2"))
    b = PositionView(2, "B", "财务科科长", 2, D("1"))
    session = sitting(
        [a, b],
        [
            iv(1, 1, "A", "70.00"), iv(2, 2, "A", "88.00"), iv(3, 3, "A", "79.00"),
            iv(4, 1, "B", "91.00"), iv(5, 2, "B", "62.50"), iv(6, 3, "B", "77.00"),
            iv(7, 4, "B", None, S.ABSENT),
        ],
    )
    wire = to_wire(rank_sitting(session))
    assert wire["weights"] == {"interview": "1", "components": []}
    pa, pb = wire["positions"]
    assert (pa["code"], pa["shortlist_size"], pb["code"], pb["shortlist_size"]) == ("A", 2, "B", 2)
    assert [(r["interview_id"], r["rank"], r["shortlisted"]) for r in pa["ranking"]] == [
        (2, 1, True), (3, 2, True), (1, 3, False)
    ]
    assert [(r["interview_id"], r["rank"], r["shortlisted"]) for r in pb["ranking"]] == [
        (4, 1, True), (6, 2, True), (5, 3, False)
    ]
    assert pb["unranked"] == [{"interview_id": 7, "draw_no": 4, "candidate_name": "人7",
                               "state": "absent", "reason": "absent", "missing_components": []}]
    first = pa["ranking"][0]
    assert {k: first[k] for k in ("total", "interview", "eligible", "tie_at_cutoff")} == {
        "total": "88.00", "interview": "88.00", "eligible": True, "tie_at_cutoff": False
    }


def test_weights_and_component_scores_travel_as_strings() -> None:
    session = sitting([PositionView(1, "A", "岗位A", 1, D(1))], [iv(1, 1, "A", "80.13")])
    written = [ComponentSpec(3, "笔试", D("0.4"))]
    wire = to_wire(rank_sitting(session, written, {1: {3: D("90.50")}}))
    assert wire["weights"] == {"interview": "0.6", "components": [{"id": 3, "name": "笔试", "weight": "0.4"}]}
    row = wire["positions"][0]["ranking"][0]
    assert (row["total"], row["interview"]) == ("84.28", "80.13")
    assert row["components"] == [{"id": 3, "name": "笔试", "weight": "0.4", "score": "90.50"}]


def test_an_empty_sitting_ranks_to_nothing() -> None:
    assert to_wire(rank_sitting(sitting([], []))) == {
        "weights": {"interview": "1", "components": []}, "positions": []
    }
