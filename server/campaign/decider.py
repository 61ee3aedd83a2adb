"""A campaign (竞聘工作) as a pure decider over its own audit chain (DESIGN section 5).

The shape of :mod:`server.domain.sitting`: :func:`evolve` folds one recorded event into the
state, :func:`decide` checks a command against the state and returns the events that record it,
or raises the named :class:`~server.errors.KioskError` the secretary reads.

Nothing here reads the clock, a file or the database. "Today" (for the windows) comes in on the
commands that need it, and a publicity period's end date is computed by the caller from the
holiday calendar (:mod:`server.campaign.calendar`) before the command is made. The eligibility
checks of an application are computed here, when it is created or changed, and recorded in the
event: the record says what the office saw.

**Ids.** Campaign, post, batch, applicant and application ids are row ids unique across every
campaign (routes name ``/api/batches/{bid}`` without the campaign). The store reserves them
before deciding and the commands carry them; ``decide`` only checks they are new.

**Sittings and scores.** A sitting made for a batch is recorded as ``batch.sitting_added``
(its scoring must match the batch's other sittings), an interview made from an application as
``application.interviewed``; a draw (:class:`RecordDraw`) is ``batch.drawn`` — the sitting,
and per post the applications in drawn order with their numbers — followed by the
``application.interviewed`` of each, all in one write; an interview's result is recorded as ``application.scored`` (:class:`RecordScore`),
read back from the sitting's rows before an outcome is decided (:mod:`server.campaign.link`).
The batch's ranking per post, and so the shortlist the outcomes need, comes from those.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from server.campaign import rules
from server.domain import chain
from server.errors import (
    AlreadyAppointed,
    Conflict,
    DuplicateEntry,
    HasInterview,
    InspectionFirst,
    InvalidIdNumber,
    InvalidTransition,
    NoOpeningsLeft,
    NotFound,
    NotOffered,
    NotShortlisted,
    ReasonRequired,
    TooManyApplications,
    Unprocessable,
    WindowClosed,
)

# --- the state ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    id: int
    code: str
    name: str
    unit: str
    level: int
    openings: int
    shortlist_ratio: str  # decimal text, as recorded


@dataclass(frozen=True)
class Batch:
    id: int
    name: str
    scope: str
    apply_from: date
    apply_until: date
    change_until: date
    #: Post code → openings in this batch (those left when the batch was created), in order.
    posts: Mapping[str, int]
    #: The batch's sittings: session id → the scoring they share (decimals, criteria, trim).
    sittings: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Applicant:
    id: int
    name: str
    id_number: str
    sex: str
    birth_date: date
    retirement_base: int
    retirement_date: date
    education: str
    employment: str
    current_level: int
    appraisal: str | None
    under_investigation: bool
    discipline_until: date | None
    leadership: bool

    def person(self) -> rules.Person:
        return rules.Person(
            education=self.education,
            retirement_date=self.retirement_date,
            current_level=self.current_level,
            appraisal=self.appraisal,
            under_investigation=self.under_investigation,
            discipline_until=self.discipline_until,
            employment=self.employment,
            leadership=self.leadership,
        )


@dataclass(frozen=True)
class Score:
    session_id: int
    interview_id: int
    total: str
    interview: str


@dataclass(frozen=True)
class Application:
    id: int
    batch_id: int
    applicant_id: int
    post_code: str
    status: str = "submitted"
    checks: Mapping[str, bool] = field(default_factory=dict)
    eligible: bool = False
    reason: str | None = None  # the review's reason
    inspection: str | None = None  # "pass" | "fail"
    inspection_note: str | None = None
    decision: str | None = None  # "appointed" | "not_appointed"
    decision_note: str | None = None
    session_id: int | None = None
    interview_id: int | None = None
    draw_no: int | None = None
    score: Score | None = None

    @property
    def live(self) -> bool:
        return self.status in rules.LIVE_STATUSES


@dataclass(frozen=True)
class Publicity:
    batch_id: int
    published_on: date
    ends_on: date
    appointees: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class CampaignState:
    """One campaign as its chain has made it, up to and including event ``version``."""

    id: int
    title: str
    announced_on: date
    term_years: int
    pass_line: str
    version: int
    posts: Mapping[int, Post] = field(default_factory=dict)
    batches: Mapping[int, Batch] = field(default_factory=dict)
    applicants: Mapping[int, Applicant] = field(default_factory=dict)
    applications: Mapping[int, Application] = field(default_factory=dict)
    publicity: Mapping[int, Publicity] = field(default_factory=dict)  # by batch id

    def post_by_code(self, code: str) -> Post | None:
        return next((p for p in self.posts.values() if p.code == code), None)

    def appointed(self, post_code: str | None = None) -> list[Application]:
        """Applications with an ``appointed`` decision (of one post, if given)."""
        return [
            a
            for a in self.applications.values()
            if a.decision == "appointed" and (post_code is None or a.post_code == post_code)
        ]

    def openings_left(self, post: Post) -> int:
        return post.openings - len(self.appointed(post.code))


# --- events: the shapes every decider shares (re-exported for the callers) ---------------------


Event = chain.Event
Recorded = chain.Recorded


# --- commands ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreateCampaign:
    campaign_id: int
    title: str
    announced_on: date
    term_years: int = 2
    pass_line: str = "60"


@dataclass(frozen=True)
class AddPost:
    post_id: int
    code: str
    name: str
    unit: str
    level: int
    openings: int
    shortlist_ratio: str = "2"


@dataclass(frozen=True)
class AddBatch:
    batch_id: int
    name: str
    scope: str
    apply_from: date
    apply_until: date
    change_until: date
    posts: tuple[str, ...]


@dataclass(frozen=True)
class AddApplicant:
    applicant_id: int
    name: str
    id_number: str
    sex: str
    birth_date: date
    education: str
    employment: str
    current_level: int
    retirement_base: int | None = None
    appraisal: str | None = None
    under_investigation: bool = False
    discipline_until: date | None = None
    leadership: bool = False


@dataclass(frozen=True)
class Apply:
    application_id: int
    batch_id: int
    applicant_id: int
    post_code: str
    today: date


@dataclass(frozen=True)
class ChangePost:
    application_id: int
    post_code: str
    today: date


@dataclass(frozen=True)
class Withdraw:
    application_id: int
    today: date


@dataclass(frozen=True)
class Review:
    application_id: int
    decision: str  # "approved" | "rejected"
    reason: str | None = None


@dataclass(frozen=True)
class AddSitting:
    """A sitting was made for the batch (sitting-linked); ``scoring`` is what all share."""

    batch_id: int
    session_id: int
    scoring: Mapping[str, Any]  # score_decimals, result_decimals, criteria, trim


@dataclass(frozen=True)
class LinkInterview:
    """An interview of a campaign sitting was made for the application (sitting-linked)."""

    application_id: int
    session_id: int
    interview_id: int
    draw_no: int


@dataclass(frozen=True)
class RecordDraw:
    """The batch's draw in one of its sittings (sitting-linked): per post, in drawn order,
    ``(application_id, draw_no, interview_id)`` of the interviews the sitting just made."""

    batch_id: int
    session_id: int
    posts: tuple[tuple[str, tuple[tuple[int, int, int], ...]], ...]


@dataclass(frozen=True)
class RecordScore:
    """The application's interview was scored (sitting-linked): its total and interview score."""

    application_id: int
    session_id: int
    interview_id: int
    total: str
    interview: str


