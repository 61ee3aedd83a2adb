"""The campaign's writes and reads: fold the chain, decide, append, project — in one transaction.

Every write runs on the single writer (:meth:`server.store.engine.Database.write`):

1. find the campaign the command is about (a batch's or an application's, by its row);
2. take its state: the one this process holds if its ``version`` is the chain's last ``seq``,
   else the fold of the chain (another process wrote, or this one never read it);
3. reserve the id of any row the command creates (``max(id) + 1``: campaign rows are never
   deleted, so an id is never given twice) and :func:`~server.campaign.decider.decide`;
4. append the events with their hashes, fold them, and rewrite the projection rows that changed.

Only after the commit does the process keep the new state (a write that fails leaves the held
state behind the chain, and the next write folds again). On PostgreSQL the campaign's advisory
lock is taken first, so writes to one campaign from several processes queue and its
chain never forks (DESIGN section 7); on SQLite ``BEGIN IMMEDIATE`` already serialises them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from server.campaign import decider as cd
from server.campaign import link
from server.campaign import models as m
from server.errors import NotFound
from server.store.audit import GENESIS, link_rows
from server.store.engine import LOCK_CAMPAIGN, Database, advisory_lock, lock_ids

T = TypeVar("T")
TOKEN_BYTES = 24  # 192 bits: the notice board's link


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --- reading the chain -------------------------------------------------------------------------


def chain_rows(db: Session, cid: int) -> list[m.CampaignAudit]:
    return list(
        db.exec(
            select(m.CampaignAudit)
            .where(m.CampaignAudit.campaign_id == cid)
            .order_by(m.CampaignAudit.seq)  # type: ignore[arg-type]
        ).all()
    )


def audit_lines(db: Session, cid: int) -> list[str]:
    """The campaign's chain as ``audit.jsonl`` lines (the seven fields, in the contract's order)."""
    return [
        json.dumps(
            {
                "seq": r.seq,
                "at": r.at,
                "actor": r.actor,
                "kind": r.kind,
                "data": json.loads(r.data),
                "prev": r.prev,
                "hash": r.hash,
            },
            ensure_ascii=False,
        )
        for r in chain_rows(db, cid)
    ]


def _last(db: Session, cid: int) -> m.CampaignAudit | None:
    return db.exec(
        select(m.CampaignAudit)
        .where(m.CampaignAudit.campaign_id == cid)
        .order_by(m.CampaignAudit.seq.desc())  # type: ignore[attr-defined]
        .limit(1)
    ).first()


def fold_rows(rows: list[m.CampaignAudit]) -> cd.CampaignState | None:
    return cd.fold(cd.Recorded(r.seq, r.at, r.actor, r.kind, json.loads(r.data)) for r in rows)


def campaign_of_batch(db: Session, bid: int) -> int:
    row = db.get(m.CampaignBatch, bid)
    if row is None:
        raise NotFound(f"批次 {bid} 不存在。", f"There is no batch {bid}.")
    return row.campaign_id


def campaign_of_application(db: Session, aid: int) -> int:
    row = db.get(m.Application, aid)
    if row is None:
        raise NotFound(f"报名 {aid} 不存在。", f"There is no application {aid}.")
    return row.campaign_id


def batch_of_sitting(db: Session, sid: int) -> m.BatchSitting | None:
    """The batch a sitting was made for (None: a sitting of its own)."""
    return db.get(m.BatchSitting, sid)


def campaign_row(db: Session, cid: int) -> m.Campaign:
    row = db.get(m.Campaign, cid)
    if row is None:
        raise NotFound(f"竞聘工作 {cid} 不存在。", f"There is no campaign {cid}.")
    return row


def campaign_by_token(db: Session, token: str) -> m.Campaign:
    row = None
    if 16 <= len(token) <= 64:
        row = db.exec(select(m.Campaign).where(m.Campaign.board_token == token)).first()
    if row is None:
        raise NotFound("没有这个公告栏。", "There is no such notice board.")
    return row


def next_id(db: Session, model: type[SQLModel]) -> int:
    # PostgreSQL: another process's writer must not read the same highest id before we commit.
    lock_ids(db.connection(), str(model.__tablename__))  # type: ignore[attr-defined]
    top = db.exec(select(func.max(model.id))).one()  # type: ignore[attr-defined]
    return (top or 0) + 1


# --- the projection ----------------------------------------------------------------------------


def _changed(old: Mapping[int, Any], new: Mapping[int, Any]) -> list[Any]:
    return [v for k, v in new.items() if old.get(k) is not v]


def project(db: Session, old: cd.CampaignState | None, new: cd.CampaignState) -> None:
    """Rewrite the rows of whatever ``new`` holds that ``old`` did not (frozen: identity)."""
    empty = cd.CampaignState(0, "", date.min, 0, "", 0)
    old = old or empty
    cid = new.id
    for p in _changed(old.posts, new.posts):
        db.merge(
            m.CampaignPost(
                id=p.id,
                campaign_id=cid,
                code=p.code,
                name=p.name,
                unit=p.unit,
                level=p.level,
                openings=p.openings,
                shortlist_ratio=p.shortlist_ratio,
            )
        )
    db.flush()
    for b in _changed(old.batches, new.batches):
        db.merge(
            m.CampaignBatch(
                id=b.id,
                campaign_id=cid,
                name=b.name,
                scope=b.scope,
                apply_from=b.apply_from,
                apply_until=b.apply_until,
                change_until=b.change_until,
            )
        )
        db.flush()
        for code, openings in b.posts.items():
            post = new.post_by_code(code)
            assert post is not None
            db.merge(m.BatchPost(batch_id=b.id, post_id=post.id, openings=openings))
        for session_id in b.sittings:
            db.merge(m.BatchSitting(session_id=session_id, batch_id=b.id, campaign_id=cid))
    for a in _changed(old.applicants, new.applicants):
        db.merge(
            m.Applicant(
                id=a.id,
                campaign_id=cid,
                name=a.name,
                id_number=a.id_number,
                sex=a.sex,
                birth_date=a.birth_date,
                retirement_base=a.retirement_base,
                retirement_date=a.retirement_date,
                education=a.education,
                employment=a.employment,
                current_level=a.current_level,
                appraisal=a.appraisal,
                under_investigation=a.under_investigation,
                discipline_until=a.discipline_until,
                leadership=a.leadership,
            )
        )
    db.flush()
    for x in _changed(old.applications, new.applications):
        db.merge(
            m.Application(
                id=x.id,
                campaign_id=cid,
                batch_id=x.batch_id,
                applicant_id=x.applicant_id,
                post_code=x.post_code,
                status=x.status,
                checks=json.dumps(dict(x.checks)),
                eligible=x.eligible,
                review_reason=x.reason,
                inspection=x.inspection,
                decision=x.decision,
                session_id=x.session_id,
                interview_id=x.interview_id,
                total=x.score.total if x.score else None,
                interview_score=x.score.interview if x.score else None,
            )
        )
    for n in _changed(old.publicity, new.publicity):
        db.merge(
            m.Publicity(
                batch_id=n.batch_id,
                campaign_id=cid,
                published_on=n.published_on,
                ends_on=n.ends_on,
                appointees=json.dumps(list(n.appointees), ensure_ascii=False),
            )
        )
    db.flush()


# --- the writer's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    """What a write leaves: the campaign's new state and the events it appended."""

    state: cd.CampaignState
    recorded: tuple[cd.Recorded, ...]


