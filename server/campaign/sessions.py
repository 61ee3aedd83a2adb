"""Sittings of a campaign's batch, for the sitting routes to call (DESIGN section 5).

``POST /api/sessions {..., "batch_id"}`` and ``POST /api/sessions/{sid}/interviews {"draw_no",
"application_id"}`` are the sitting's routes (server/api/routes.py); these three functions are
all they need from the campaign:

- :func:`create_for_batch`: the batch's sittings share decimals, criteria and trim (409), the
  sitting is made with the batch's posts in one write, then the campaign records it;
- :func:`batch_of`: the batch a sitting was made for (None for a sitting of its own): such a
  sitting refuses ``/positions`` and a ``candidate_name``/``position_code`` interview (409);
- :func:`interview_for`: an interview from an approved application of the sitting's batch,
  once per application (409 otherwise); when the campaign refuses the link (another request
  linked it first) the interview just made is removed again and the refusal raised.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection

from server.campaign import decider as cd
from server.campaign import link
from server.campaign import store as cs
from server.domain import sitting as sd
from server.errors import Conflict, KioskError, NotOffered
from server.store import sittings as sitting_store


def scoring_of(command: sd.CreateSitting) -> dict[str, Any]:
    """What the sitting shares with the other sittings of its batch."""
    return link.scoring_of(
        command.score_decimals,
        command.result_decimals,
        [c.as_data() for c in command.criteria],
        command.trim,
    )


async def create_for_batch(
    campaigns: cs.Campaigns,
    kiosk: Any,
    batch_id: int,
    make: Callable[[Connection], sd.CreateSitting],
) -> Any:
    """Make a sitting of ``batch_id`` with the batch's posts; return the sitting's outcome."""
    _, state = await campaigns.read(lambda db: cs.campaign_of_batch(db, batch_id))
    posts = link.sitting_posts(state, batch_id)
    made: list[sd.CreateSitting] = []

    def commands(conn: Connection) -> list[sd.Command]:
        create = make(conn)
        cd.check_sitting(state, batch_id, scoring_of(create))
        made.append(create)
        return [
            create,
            *(
                sd.AddPosition(
                    sitting_store.reserve_id(conn, "position"),
                    p.code,
                    p.name,
                    p.openings,
                    p.shortlist_ratio,
                )
                for p in posts
            ),
        ]

    outcome = await kiosk.run(None, commands)
    # The campaign checks again under its own write (another sitting of the batch may have
    # joined meanwhile with other scoring). If it refuses, the new sitting is taken back
    # (audited, as a removal before the start) so no sitting is left outside its batch.
    try:
        await campaigns.sitting_added(batch_id, outcome.sitting_id, scoring_of(made[-1]))
    except KioskError:
        await kiosk.run(outcome.sitting_id, sd.RemoveSitting())
        raise
    return outcome


async def batch_of(campaigns: cs.Campaigns, session_id: int) -> int | None:
    return await campaigns.sitting_batch(session_id)


def refuse_free_entry(batch_id: int | None, what_zh: str, what_en: str) -> None:
    """A batch's sitting takes its posts and candidates from the campaign: 409 for free entry."""
    if batch_id is not None:
        raise Conflict(
            f"本场次属于竞聘批次，{what_zh}来自报名记录，不能直接添加。",
            f"This sitting belongs to a campaign batch: its {what_en} come from the applications.",
        )


async def interview_for(
    campaigns: cs.Campaigns, kiosk: Any, session_id: int, draw_no: int, application_id: int
) -> tuple[Any, int]:
    """Make the interview of ``application_id`` in the batch's sitting; return (outcome, id)."""
    batch_id = await batch_of(campaigns, session_id)
    if batch_id is None:
        raise Conflict(
            "本场次不属于竞聘批次，请填写考生姓名和岗位代码。",
            "This sitting is not a campaign batch's: give candidate_name and position_code.",
        )
    _, state = await campaigns.read(lambda db: cs.campaign_of_batch(db, batch_id))
    name, code = link.candidate(state, application_id, batch_id)
    outcome = await kiosk.run(
        session_id,
        lambda conn: sd.AddInterview(
            sitting_store.reserve_id(conn, "interview"), draw_no, name, code
        ),
    )
    interview_id = int(outcome.events[0].data["interview_id"])
    try:
        await campaigns.interviewed(application_id, session_id, interview_id, draw_no)
    except KioskError:
        await kiosk.run(session_id, sd.RemoveInterview(interview_id))
        raise
    return outcome, interview_id