@dataclass(frozen=True)
class RecordOutcome:
    application_id: int
    stage: str  # "inspection" | "decision"
    result: str
    note: str | None = None


@dataclass(frozen=True)
class Publicize:
    batch_id: int
    published_on: date
    ends_on: date


Command = (
    CreateCampaign
    | AddPost
    | AddBatch
    | AddApplicant
    | Apply
    | ChangePost
    | Withdraw
    | Review
    | AddSitting
    | LinkInterview
    | RecordDraw
    | RecordScore
    | RecordOutcome
    | Publicize
)

# --- evolve ------------------------------------------------------------------------------------


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _campaign_created(e: Recorded) -> CampaignState:
    d = e.data
    return CampaignState(
        id=d["campaign_id"],
        title=d["title"],
        announced_on=date.fromisoformat(d["announced_on"]),
        term_years=d["term_years"],
        pass_line=d["pass_line"],
        version=e.seq,
    )


def _post_created(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    post = Post(
        d["post_id"],
        d["code"],
        d["name"],
        d["unit"],
        d["level"],
        d["openings"],
        d["shortlist_ratio"],
    )
    return replace(s, posts={**s.posts, post.id: post})


def _batch_created(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    batch = Batch(
        id=d["batch_id"],
        name=d["name"],
        scope=d["scope"],
        apply_from=date.fromisoformat(d["apply_from"]),
        apply_until=date.fromisoformat(d["apply_until"]),
        change_until=date.fromisoformat(d["change_until"]),
        posts={p["code"]: p["openings"] for p in d["posts"]},
    )
    return replace(s, batches={**s.batches, batch.id: batch})


def _applicant_created(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    applicant = Applicant(
        id=d["applicant_id"],
        name=d["name"],
        id_number=d["id_number"],
        sex=d["sex"],
        birth_date=date.fromisoformat(d["birth_date"]),
        retirement_base=d["retirement_base"],
        retirement_date=date.fromisoformat(d["retirement_date"]),
        education=d["education"],
        employment=d["employment"],
        current_level=d["current_level"],
        appraisal=d["appraisal"],
        under_investigation=d["under_investigation"],
        discipline_until=_d(d["discipline_until"]),
        leadership=d["leadership"],
    )
    return replace(s, applicants={**s.applicants, applicant.id: applicant})


def _sitting_added(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    batch = s.batches[d["batch_id"]]
    sittings = {**batch.sittings, d["session_id"]: dict(d["scoring"])}
    return replace(s, batches={**s.batches, batch.id: replace(batch, sittings=sittings)})


def _batch_drawn(s: CampaignState, e: Recorded) -> CampaignState:
    # The record of the draw itself; the links follow as ``application.interviewed`` events.
    return s


def _put(s: CampaignState, application: Application) -> CampaignState:
    return replace(s, applications={**s.applications, application.id: application})


def _application_created(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    return _put(
        s,
        Application(
            id=d["application_id"],
            batch_id=d["batch_id"],
            applicant_id=d["applicant_id"],
            post_code=d["post_code"],
            checks=dict(d["checks"]),
            eligible=d["eligible"],
        ),
    )


def _application_changed(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    a = s.applications[d["application_id"]]
    changed = replace(
        a,
        post_code=d["post_code"],
        checks=dict(d["checks"]),
        eligible=d["eligible"],
        status="submitted",
        reason=None,
    )
    return _put(s, changed)


def _application_withdrawn(s: CampaignState, e: Recorded) -> CampaignState:
    a = s.applications[e.data["application_id"]]
    return _put(s, replace(a, status="withdrawn"))


def _application_reviewed(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    a = s.applications[d["application_id"]]
    return _put(s, replace(a, status=d["decision"], reason=d.get("reason")))


def _application_interviewed(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    a = s.applications[d["application_id"]]
    linked = replace(
        a, session_id=d["session_id"], interview_id=d["interview_id"], draw_no=d["draw_no"]
    )
    return _put(s, linked)


def _application_scored(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    a = s.applications[d["application_id"]]
    score = Score(d["session_id"], d["interview_id"], d["total"], d["interview"])
    return _put(s, replace(a, score=score))


def _application_outcome(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    a = s.applications[d["application_id"]]
    stage = "inspection" if d["stage"] == "inspection" else "decision"
    return _put(s, replace(a, **{stage: d["result"], f"{stage}_note": d.get("note")}))


def _publicity_created(s: CampaignState, e: Recorded) -> CampaignState:
    d = e.data
    notice = Publicity(
        d["batch_id"],
        date.fromisoformat(d["published_on"]),
        date.fromisoformat(d["ends_on"]),
        tuple(d["appointees"]),
    )
    return replace(s, publicity={**s.publicity, notice.batch_id: notice})


EVOLVE = {
    "post.created": _post_created,
    "batch.created": _batch_created,
    "batch.sitting_added": _sitting_added,
    "batch.drawn": _batch_drawn,
    "applicant.created": _applicant_created,
    "application.created": _application_created,
    "application.changed": _application_changed,
    "application.withdrawn": _application_withdrawn,
    "application.reviewed": _application_reviewed,
    "application.interviewed": _application_interviewed,
    "application.scored": _application_scored,
    "application.outcome": _application_outcome,
    "publicity.created": _publicity_created,
}

#: Every kind a campaign's chain holds (registered in :mod:`server.store.audit` for verify).
KINDS = frozenset({"campaign.created", *EVOLVE})


evolve = chain.make_evolve("campaign.created", _campaign_created, EVOLVE, "a campaign's")


def fold(events: Iterable[Recorded], state: CampaignState | None = None) -> CampaignState | None:
    """Return the state after every event in ``events``, in order."""
    return chain.fold(evolve, events, state)


# --- the ranking of a batch's post (pass line from the campaign) -----------------------------


@dataclass(frozen=True)
class Placed:
    application: Application
    rank: int
    total: Decimal
    interview: Decimal
    eligible: bool
    shortlisted: bool
    tie_at_cutoff: bool


def shortlist_size(openings: int, ratio: str) -> int:
    """``ceil(openings × ratio)``, exactly."""
    return math.ceil(Fraction(openings) * Fraction(Decimal(ratio)))


def rank_post(state: CampaignState, batch: Batch, code: str) -> list[Placed]:
    """Rank the approved, scored applications of one post of ``batch`` and mark the shortlist.

    Total, then interview score, high to low; equal in both share a rank (1, 2, 2, 4); eligible
    means total ≥ the campaign's pass line; the shortlist is ``ceil(openings × ratio)`` eligible
    places plus everyone tied with the last of them (flagged ``tie_at_cutoff`` when that makes it
    longer).
    """
    post = state.post_by_code(code)
    assert post is not None
    rows = sorted(
        (
            (Decimal(a.score.total), Decimal(a.score.interview), a)
            for a in state.applications.values()
            if a.batch_id == batch.id
            and a.post_code == code
            and a.status == "approved"
            and a.score is not None
        ),
        key=lambda r: (-r[0], -r[1], r[2].id),
    )
    size = shortlist_size(batch.posts.get(code, post.openings), post.shortlist_ratio)
    line = Decimal(state.pass_line)
    ranks: list[int] = []
    for i, row in enumerate(rows):
        same = i > 0 and row[:2] == rows[i - 1][:2]
        ranks.append(ranks[-1] if same else i + 1)
    eligible = [i for i, r in enumerate(rows) if r[0] >= line]
    shortlisted = set(eligible)
    flagged: set[int] = set()
    if len(eligible) > size:
        cutoff = rows[size - 1][:2]
        shortlisted = {i for i in eligible if i < size or rows[i][:2] == cutoff}
        if len(shortlisted) > size:
            flagged = {i for i in shortlisted if rows[i][:2] == cutoff}
    return [
        Placed(r[2], ranks[i], r[0], r[1], r[0] >= line, i in shortlisted, i in flagged)
        for i, r in enumerate(rows)
    ]


def shortlisted(state: CampaignState, application: Application) -> bool:
    batch = state.batches[application.batch_id]
    return any(
        p.shortlisted and p.application.id == application.id
        for p in rank_post(state, batch, application.post_code)
    )


# --- decide ------------------------------------------------------------------------------------


def _new_id(kind: str, taken: Mapping[int, Any], new: int) -> None:
    if new in taken:
        raise ValueError(f"{kind} id {new} is already used in this campaign")


def _campaign(state: CampaignState | None) -> CampaignState:
    if state is None:
        raise NotFound("竞聘工作不存在。", "There is no such campaign.")
    return state


def _batch(state: CampaignState, batch_id: int) -> Batch:
    batch = state.batches.get(batch_id)
    if batch is None:
        raise NotFound(f"批次 {batch_id} 不存在。", f"There is no batch {batch_id}.")
    return batch


def _application(state: CampaignState, application_id: int) -> Application:
    a = state.applications.get(application_id)
    if a is None:
        raise NotFound(
            f"报名 {application_id} 不存在。", f"There is no application {application_id}."
        )
    return a


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _create_campaign(state: CampaignState | None, c: CreateCampaign) -> list[Event]:
    if state is not None:
        raise ValueError(f"campaign {state.id} already exists")
    data = {
        "campaign_id": c.campaign_id,
        "title": c.title,
        "announced_on": c.announced_on.isoformat(),
        "term_years": c.term_years,
        "pass_line": c.pass_line,
    }
    return [Event("campaign.created", "secretary", data)]


def _add_post(s: CampaignState, c: AddPost) -> list[Event]:
    _new_id("post", s.posts, c.post_id)
    if s.post_by_code(c.code) is not None:
        raise DuplicateEntry(
            f"岗位代码 {c.code} 在本次竞聘中已存在。",
            f"Post code {c.code} already exists in this campaign.",
        )
    data = {
        "post_id": c.post_id,
        "code": c.code,
        "name": c.name,
        "unit": c.unit,
        "level": c.level,
        "openings": c.openings,
        "shortlist_ratio": c.shortlist_ratio,
    }
    return [Event("post.created", "secretary", data)]


def _add_batch(s: CampaignState, c: AddBatch) -> list[Event]:
    _new_id("batch", s.batches, c.batch_id)
    if not c.apply_from <= c.apply_until <= c.change_until:
        raise Unprocessable(
            "日期须满足：报名开始 ≤ 报名截止 ≤ 改报截止。",
            "The dates must run apply_from ≤ apply_until ≤ change_until.",
        )
    if len(set(c.posts)) != len(c.posts):
        raise Unprocessable("岗位列表中有重复的岗位代码。", "The list of posts names a post twice.")
    offered = []
    for code in c.posts:
        post = s.post_by_code(code)
        if post is None:
            raise Unprocessable(
                f"岗位代码 {code} 不存在，请先添加该岗位。",
                f"There is no post {code}: add the post first.",
            )
        left = s.openings_left(post)
        if left <= 0:
            raise NotOffered(
                f"岗位 {code} 已在之前的批次中聘满，不能再列入本批次。",
                f"Post {code} was filled by earlier batches: it cannot be offered again.",
            )
        offered.append({"code": code, "openings": left})
    data = {
        "batch_id": c.batch_id,
        "name": c.name,
        "scope": c.scope,
        "apply_from": c.apply_from.isoformat(),
        "apply_until": c.apply_until.isoformat(),
        "change_until": c.change_until.isoformat(),
        "posts": offered,
    }
    return [Event("batch.created", "secretary", data)]


def _add_applicant(s: CampaignState, c: AddApplicant) -> list[Event]:
    _new_id("applicant", s.applicants, c.applicant_id)
    number = rules.normalise_id(c.id_number)
    problem = rules.id_problem(number, c.birth_date, c.sex)
    if problem is not None:
        raise InvalidIdNumber(problem.zh, problem.en)
    if any(a.id_number == number for a in s.applicants.values()):
        raise DuplicateEntry(
            f"身份证号 {rules.mask_id(number)} 已在本次竞聘中登记过，同一人只登记一次。",
            f"ID number {rules.mask_id(number)} is already registered in this campaign: one record a person.",
        )
    base = c.retirement_base or rules.default_base(c.sex)
    data = {
        "applicant_id": c.applicant_id,
        "name": c.name,
        "id_number": number,
        "sex": c.sex,
        "birth_date": c.birth_date.isoformat(),
        "retirement_base": base,
        "retirement_date": rules.retirement_date(c.birth_date, base).isoformat(),
        "education": c.education,
        "employment": c.employment,
        "current_level": c.current_level,
        "appraisal": c.appraisal,
        "under_investigation": c.under_investigation,
        "discipline_until": _iso(c.discipline_until),
        "leadership": c.leadership,
    }
    return [Event("applicant.created", "secretary", data)]


def _checks(s: CampaignState, applicant: Applicant, batch: Batch, code: str) -> dict[str, bool]:
    post = s.post_by_code(code)
    assert post is not None
    return rules.checks(applicant.person(), post.level, batch.scope, s.announced_on, s.term_years)


def _offered(batch: Batch, code: str) -> None:
    if code not in batch.posts:
        raise NotOffered(
            f"岗位 {code} 不在「{batch.name}」的竞聘岗位中。",
            f"Post {code} is not offered in {batch.name}.",
        )


def _holds_appointment(s: CampaignState, applicant_id: int) -> Application | None:
    return next((a for a in s.appointed() if a.applicant_id == applicant_id), None)


def _same_post(
    s: CampaignState, a_id: int | None, batch_id: int, applicant_id: int, code: str
) -> None:
    if any(
        a.live
        and a.batch_id == batch_id
        and a.applicant_id == applicant_id
        and a.post_code == code
        and a.id != a_id
        for a in s.applications.values()
    ):
        raise DuplicateEntry(
            f"该竞聘者已报名岗位 {code}。", f"This applicant has already applied for post {code}."
        )


def _apply(s: CampaignState, c: Apply) -> list[Event]:
    _new_id("application", s.applications, c.application_id)
    batch = _batch(s, c.batch_id)
    applicant = s.applicants.get(c.applicant_id)
    if applicant is None:
        raise Unprocessable(
            f"竞聘者 {c.applicant_id} 不在本次竞聘中，请先登记。",
            f"Applicant {c.applicant_id} is not registered in this campaign: register them first.",
        )
    _offered(batch, c.post_code)
    if not rules.within(c.today, batch.apply_from, batch.apply_until):
        raise WindowClosed(
            f"「{batch.name}」的报名时间为 {batch.apply_from} 至 {batch.apply_until}，今天（{c.today}）不在其中。",
            f"{batch.name} takes applications from {batch.apply_from} to {batch.apply_until}; today is {c.today}.",
        )
    if _holds_appointment(s, applicant.id) is not None:
        raise AlreadyAppointed(
            f"{applicant.name} 已被聘用，不能再报名。",
            f"{applicant.name} already holds an appointment.",
        )
    live = [
        a
        for a in s.applications.values()
        if a.live and a.batch_id == batch.id and a.applicant_id == applicant.id
    ]
    _same_post(s, None, batch.id, applicant.id, c.post_code)
    if len(live) >= rules.MAX_LIVE:
        raise TooManyApplications(
            f"{applicant.name} 在本批次已报名 {len(live)} 个岗位，每批次最多 {rules.MAX_LIVE} 个；可改报或撤回后再报。",
            f"{applicant.name} already has {len(live)} applications in this batch, the most allowed: "
            "change or withdraw one first.",
        )
    checks = _checks(s, applicant, batch, c.post_code)
    data = {
        "application_id": c.application_id,
        "batch_id": batch.id,
        "applicant_id": applicant.id,
        "post_code": c.post_code,
        "checks": checks,
        "eligible": rules.eligible(checks),
    }
    return [Event("application.created", "secretary", data)]


def _changeable(
    s: CampaignState, a: Application, today: date, doing_zh: str, doing_en: str
) -> Batch:
    batch = s.batches[a.batch_id]
    if a.status == "withdrawn":
        raise InvalidTransition(f"报名 {a.id} 已撤回。", f"Application {a.id} was withdrawn.")
    if not rules.within(today, batch.apply_from, batch.change_until):
        raise WindowClosed(
            f"「{batch.name}」的改报和撤回截止于 {batch.change_until}，今天（{today}）不能{doing_zh}。",
            f"{batch.name} allowed changes until {batch.change_until}; today ({today}) it cannot be {doing_en}.",
        )
    if a.interview_id is not None:
        raise HasInterview(
            f"报名 {a.id} 已安排面试，不能{doing_zh}。",
            f"Application {a.id} has an interview: it cannot be {doing_en}.",
        )
    return batch


def _change_post(s: CampaignState, c: ChangePost) -> list[Event]:
    a = _application(s, c.application_id)
    batch = _changeable(s, a, c.today, "改报", "changed")
    _offered(batch, c.post_code)
    if c.post_code == a.post_code:
        return []
    _same_post(s, a.id, batch.id, a.applicant_id, c.post_code)
    checks = _checks(s, s.applicants[a.applicant_id], batch, c.post_code)
    data = {
        "application_id": a.id,
        "old_post_code": a.post_code,
        "post_code": c.post_code,
        "checks": checks,
        "eligible": rules.eligible(checks),
    }
    return [Event("application.changed", "secretary", data)]


def _withdraw(s: CampaignState, c: Withdraw) -> list[Event]:
    a = _application(s, c.application_id)
    _changeable(s, a, c.today, "撤回", "withdrawn")
    return [Event("application.withdrawn", "secretary", {"application_id": a.id})]


def _review(s: CampaignState, c: Review) -> list[Event]:
    a = _application(s, c.application_id)
    if a.status == "withdrawn":
        raise InvalidTransition(
            f"报名 {a.id} 已撤回，无需审查。", f"Application {a.id} was withdrawn."
        )
    reason = (c.reason or "").strip() or None
    if c.decision == "approved" and not a.eligible and reason is None:
        failed = [k for k, ok in a.checks.items() if not ok]
        raise ReasonRequired(
            f"该报名未通过资格条件（{'、'.join(failed)}），批准时须填写理由。",
            f"The application fails {', '.join(failed)}: approving it needs a reason.",
        )
    if a.status == c.decision and a.reason == reason:
        return []
    data = {"application_id": a.id, "decision": c.decision, "reason": reason, "was": a.status}
    return [Event("application.reviewed", "secretary", data)]


def check_sitting(s: CampaignState, batch_id: int, scoring: Mapping[str, Any]) -> Batch:
    """Return the batch if a sitting with ``scoring`` may join it, else raise 404/409."""
    batch = _batch(s, batch_id)
    first = next(iter(batch.sittings.values()), None)
    if first is not None and dict(first) != dict(scoring):
        raise Conflict(
            f"「{batch.name}」的各场次须使用相同的评分小数位、成绩小数位、评分要素和去分方式。",
            f"Every sitting of {batch.name} must share the decimals, the criteria and the trim.",
        )
    return batch


def _add_sitting(s: CampaignState, c: AddSitting) -> list[Event]:
    batch = check_sitting(s, c.batch_id, c.scoring)
    if c.session_id in batch.sittings:
        raise ValueError(f"sitting {c.session_id} is already batch {batch.id}'s")
    data = {"batch_id": batch.id, "session_id": c.session_id, "scoring": dict(c.scoring)}
    return [Event("batch.sitting_added", "secretary", data)]


def _link_interview(s: CampaignState, c: LinkInterview) -> list[Event]:
    a = _application(s, c.application_id)
    if a.status != "approved":
        raise Conflict(
            f"报名 {a.id} 未通过资格审查，不能安排面试。",
            f"Application {a.id} is not approved: no interview.",
        )
    if a.interview_id is not None:
        raise DuplicateEntry(
            f"报名 {a.id} 已安排面试。", f"Application {a.id} already has an interview."
        )
    data = {
        "application_id": a.id,
        "session_id": c.session_id,
        "interview_id": c.interview_id,
        "draw_no": c.draw_no,
    }
    return [Event("application.interviewed", "secretary", data)]


def _record_draw(s: CampaignState, c: RecordDraw) -> list[Event]:
    """``batch.drawn`` (who drew which number, per post), then each application's link."""
    batch = _batch(s, c.batch_id)
    if c.session_id not in batch.sittings:
        raise Conflict(
            f"场次 {c.session_id} 不属于「{batch.name}」。",
            f"Sitting {c.session_id} is not a sitting of {batch.name}.",
        )
    seen: set[int] = set()
    links: list[Event] = []
    posts = []
    for code, entries in c.posts:
        for application_id, _, _ in entries:
            a = _application(s, application_id)
            if a.batch_id != batch.id or a.post_code != code or application_id in seen:
                raise ValueError(f"application {application_id} is not drawn for post {code}")
            seen.add(application_id)
        for application_id, draw_no, interview_id in entries:
            link = LinkInterview(application_id, c.session_id, interview_id, draw_no)
            links += _link_interview(s, link)
        draw = [{"application_id": a, "draw_no": n, "interview_id": i} for a, n, i in entries]
        posts.append({"code": code, "draw": draw})
    if not seen:
        raise ValueError("a draw draws at least one application")
    data = {"batch_id": batch.id, "session_id": c.session_id, "posts": posts}
    return [Event("batch.drawn", "secretary", data), *links]


def _record_score(s: CampaignState, c: RecordScore) -> list[Event]:
    a = _application(s, c.application_id)
    if a.interview_id != c.interview_id:
        raise ValueError(f"interview {c.interview_id} is not application {a.id}'s")
    data = {
        "application_id": a.id,
        "session_id": c.session_id,
        "interview_id": c.interview_id,
        "total": c.total,
        "interview": c.interview,
    }
    return [Event("application.scored", "system", data)]


OUTCOMES = {"inspection": ("pass", "fail"), "decision": ("appointed", "not_appointed")}


def _record_outcome(s: CampaignState, c: RecordOutcome) -> list[Event]:
    a = _application(s, c.application_id)
    if c.result not in OUTCOMES.get(c.stage, ()):
        raise Unprocessable(
            "考察结果只能是 pass/fail，决定只能是 appointed/not_appointed。",
            "An inspection is pass or fail; a decision is appointed or not_appointed.",
        )
    if a.batch_id in s.publicity:
        raise Conflict(
            "本批次的拟聘用人员已公示，不能再改考察或决定结果。",
            "This batch's appointees are already published: outcomes can no longer change.",
        )
    if not shortlisted(s, a):
        raise NotShortlisted(
            f"报名 {a.id} 不在初步考察对象名单中。", f"Application {a.id} is not on the shortlist."
        )
    if c.stage == "inspection" and a.decision == "appointed":
        raise Conflict(
            f"报名 {a.id} 已决定聘用，考察结果不能再改。",
            f"Application {a.id} is already appointed: its inspection cannot change.",
        )
    if c.stage == "decision" and c.result == "appointed" and a.decision != "appointed":
        if a.inspection != "pass":
            raise InspectionFirst(
                f"报名 {a.id} 尚未通过考察，不能决定聘用。",
                f"Application {a.id} has not passed the inspection: it cannot be appointed.",
            )
        holder = _holds_appointment(s, a.applicant_id)
        if holder is not None:
            raise AlreadyAppointed(
                f"该竞聘者已被聘用到岗位 {holder.post_code}，一人只能聘用一个岗位。",
                f"This applicant is already appointed to post {holder.post_code}.",
            )
        post = s.post_by_code(a.post_code)
        assert post is not None
        if s.openings_left(post) <= 0:
            raise NoOpeningsLeft(
                f"岗位 {post.code} 已无空缺（共 {post.openings} 个）。",
                f"Post {post.code} has no openings left (of {post.openings}).",
            )
    current = a.inspection if c.stage == "inspection" else a.decision
    note = (c.note or "").strip() or None
    if current == c.result and note == (
        a.inspection_note if c.stage == "inspection" else a.decision_note
    ):
        return []
    data = {
        "application_id": a.id,
        "stage": c.stage,
        "result": c.result,
        "note": note,
        "was": current,
    }
    return [Event("application.outcome", "secretary", data)]


def appointees(s: CampaignState, batch_id: int) -> list[dict[str, Any]]:
    """The ``appointed`` applications of a batch as the publicity lists them."""
    return [
        {
            "application_id": a.id,
            "name": s.applicants[a.applicant_id].name,
            "post_code": a.post_code,
        }
        for a in sorted(s.applications.values(), key=lambda a: a.id)
        if a.batch_id == batch_id and a.decision == "appointed"
    ]


def _publicize(s: CampaignState, c: Publicize) -> list[Event]:
    batch = _batch(s, c.batch_id)
    if batch.id in s.publicity:
        raise DuplicateEntry(
            f"「{batch.name}」已发布过公示。", f"{batch.name} has already been published."
        )
    if c.ends_on <= c.published_on:
        raise Unprocessable(
            "公示截止日期必须晚于发布日期。",
            "The publicity must end after the day it is published.",
        )
    if c.published_on <= batch.change_until:
        # Until the change window closes an application may still move: nobody is chosen yet.
        raise Unprocessable(
            f"「{batch.name}」的报名和修改到 {batch.change_until} 截止，公示须在此之后发布。",
            f"{batch.name} takes applications and changes until {batch.change_until}: "
            "the publicity must come after that.",
        )
    data = {
        "batch_id": batch.id,
        "published_on": c.published_on.isoformat(),
        "ends_on": c.ends_on.isoformat(),
        "appointees": appointees(s, batch.id),
    }
    return [Event("publicity.created", "secretary", data)]


_DECIDE: dict[type, Any] = {
    AddPost: _add_post,
    AddBatch: _add_batch,
    AddApplicant: _add_applicant,
    Apply: _apply,
    ChangePost: _change_post,
    Withdraw: _withdraw,
    Review: _review,
    AddSitting: _add_sitting,
    LinkInterview: _link_interview,
    RecordDraw: _record_draw,
    RecordScore: _record_score,
    RecordOutcome: _record_outcome,
    Publicize: _publicize,
}


def decide(state: CampaignState | None, command: Command) -> list[Event]:
    """Return the events that record ``command``, or raise the rule it breaks; change nothing."""
    if isinstance(command, CreateCampaign):
        return _create_campaign(state, command)
    return _DECIDE[type(command)](_campaign(state), command)


def apply(
    state: CampaignState | None, command: Command, at: str
) -> tuple[CampaignState | None, list[Recorded]]:
    """Decide ``command`` and fold its events stamped ``at``."""
    events = decide(state, command)
    recorded = chain.stamp(events, 0 if state is None else state.version, at)
    return fold(recorded, state), recorded