def append(
    db: Session, cid: int, last: m.CampaignAudit | None, recorded: list[cd.Recorded]
) -> None:
    for row in link_rows(GENESIS if last is None else last.hash, recorded):
        db.add(m.CampaignAudit(campaign_id=cid, **row))
    db.flush()


class Campaigns:
    """The campaigns of one database: writes through its single writer, states held in memory."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._held: dict[int, cd.CampaignState] = {}

    # The writer runs these on its thread; ``_held`` is only read there and written after commit.

    def _state(self, db: Session, cid: int) -> tuple[cd.CampaignState, m.CampaignAudit | None]:
        # PostgreSQL: writes to one campaign from several processes queue here (a lock that
        # never deadlocks the writer's batches: server.store.engine.advisory_lock).
        advisory_lock(db.connection(), LOCK_CAMPAIGN, cid)
        last = _last(db, cid)
        held = self._held.get(cid)
        if held is not None and last is not None and held.version == last.seq:
            return held, last
        state = fold_rows(chain_rows(db, cid))
        if state is None:
            raise NotFound(f"竞聘工作 {cid} 不存在。", f"There is no campaign {cid}.")
        return state, last

    def _commit(self, done: Done) -> Done:
        held = self._held.get(done.state.id)
        if held is None or held.version < done.state.version:
            self._held[done.state.id] = done.state
        return done

    async def create(self, make: Callable[[int], cd.CreateCampaign]) -> Done:
        """Create a campaign (its row, its board token and its first event)."""

        def work(db: Session) -> Done:
            cid = next_id(db, m.Campaign)
            command = make(cid)
            state, recorded = cd.apply(None, command, iso_now())
            assert state is not None
            db.add(
                m.Campaign(
                    id=cid,
                    title=state.title,
                    announced_on=state.announced_on,
                    term_years=state.term_years,
                    pass_line=state.pass_line,
                    board_token=secrets.token_urlsafe(TOKEN_BYTES),
                )
            )
            db.flush()
            append(db, cid, None, recorded)
            return Done(state, tuple(recorded))

        return self._commit(await self.db.write(work))

    async def run(
        self,
        locate: Callable[[Session], int],
        make: Callable[[Session, cd.CampaignState], cd.Command],
        scores: bool = False,
    ) -> Done:
        """Decide and record one command on the campaign ``locate`` finds.

        ``make`` builds the command inside the transaction, given the state (and the session to
        reserve ids with :func:`next_id`). With ``scores``, the results of the linked
        interviews the chain lacks are recorded first (``application.scored``), so the command
        is decided on the ranking the sittings' record gives.
        """

        def work(db: Session) -> Done:
            cid = locate(db)
            campaign_row(db, cid)
            state, last = self._state(db, cid)
            at = iso_now()
            commands: list[cd.Command] = []
            if scores:
                commands += link.score_updates(state, link.linked_rows(db, state))
            commands.append(make(db, state))
            new: cd.CampaignState = state
            recorded: list[cd.Recorded] = []
            for command in commands:
                after, events = cd.apply(new, command, at)
                assert after is not None
                new, recorded = after, recorded + events
            if recorded:
                append(db, cid, last, recorded)
                project(db, state, new)
            return Done(new, tuple(recorded))

        return self._commit(await self.db.write(work))

    async def read(self, locate: Callable[[Session], int]) -> tuple[m.Campaign, cd.CampaignState]:
        """The campaign's row and its state as the chain has it now."""

        def work(db: Session) -> tuple[m.Campaign, cd.CampaignState]:
            cid = locate(db)
            row = campaign_row(db, cid)
            last = _last(db, cid)
            held = self._held.get(cid)
            if held is not None and last is not None and held.version == last.seq:
                return row, held
            state = fold_rows(chain_rows(db, cid))
            if state is None:
                raise NotFound(f"竞聘工作 {cid} 不存在。", f"There is no campaign {cid}.")
            return row, state

        def scored(db: Session) -> tuple[m.Campaign, cd.CampaignState, cd.CampaignState]:
            row, state = work(db)
            # Results of linked interviews the chain does not hold yet, shown as they will be
            # recorded (the next outcome records them): the reader sees the sittings' record.
            return row, state, link.with_scores(state, link.linked_rows(db, state), iso_now())

        row, state, shown = await self.db.read(scored)
        held = self._held.get(state.id)
        if held is None or held.version < state.version:
            self._held[state.id] = state  # a read on another thread: one dict assignment
        return row, shown

    async def sitting_added(self, batch_id: int, session_id: int, scoring: dict[str, Any]) -> Done:
        """Record that ``session_id`` is a sitting of the batch (409: other scoring)."""
        return await self.run(
            lambda db: campaign_of_batch(db, batch_id),
            lambda db, s: cd.AddSitting(batch_id, session_id, scoring),
        )

    async def sitting_batch(self, session_id: int) -> int | None:
        """The batch ``session_id`` was made for, or None."""

        def work(db: Session) -> int | None:
            row = batch_of_sitting(db, session_id)
            return None if row is None else row.batch_id

        return await self.db.read(work)

    async def interviewed(
        self, application_id: int, session_id: int, interview_id: int, draw_no: int
    ) -> Done:
        """Record that the sitting made ``interview_id`` for the application (409 if it has one)."""
        return await self.run(
            lambda db: campaign_of_application(db, application_id),
            lambda db, s: cd.LinkInterview(application_id, session_id, interview_id, draw_no),
        )

    async def drawn(
        self,
        batch_id: int,
        session_id: int,
        posts: tuple[tuple[str, tuple[tuple[int, int, int], ...]], ...],
    ) -> Done:
        """Record a draw and its interviews' links in one write (409 if one is linked already)."""
        return await self.run(
            lambda db: campaign_of_batch(db, batch_id),
            lambda db, s: cd.RecordDraw(batch_id, session_id, posts),
        )

    async def lines(self, cid: int) -> list[str]:
        def work(db: Session) -> list[str]:
            campaign_row(db, cid)
            return audit_lines(db, cid)

        return await self.db.read(work)

    async def list(self) -> list[m.Campaign]:
        return await self.db.read(
            lambda db: list(db.exec(select(m.Campaign).order_by(m.Campaign.id)).all())  # type: ignore[arg-type]
        )