class NothingToDraw(Conflict):
    code = "nothing_to_draw"


_RANDOM = secrets.SystemRandom()


def to_draw(
    state: cd.CampaignState, batch_id: int, codes: Sequence[str] | None
) -> list[tuple[str, list[cd.Application]]]:
    """Per post (the batch's order, or ``codes``), its approved applications with no interview."""
    batch = state.batches[batch_id]
    chosen = list(batch.posts) if not codes else list(dict.fromkeys(codes))
    for code in chosen:
        if code not in batch.posts:
            raise NotOffered(
                f"岗位 {code} 不在「{batch.name}」中。",
                f"Post {code} is not offered in {batch.name}.",
            )
    out = []
    for code in chosen:
        waiting = sorted(
            (
                a
                for a in state.applications.values()
                if a.batch_id == batch_id
                and a.post_code == code
                and a.status == "approved"
                and a.interview_id is None
            ),
            key=lambda a: a.id,
        )
        if waiting:
            out.append((code, waiting))
    return out


async def draw(
    campaigns: cs.Campaigns, kiosk: Any, session_id: int, codes: Sequence[str] | None = None
) -> dict[str, Any]:
    """Draw the order of the batch's new approvals into the sitting; return what was drawn."""
    await kiosk.state(session_id)  # 404 for a sitting that does not exist
    batch_id = await batch_of(campaigns, session_id)
    if batch_id is None:
        raise Conflict(
            "本场次不属于竞聘批次，不能从报名记录抽签。",
            "This sitting is not a campaign batch's: there is nothing to draw from.",
        )
    _, state = await campaigns.read(lambda db: cs.campaign_of_batch(db, batch_id))
    sitting = await kiosk.state(session_id)
    posts = to_draw(state, batch_id, codes)
    if not posts:
        raise NothingToDraw(
            "没有待抽签的报名：审查通过的报名都已安排面试。",
            "Nothing to draw: every approved application already has an interview.",
        )
    drawn: list[tuple[str, list[tuple[cd.Application, int]]]] = []
    for code, waiting in posts:
        order = list(waiting)
        _RANDOM.shuffle(order)
        position = sitting.position_by_code(code)
        taken = [
            i.draw_no
            for i in sitting.interviews.values()
            if position is not None and i.position_id == position.id
        ]
        first = max(taken, default=0) + 1
        drawn.append((code, [(a, first + n) for n, a in enumerate(order)]))

    def commands(conn: Connection) -> list[sd.Command]:
        return [
            sd.AddInterview(
                sitting_store.reserve_id(conn, "interview"),
                number,
                state.applicants[a.applicant_id].name,
                code,
            )
            for code, entries in drawn
            for a, number in entries
        ]

    outcome = await kiosk.run(session_id, commands)
    made = {
        (e.data["position_code"], int(e.data["draw_no"])): int(e.data["interview_id"])
        for e in outcome.events
        if e.kind == "interview.created"
    }
    record = tuple(
        (code, tuple((a.id, number, made[(code, number)]) for a, number in entries))
        for code, entries in drawn
    )
    try:
        await campaigns.drawn(batch_id, session_id, record)
    except KioskError:
        ids = list(made.values())
        await kiosk.run(session_id, lambda conn: [sd.RemoveInterview(i) for i in ids])
        raise
    names = {
        a.id: state.applicants[a.applicant_id].name for _, entries in drawn for a, _ in entries
    }
    return {
        "batch_id": batch_id,
        "session_id": session_id,
        "posts": [
            {
                "code": code,
                "draw": [
                    {
                        "draw_no": number,
                        "application_id": aid,
                        "interview_id": iid,
                        "name": names[aid],
                    }
                    for aid, number, iid in entries
                ],
            }
            for code, entries in record
        ],
    }
