"""The ranking of each post (岗位排名) and its shortlist (初步考察对象).

Per post, candidates are ordered by total score high to low, equal totals by the interview score;
candidates equal in both share a rank, competition style (1, 2, 2, 4). A total under 60 is not
eligible. The shortlist holds ``ceil(openings × shortlist_ratio)`` eligible candidates, plus
everyone tied with its last place; when such a tie pushes the shortlist past its size, the whole
tied group is flagged ``tie_at_cutoff`` for the leadership group to decide.

Weights. A sitting may define other components (a written test, say), each with a weight that is a
fraction of the total, e.g. ``0.4``. The interview keeps the rest: ``1 − Σ weights``, which must
stay above zero. With no components the interview weight is 1 and the total is the interview
score. The interview part is the announced interview score (already rounded); the weighted sum
is computed exactly and rounded once, half-up, to the sitting's ``result_decimals``.

Interviews that are absent, not scored yet, or lack a component score are listed apart (unranked)
with the reason, never ranked as zero. This module knows nothing of storage or transport.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from server.domain.scoring import fmt, quantize, round_half_up
from server.domain.states import SCORED_STATES, State
from server.domain.views import InterviewView, PositionView, SittingView
from server.errors import Unprocessable

PASS_LINE = Decimal(60)
ONE = Decimal(1)


@dataclass(frozen=True)
class ComponentSpec:
    """A scored part of the total other than the interview, with its weight (a fraction of 1)."""

    id: int
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Candidate:
    """One interview of a post, as the ranking needs it."""

    interview_id: int
    draw_no: int
    candidate_name: str
    state: State
    interview: Decimal | None
    components: Mapping[int, Decimal] = field(default_factory=dict)


class Unranked(StrEnum):
    ABSENT = "absent"
    NOT_SCORED = "not_scored"
    MISSING_COMPONENTS = "missing_components"


@dataclass(frozen=True)
class Ranked:
    rank: int
    candidate: Candidate
    total: Decimal
    eligible: bool
    shortlisted: bool
    tie_at_cutoff: bool

    @property
    def interview(self) -> Decimal:
        assert self.candidate.interview is not None
        return self.candidate.interview


@dataclass(frozen=True)
class Apart:
    """A candidate listed apart from the ranking, and why."""

    candidate: Candidate
    reason: Unranked
    missing: tuple[int, ...] = ()


@dataclass(frozen=True)
class PostRanking:
    position: PositionView
    shortlist_size: int
    ranking: tuple[Ranked, ...]
    unranked: tuple[Apart, ...]


@dataclass(frozen=True)
class SittingRanking:
    result_decimals: int
    interview_weight: Decimal
    components: tuple[ComponentSpec, ...]
    posts: tuple[PostRanking, ...]


def interview_weight(components: Iterable[ComponentSpec]) -> Decimal:
    """Return the interview's weight, ``1 − Σ`` component weights, or raise when not above 0."""
    rest = ONE - sum((c.weight for c in components), Decimal(0))
    if rest <= 0:
        raise Unprocessable(
            "各组成部分的权重之和必须小于 1，面试成绩须保留正的权重。",
            "The component weights must add up to less than 1: the interview keeps the rest.",
        )
    return rest


def shortlist_size(openings: int, ratio: Decimal) -> int:
    """``ceil(openings × ratio)``, exactly."""
    return math.ceil(Fraction(openings) * Fraction(ratio))


def total_score(
    interview: Decimal,
    scores: Mapping[int, Decimal],
    components: Sequence[ComponentSpec],
    result_decimals: int,
) -> Decimal:
    """The weighted total, summed exactly and rounded once half-up to ``result_decimals``."""
    if not components:
        return quantize(interview, result_decimals)
    exact = Fraction(interview) * Fraction(interview_weight(components))
    for component in components:
        exact += Fraction(scores[component.id]) * Fraction(component.weight)
    return quantize(round_half_up(exact, result_decimals), result_decimals)


def _apart(candidate: Candidate, components: Sequence[ComponentSpec]) -> Apart | None:
    if candidate.state == State.ABSENT:
        return Apart(candidate, Unranked.ABSENT)
    if candidate.state not in SCORED_STATES or candidate.interview is None:
        return Apart(candidate, Unranked.NOT_SCORED)
    missing = tuple(c.id for c in components if c.id not in candidate.components)
    if missing:
        return Apart(candidate, Unranked.MISSING_COMPONENTS, missing)
    return None


