"""Where a campaign meets its sittings: posts for a batch's sitting, interviews from
applications, and interview results brought back as ``application.scored`` events.

The campaign's side of DESIGN section 5's "Interviews of a campaign", ready for the sitting's
routes to call (``POST /api/sessions {"batch_id"}`` and ``POST /api/sessions/{sid}/interviews
{"draw_no", "application_id"}`` live in server/api/routes.py, which this module does not touch):

1. a batch's sitting: :func:`server.campaign.decider.check_sitting` first (the batch exists and
   its sittings share decimals, criteria and trim: 409 otherwise, :func:`scoring_of`), then the
   sitting with the batch's posts, :func:`sitting_posts` (code, name, the openings the batch
   offers, the shortlist ratio), one ``AddPosition`` each, in the sitting's first write; then
   :meth:`server.campaign.store.Campaigns.sitting_added` (``batch.sitting_added``), which the
   interview route asks back with ``Campaigns.sitting_batch(sid)``;
2. an interview from an application: :func:`candidate` checks the application (approved, of the
   sitting's batch, not interviewed yet: 409 otherwise) and gives the name and post for the
   sitting's ``AddInterview``; after that write, :meth:`server.campaign.store.Campaigns.interviewed` records
   ``application.interviewed`` (a second interview for the same application is refused there:
   the caller then removes the interview it just made);
3. results: nothing needs to tell the campaign when an interview is scored. Before an outcome is
   decided (and whenever the ranking is read) the campaign reads the linked interviews' rows
   (``interview.state``/``result``, which the sitting's writer keeps) and records what changed as
   ``application.scored`` (:func:`score_updates`), so the shortlist the outcome checks is the
   one the sittings' record says.

The total is the sitting ranking's ``total`` (DESIGN section 4): the interview score when the
sitting has no other component, else the weighted total of the interview and the sitting's
components (a written test, say; :func:`server.domain.ranking.total_score`, rounded to the
sitting's ``result_decimals``), so the batch ranks by the same number each sitting's ranking
shows. An interview that lacks a component score is unranked in its sitting and is not brought
back until the score is entered; a component score corrected later is brought back again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from server.campaign import decider as cd
from server.domain.ranking import ComponentSpec, total_score
from server.domain.scoring import fmt
from server.domain.states import SCORED_STATES, State
from server.errors import Conflict, DuplicateEntry, NotFound
from server.store import components
from server.store.models import Interview, Sitting


def scoring_of(
    score_decimals: int, result_decimals: int, criteria: Any = None, trim: str = "total"
) -> dict[str, Any]:
    """What every sitting of one batch must share (DESIGN section 5), as the chain records it."""
    return {
        "score_decimals": score_decimals,
        "result_decimals": result_decimals,
        "criteria": criteria or [],
        "trim": trim,
    }


@dataclass(frozen=True)
class PostSpec:
    code: str
    name: str
    openings: int
    shortlist_ratio: str


def sitting_posts(state: cd.CampaignState, batch_id: int) -> list[PostSpec]:
    """The posts a sitting of ``batch_id`` scores, with the batch's openings."""
    batch = state.batches.get(batch_id)
    if batch is None:
        raise NotFound(f"批次 {batch_id} 不存在。", f"There is no batch {batch_id}.")
    out = []
    for code, openings in batch.posts.items():
        post = state.post_by_code(code)
        assert post is not None
        out.append(PostSpec(code, post.name, openings, post.shortlist_ratio))
    return out


def candidate(state: cd.CampaignState, application_id: int, batch_id: int) -> tuple[str, str]:
    """Return the name and post code of an interview for the application, or raise 409/404."""
    a = state.applications.get(application_id)
    if a is None:
        raise NotFound(
            f"报名 {application_id} 不存在。", f"There is no application {application_id}."
        )
    if a.batch_id != batch_id:
        raise Conflict(
            f"报名 {a.id} 不属于本场次的批次。",
            f"Application {a.id} is not of this sitting's batch.",
        )
    if a.status != "approved":
        raise Conflict(
            f"报名 {a.id} 未通过资格审查，不能安排面试。",
            f"Application {a.id} is not approved: it cannot be interviewed.",
        )
    if a.interview_id is not None:
        raise DuplicateEntry(
            f"报名 {a.id} 已安排面试。", f"Application {a.id} already has an interview."
        )
    return state.applicants[a.applicant_id].name, a.post_code


@dataclass(frozen=True)
class Row:
    """What the campaign reads of a linked interview's row."""

    interview_id: int
    state: str
    result: str | None
    #: The sitting ranking's total (None while a component score is missing); the interview
    #: score when not given.
    total: str | None = None

    @property
    def ranked_total(self) -> str | None:
        return self.result if self.total is None and self.result is not None else self.total


def score_updates(state: cd.CampaignState, rows: Iterable[Row]) -> list[cd.RecordScore]:
    """``RecordScore`` for each linked interview whose scored result the campaign lacks."""
    by_interview = {a.interview_id: a for a in state.applications.values() if a.interview_id}
    out = []
    for row in sorted(rows, key=lambda r: r.interview_id):
        a = by_interview.get(row.interview_id)
        if a is None or a.session_id is None or row.result is None:
            continue
        if State(row.state) not in SCORED_STATES:
            continue
        total = row.ranked_total
        if total is None:
            continue
        if a.score is not None and (a.score.total, a.score.interview) == (total, row.result):
            continue
        out.append(cd.RecordScore(a.id, a.session_id, row.interview_id, total, row.result))
    return out


def linked_rows(db: Session, state: cd.CampaignState) -> list[Row]:
    """The rows of the interviews the campaign's applications are linked to."""
    ids = [a.interview_id for a in state.applications.values() if a.interview_id]
    if not ids:
        return []
    table = Interview.__table__  # type: ignore[attr-defined]
    found = db.connection().execute(
        select(table.c.id, table.c.state, table.c.result).where(table.c.id.in_(ids))
    )
    sitting_of = {
        a.interview_id: a.session_id
        for a in state.applications.values()
        if a.interview_id and a.session_id
    }
    weighted: dict[int, tuple[list[ComponentSpec], dict[int, dict[int, Decimal]], int]] = {}
    rows = []
    for iid, st, result in found:
        sid = sitting_of.get(iid)
        total = None
        if sid is not None and result is not None:
            if sid not in weighted:
                sitting = db.get(Sitting, sid)
                decimals = sitting.result_decimals if sitting is not None else 2
                try:
                    specs = components.specs(db, sid)
                except NotFound:  # the sitting was removed: its interviews rank alone
                    specs = []
                weighted[sid] = (specs, components.scores(db, sid), decimals)
            specs, scores, decimals = weighted[sid]
            if specs:
                mine = scores.get(iid, {})
                if all(c.id in mine for c in specs):
                    total = fmt(total_score(Decimal(result), mine, specs, decimals))
                else:
                    result = None  # unranked in its sitting until every component is scored
        rows.append(Row(iid, st, result, total))
    return rows


def with_scores(state: cd.CampaignState, rows: Iterable[Row], at: str) -> cd.CampaignState:
    """The state as it will be once the results in ``rows`` are recorded (for reads)."""
    for command in score_updates(state, rows):
        new, _ = cd.apply(state, command, at)
        assert new is not None
        state = new
    return state
