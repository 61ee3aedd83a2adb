"""A campaign and its sittings through the real store: posts for a batch's sitting, interviews
from approved applications, results read back from the sittings' rows into the batch ranking,
the shortlist, outcomes and the publicity (the campaign's side; the sitting routes that call it
are not wired yet)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from server.campaign import decider as cd
from server.campaign import link, rules
from server.campaign import store as cs
from server.campaign.routes import ranking_json
from server.domain import sitting as sd
from server.errors import Conflict, DuplicateEntry, NotShortlisted
from server.store.audit import verify_lines
from server.store.engine import Database
from tests.direct import Direct

D = date.fromisoformat


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path}/k.db")
    database.create_schema()
    yield database
    database.close()


def make_id(birth: str, n: int) -> str:
    body = "320581" + birth.replace("-", "") + f"{n:02d}1"
    return body + rules.check_digit(body)


def test_campaign_through_a_sitting(db: Database) -> None:
    asyncio.run(_flow(db))


async def _flow(db: Database) -> None:
    camps = cs.Campaigns(db)
    made = await camps.create(lambda cid: cd.CreateCampaign(cid, "竞聘", D("2025-03-31")))
    cid = made.state.id

    def on(cid: int = cid):
        return lambda s: cid

    async def run(make):
        return await camps.run(on(), make)

    await run(
        lambda s, st: cd.AddPost(
            cs.next_id(s, cs.m.CampaignPost), "A1", "局长", "投资促进局", 4, 1, "2"
        )
    )
    done = await run(
        lambda s, st: cd.AddBatch(
            cs.next_id(s, cs.m.CampaignBatch),
            "第一批次",
            "internal",
            D("2025-04-01"),
            D("2025-04-07"),
            D("2025-04-10"),
            ("A1",),
        )
    )
    bid = done.recorded[0].data["batch_id"]
    apps = []
    for n, name in enumerate(("甲", "乙", "丙"), start=1):
        done = await run(
            lambda s, st, n=n, name=name: cd.AddApplicant(
                cs.next_id(s, cs.m.Applicant),
                name,
                make_id("1980-01-01", n),
                "M",
                D("1980-01-01"),
                "bachelor",
                "civil_servant",
                3,
            )
        )
        pid = done.recorded[0].data["applicant_id"]
        done = await run(
            lambda s, st, pid=pid: cd.Apply(
                cs.next_id(s, cs.m.Application), bid, pid, "A1", D("2025-04-02")
            )
        )
        aid = done.recorded[0].data["application_id"]
        if name != "丙":
            await run(lambda s, st, aid=aid: cd.Review(aid, "approved"))
        apps.append(aid)

    # the sitting gets the batch's posts, interviews come from approved applications
    _, state = await camps.read(on())
    direct = Direct(db)
    scoring = link.scoring_of(1, 2)
    cd.check_sitting(state, bid, scoring)
    sid = direct.sitting(judge_count=5)
    for spec in link.sitting_posts(state, bid):
        direct.position(sid, spec.code, spec.name, spec.openings, spec.shortlist_ratio)
    await camps.sitting_added(bid, sid, scoring)
    assert await camps.sitting_batch(sid) == bid
    other = direct.sitting(judge_count=5, score_decimals=0)
    assert await camps.sitting_batch(other) is None
    with pytest.raises(Conflict):
        await camps.sitting_added(bid, other, link.scoring_of(0, 2))
    _, state = await camps.read(on())
    with pytest.raises(Conflict):
        link.candidate(state, apps[2], bid)  # 丙 not approved
    interviews = []
    for draw, aid in enumerate(apps[:2], start=1):
        name, code = link.candidate(state, aid, bid)
        iid = direct.interview(sid, draw, name, code)
        await camps.interviewed(aid, sid, iid, draw)
        interviews.append(iid)
    _, state = await camps.read(on())
    with pytest.raises(DuplicateEntry):
        link.candidate(state, apps[0], bid)
    with pytest.raises(DuplicateEntry):
        await camps.interviewed(apps[0], sid, 999, 9)

    # score both interviews in the sitting
    for iid, marks in zip(
        interviews, (("90", "91", "92", "93", "94"), ("80", "81", "82", "83", "84")), strict=True
    ):
        direct.flow(sd.Start(iid))
        for seat, mark in enumerate(marks, start=1):
            direct.submit(sid, seat, f"r{iid}-{seat}", iid, mark)
        direct.flow(sd.Announce(iid))
        # off the screen (a dispute stands for the signature) so the next one can be announced
        direct.flow(sd.Dispute(iid, "未签字（测试）"))

    _, shown = await camps.read(on())
    ranking = ranking_json(shown, shown.batches[bid])["positions"][0]
    assert [
        (r["candidate_name"], r["total"], r["rank"], r["shortlisted"]) for r in ranking["ranking"]
    ] == [("甲", "92.00", 1, True), ("乙", "82.00", 2, True)]
    assert ranking["ranking"][0]["session_id"] == sid and ranking["shortlist_size"] == 2

    # the outcome records the results first, then decides on the shortlist they make
    with pytest.raises(NotShortlisted):
        await camps.run(
            on(), lambda s, st: cd.RecordOutcome(apps[2], "inspection", "pass"), scores=True
        )
    done = await camps.run(
        on(), lambda s, st: cd.RecordOutcome(apps[0], "inspection", "pass"), scores=True
    )
    assert [e.kind for e in done.recorded] == [
        "application.scored",
        "application.scored",
        "application.outcome",
    ]
    done = await camps.run(
        on(), lambda s, st: cd.RecordOutcome(apps[0], "decision", "appointed"), scores=True
    )
    assert [e.kind for e in done.recorded] == ["application.outcome"]
    done = await camps.run(on(), lambda s, st: cd.Publicize(bid, D("2025-09-26"), D("2025-10-10")))
    assert done.state.publicity[bid].appointees == (
        {"application_id": apps[0], "name": "甲", "post_code": "A1"},
    )

    lines = await camps.lines(cid)
    assert verify_lines(lines).ok


def test_sittings_made_for_a_batch(db: Database) -> None:
    asyncio.run(_sessions(db))


async def _sessions(db: Database) -> None:
    from server.campaign import sessions
    from server.store.sittings import reserve_id

    camps = cs.Campaigns(db)
    direct = Direct(db)
    kiosk = direct.kiosk
    cid = (await camps.create(lambda c: cd.CreateCampaign(c, "竞聘", D("2025-03-31")))).state.id

    async def run(make):
        return (await camps.run(lambda s: cid, make)).recorded[0].data

    for code in ("A1", "B1"):
        await run(
            lambda s, st, code=code: cd.AddPost(
                cs.next_id(s, cs.m.CampaignPost), code, f"岗{code}", "局", 3, 2, "1.5"
            )
        )
    bid = (
        await run(
            lambda s, st: cd.AddBatch(
                cs.next_id(s, cs.m.CampaignBatch),
                "一",
                "internal",
                D("2025-04-01"),
                D("2025-04-07"),
                D("2025-04-10"),
                ("A1", "B1"),
            )
        )
    )["batch_id"]
    pid = (
        await run(
            lambda s, st: cd.AddApplicant(
                cs.next_id(s, cs.m.Applicant),
                "甲",
                make_id("1980-01-01", 1),
                "M",
                D("1980-01-01"),
                "bachelor",
                "civil_servant",
                3,
            )
        )
    )["applicant_id"]
    aids = []
    for code in ("A1", "B1"):
        aid = (
            await run(
                lambda s, st, code=code: cd.Apply(
                    cs.next_id(s, cs.m.Application), bid, pid, code, D("2025-04-02")
                )
            )
        )["application_id"]
        await run(lambda s, st, aid=aid: cd.Review(aid, "approved"))
        aids.append(aid)

    def create(decimals: int):
        return lambda conn: sd.CreateSitting(
            reserve_id(conn, "sitting"), "上午场", 5, decimals, 2, 5
        )

    outcome = await sessions.create_for_batch(camps, kiosk, bid, create(1))
    sid = outcome.sitting_id
    assert [
        (p.code, p.name, p.openings, p.shortlist_ratio) for p in outcome.state.positions.values()
    ] == [("A1", "岗A1", 2, "1.5"), ("B1", "岗B1", 2, "1.5")]
    assert await sessions.batch_of(camps, sid) == bid
    with pytest.raises(Conflict):
        await sessions.create_for_batch(camps, kiosk, bid, create(0))  # other decimals: 409
    second = await sessions.create_for_batch(camps, kiosk, bid, create(1))
    assert await sessions.batch_of(camps, second.sitting_id) == bid

    # The campaign refuses under its own write (another sitting joined meanwhile with other
    # scoring): the new sitting is taken back, audited, and the refusal reaches the caller.
    refused = Conflict("另一场次已先加入本批次。", "Another sitting joined the batch first.")

    async def refuse(*_: Any) -> Any:
        raise refused

    real, camps.sitting_added = camps.sitting_added, refuse  # type: ignore[method-assign]
    with pytest.raises(Conflict) as caught:
        await sessions.create_for_batch(camps, kiosk, bid, create(1))
    camps.sitting_added = real  # type: ignore[method-assign]
    assert caught.value is refused
    orphan = max(kiosk.sittings._live)  # the sitting it made, the newest
    held = kiosk.sittings.current(orphan)
    assert held is not None and held.removed and orphan != second.sitting_id
    assert await sessions.batch_of(camps, orphan) is None
    with pytest.raises(Conflict):
        sessions.refuse_free_entry(bid, "岗位", "posts")
    sessions.refuse_free_entry(None, "岗位", "posts")

    out, iid = await sessions.interview_for(camps, kiosk, sid, 1, aids[0])
    assert out.state.interviews[iid].candidate_name == "甲"
    with pytest.raises(DuplicateEntry):  # once per application, in any sitting of the batch
        await sessions.interview_for(camps, kiosk, second.sitting_id, 1, aids[0])
    out, iid2 = await sessions.interview_for(camps, kiosk, second.sitting_id, 1, aids[1])
    assert out.state.interviews[iid2].draw_no == 1
    own = direct.sitting()
    with pytest.raises(Conflict):
        await sessions.interview_for(camps, kiosk, own, 1, aids[0])
    _, state = await camps.read(lambda s: cid)
    assert {a.id: (a.session_id, a.interview_id) for a in state.applications.values()} == {
        aids[0]: (sid, iid),
        aids[1]: (second.sitting_id, iid2),
    }
    assert verify_lines(await camps.lines(cid)).ok

    # a link the campaign refuses after the interview was made (a concurrent request won):
    # the interview is removed again, the refusal raised
    real = link.candidate
    link.candidate = lambda *_: ("甲", "A1")  # type: ignore[assignment]
    try:
        with pytest.raises(DuplicateEntry):
            await sessions.interview_for(camps, kiosk, sid, 7, aids[0])
    finally:
        link.candidate = real  # type: ignore[assignment]
    assert [i.draw_no for i in (await kiosk.state(sid)).interviews.values()] == [1]