def rank_post(
    position: PositionView,
    candidates: Iterable[Candidate],
    components: Sequence[ComponentSpec] = (),
    result_decimals: int = 2,
) -> PostRanking:
    """Rank one post's candidates and mark its shortlist."""
    size = shortlist_size(position.openings, position.shortlist_ratio)
    scored: list[tuple[Decimal, Decimal, Candidate]] = []
    apart: list[Apart] = []
    for candidate in candidates:
        reason = _apart(candidate, components)
        if reason is not None:
            apart.append(reason)
            continue
        assert candidate.interview is not None
        total = total_score(candidate.interview, candidate.components, components, result_decimals)
        scored.append((total, candidate.interview, candidate))
    # High to low by total, then interview score; the draw number only fixes the printed order
    # of candidates who share a rank.
    scored.sort(key=lambda row: (-row[0], -row[1], row[2].draw_no, row[2].interview_id))

    ranks: list[int] = []
    for index, (total, interview, _) in enumerate(scored):
        same = index > 0 and (total, interview) == (scored[index - 1][0], scored[index - 1][1])
        ranks.append(ranks[-1] if same else index + 1)

    eligible = [i for i, row in enumerate(scored) if row[0] >= PASS_LINE]
    shortlisted: set[int] = set(eligible)
    flagged: set[int] = set()
    if len(eligible) > size:  # size ≥ 1: openings ≥ 1 and the ratio > 0
        # Eligible candidates come first (the order is by total), so index = place.
        cutoff = scored[size - 1][:2]
        shortlisted = {i for i in eligible if i < size or scored[i][:2] == cutoff}
        if len(shortlisted) > size:
            flagged = {i for i in shortlisted if scored[i][:2] == cutoff}

    ranking = tuple(
        Ranked(
            rank=ranks[i],
            candidate=row[2],
            total=row[0],
            eligible=row[0] >= PASS_LINE,
            shortlisted=i in shortlisted,
            tie_at_cutoff=i in flagged,
        )
        for i, row in enumerate(scored)
    )
    apart.sort(key=lambda a: (a.candidate.draw_no, a.candidate.interview_id))
    return PostRanking(position, size, ranking, tuple(apart))


def candidate_of(interview: InterviewView, scores: Mapping[int, Decimal]) -> Candidate:
    return Candidate(
        interview_id=interview.id,
        draw_no=interview.draw_no,
        candidate_name=interview.candidate_name,
        state=interview.state,
        interview=interview.result if interview.state in SCORED_STATES else None,
        components=dict(scores),
    )


def rank_sitting(
    session: SittingView,
    components: Sequence[ComponentSpec] = (),
    scores: Mapping[int, Mapping[int, Decimal]] | None = None,
) -> SittingRanking:
    """Rank every post of a sitting; ``scores`` maps interview id → component id → score."""
    scores = scores or {}
    weight = interview_weight(components)
    posts = []
    for position in session.positions:
        candidates = [
            candidate_of(i, scores.get(i.id, {}))
            for i in session.interviews
            if i.position_code == position.code
        ]
        posts.append(rank_post(position, candidates, components, session.result_decimals))
    return SittingRanking(session.result_decimals, weight, tuple(components), tuple(posts))


def _components_wire(
    candidate: Candidate, components: Sequence[ComponentSpec]
) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "weight": fmt(c.weight),
            "score": fmt(candidate.components.get(c.id)),
        }
        for c in components
    ]


def to_wire(ranking: SittingRanking) -> dict[str, Any]:
    """The ``GET /api/sessions/{sid}/ranking`` body (contract keys, plus weights and unranked)."""
    components = ranking.components
    return {
        "weights": {
            "interview": fmt(ranking.interview_weight),
            "components": [
                {"id": c.id, "name": c.name, "weight": fmt(c.weight)} for c in components
            ],
        },
        "positions": [
            {
                "code": post.position.code,
                "name": post.position.name,
                "openings": post.position.openings,
                "shortlist_ratio": fmt(post.position.shortlist_ratio),
                "shortlist_size": post.shortlist_size,
                "ranking": [
                    {
                        "rank": r.rank,
                        "interview_id": r.candidate.interview_id,
                        "draw_no": r.candidate.draw_no,
                        "candidate_name": r.candidate.candidate_name,
                        "total": fmt(r.total),
                        "interview": fmt(r.interview),
                        "components": _components_wire(r.candidate, components),
                        "eligible": r.eligible,
                        "shortlisted": r.shortlisted,
                        "tie_at_cutoff": r.tie_at_cutoff,
                    }
                    for r in post.ranking
                ],
                "unranked": [
                    {
                        "interview_id": a.candidate.interview_id,
                        "draw_no": a.candidate.draw_no,
                        "candidate_name": a.candidate.candidate_name,
                        "state": str(a.candidate.state),
                        "reason": str(a.reason),
                        "missing_components": list(a.missing),
                    }
                    for a in post.unranked
                ],
            }
            for post in ranking.posts
        ],
    }
