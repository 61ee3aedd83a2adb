"""The campaign as a decider: each rule of DESIGN section 5 against a state built from commands."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from server.campaign import decider as cd
from server.campaign import rules
from server.errors import (
    AlreadyAppointed,
    Conflict,
    DuplicateEntry,
    HasInterview,
    InspectionFirst,
    InvalidIdNumber,
    InvalidTransition,
    KioskError,
    NoOpeningsLeft,
    NotFound,
    NotOffered,
    NotShortlisted,
    ReasonRequired,
    TooManyApplications,
    Unprocessable,
    WindowClosed,
)
from server.store.audit import CAMPAIGN_KINDS, known_kind

D = date.fromisoformat
AT = "2025-04-01T02:00:00.000000Z"
TODAY = D("2025-04-05")


def make_id(birth: str, man: bool, n: int = 1) -> str:
    body = "320581" + birth.replace("-", "") + f"{n:02d}" + ("1" if man else "2")
    return body + rules.check_digit(body)


class World:
    """A campaign built command by command, with ids handed out as the store would."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.state: cd.CampaignState | None = None
        self.events: list[cd.Recorded] = []
        self.do(cd.CreateCampaign(1, "开发区竞聘", D("2025-03-31"), 2, "60"))

    def do(self, command: cd.Command) -> list[cd.Recorded]:
        self.state, recorded = cd.apply(self.state, command, AT)
        self.events += recorded
        return recorded

    @property
    def s(self) -> cd.CampaignState:
        assert self.state is not None
        return self.state

    def post(self, code: str, level: int = 3, openings: int = 1, ratio: str = "2") -> int:
        pid = next(self.ids)
        self.do(cd.AddPost(pid, code, f"岗位{code}", "党政办公室", level, openings, ratio))
        return pid

    def batch(
        self,
        posts: tuple[str, ...],
        scope: str = "internal",
        window: tuple[str, str, str] = ("2025-04-01", "2025-04-07", "2025-04-10"),
    ) -> int:
        bid = next(self.ids)
        self.do(
            cd.AddBatch(bid, f"批次{bid}", scope, D(window[0]), D(window[1]), D(window[2]), posts)
        )
        return bid

    def person(
        self, name: str = "张三", birth: str = "1980-05-06", man: bool = True, **kw: object
    ) -> int:
        pid = next(self.ids)
        fields = {"education": "bachelor", "employment": "civil_servant", "current_level": 2}
        fields.update(kw)  # type: ignore[arg-type]
        self.do(
            cd.AddApplicant(
                pid, name, make_id(birth, man, pid % 100), "M" if man else "F", D(birth), **fields
            )
        )  # type: ignore[arg-type]
        return pid

    def apply(self, bid: int, pid: int, code: str, today: date = TODAY) -> int:
        aid = next(self.ids)
        self.do(cd.Apply(aid, bid, pid, code, today))
        return aid

    def approve(self, aid: int, reason: str | None = None) -> None:
        self.do(cd.Review(aid, "approved", reason))

    def score(self, aid: int, total: str, interview: str | None = None) -> None:
        iid = next(self.ids)
        self.do(cd.LinkInterview(aid, 100, iid, iid))
        self.do(cd.RecordScore(aid, 100, iid, total, interview or total))


@pytest.fixture
def w() -> World:
    return World()


def test_every_kind_written_is_known_to_verify(w: World) -> None:
    w.post("A1")
    bid = w.batch(("A1",))
    pid = w.person()
    aid = w.apply(bid, pid, "A1")
    w.approve(aid)
    w.score(aid, "80")
    w.do(cd.RecordOutcome(aid, "inspection", "pass"))
    w.do(cd.RecordOutcome(aid, "decision", "appointed"))
    w.do(cd.AddSitting(bid, 100, {"score_decimals": 1}))
    other = w.apply(bid, w.person("李四", "1981-02-03"), "A1")
    w.approve(other)
    w.do(cd.RecordDraw(bid, 100, (("A1", ((other, 1, 901),)),)))
    w.do(cd.Publicize(bid, D("2025-05-06"), D("2025-05-13")))
    kinds = {e.kind for e in w.events}
    assert kinds == cd.KINDS - {"application.changed", "application.withdrawn"}
    assert kinds <= cd.KINDS
    assert all(known_kind(k) for k in cd.KINDS)
    assert cd.KINDS == CAMPAIGN_KINDS  # registered for kiosk verify
    assert cd.fold(w.events) == w.s  # the record decides the state


# --- posts and batches --------------------------------------------------------------------------


def test_post_code_unique(w: World) -> None:
    w.post("A1")
    with pytest.raises(DuplicateEntry):
        w.post("A1")


@pytest.mark.parametrize(
    ("window", "error"),
    [
        (("2025-04-01", "2025-04-01", "2025-04-01"), None),
        (("2025-04-02", "2025-04-01", "2025-04-03"), Unprocessable),
        (("2025-04-01", "2025-04-03", "2025-04-02"), Unprocessable),
    ],
)
def test_batch_window_order(w: World, window: tuple[str, str, str], error: type | None) -> None:
    w.post("A1")
    if error is None:
        w.batch(("A1",), window=window)
    else:
        with pytest.raises(error):
            w.batch(("A1",), window=window)


def test_batch_unknown_or_repeated_post(w: World) -> None:
    w.post("A1")
    with pytest.raises(Unprocessable):
        w.batch(("B9",))
    with pytest.raises(Unprocessable):
        w.batch(("A1", "A1"))


def appoint(w: World, bid: int, code: str, name: str, total: str = "85") -> int:
    pid = w.person(name)
    aid = w.apply(bid, pid, code)
    w.approve(aid)
    w.score(aid, total)
    w.do(cd.RecordOutcome(aid, "inspection", "pass"))
    w.do(cd.RecordOutcome(aid, "decision", "appointed"))
    return aid


def test_later_batch_offers_only_openings_left(w: World) -> None:
    w.post("A1", openings=2)
    w.post("B1", openings=1)
    first = w.batch(("A1", "B1"))
    appoint(w, first, "A1", "甲")
    appoint(w, first, "B1", "乙")
    with pytest.raises(NotOffered):
        w.batch(("B1",), scope="public")
    second = w.batch(("A1",), scope="public")
    assert w.s.batches[second].posts == {"A1": 1}  # the openings left at creation
    assert w.s.batches[first].posts == {"A1": 2, "B1": 1}


# --- applicants ----------------------------------------------------------------------------------


def test_applicant_retirement_and_default_base(w: World) -> None:
    pid = w.person("李四", birth="1968-06-15")
    assert w.s.applicants[pid].retirement_base == 60
    assert w.s.applicants[pid].retirement_date == D("2029-05-15")
    fid = w.person("王五", birth="1972-03-10", man=False)
    assert w.s.applicants[fid].retirement_date == D("2027-10-10")
    gid = w.person("赵六", birth="1978-10-01", man=False, retirement_base=50)
    assert w.s.applicants[gid].retirement_date == D("2030-09-01")


def test_applicant_id_checked_and_unique(w: World) -> None:
    good = make_id("1980-05-06", True, 7)
    w.do(cd.AddApplicant(50, "甲", good.lower(), "M", D("1980-05-06"), "bachelor", "worker", 1))
    assert w.s.applicants[50].id_number == good.upper()
    with pytest.raises(DuplicateEntry) as dup:
        w.do(cd.AddApplicant(51, "乙", good, "M", D("1980-05-06"), "bachelor", "worker", 1))
    assert good not in dup.value.message  # masked even in the error
    with pytest.raises(InvalidIdNumber):
        w.do(cd.AddApplicant(52, "丙", good, "F", D("1980-05-06"), "bachelor", "worker", 1))
    with pytest.raises(InvalidIdNumber):
        w.do(
            cd.AddApplicant(
                53,
                "丁",
                good[:-1] + ("0" if good[-1] != "0" else "1"),
                "M",
                D("1980-05-06"),
                "bachelor",
                "worker",
                1,
            )
        )


# --- applications --------------------------------------------------------------------------------


@pytest.fixture
def open_batch(w: World) -> tuple[World, int]:
    w.post("A1", level=3)
    w.post("A2", level=2)
    w.post("A3", level=1)
    w.post("X9", level=1)
    bid = w.batch(("A1", "A2", "A3"))
    return w, bid


@pytest.mark.parametrize(
    ("today", "ok"),
    [("2025-03-31", False), ("2025-04-01", True), ("2025-04-07", True), ("2025-04-08", False)],
)
def test_apply_window_inclusive(open_batch: tuple[World, int], today: str, ok: bool) -> None:
    w, bid = open_batch
    pid = w.person()
    if ok:
        w.apply(bid, pid, "A1", D(today))
    else:
        with pytest.raises(WindowClosed):
            w.apply(bid, pid, "A1", D(today))


def test_apply_rules(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person()
    with pytest.raises(NotOffered):
        w.apply(bid, pid, "X9")
    with pytest.raises(Unprocessable):
        w.apply(bid, 999, "A1")
    with pytest.raises(NotFound):
        w.apply(998, pid, "A1")
    a1 = w.apply(bid, pid, "A1")
    with pytest.raises(DuplicateEntry):
        w.apply(bid, pid, "A1")
    w.apply(bid, pid, "A2")
    with pytest.raises(TooManyApplications):
        w.apply(bid, pid, "A3")
    # a withdrawal frees a place; a rejection does not (rejected is live)
    w.do(cd.Withdraw(a1, TODAY))
    a3 = w.apply(bid, pid, "A3")
    w.do(cd.Review(a3, "rejected", "材料不全"))
    with pytest.raises(TooManyApplications):
        w.apply(bid, pid, "A1")


def test_checks_recorded_on_the_application(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person(appraisal="basically_competent", current_level=2)
    up = w.apply(bid, pid, "A1")
    same = w.apply(bid, pid, "A2")
    assert w.s.applications[up].checks == {
        "education": True,
        "retirement": True,
        "standing": False,
        "scope": True,
    }
    assert w.s.applications[up].eligible is False
    assert w.s.applications[same].eligible is True
    external = w.person("外部", employment="external")
    aid = w.apply(bid, external, "A3")
    assert w.s.applications[aid].checks["scope"] is False


def test_change_post(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person(appraisal="incompetent", current_level=2)
    aid = w.apply(bid, pid, "A2")
    w.approve(aid)
    w.apply(bid, pid, "A3")
    with pytest.raises(DuplicateEntry):
        w.do(cd.ChangePost(aid, "A3", TODAY))
    assert w.do(cd.ChangePost(aid, "A2", TODAY)) == []
    w.do(cd.ChangePost(aid, "A1", D("2025-04-10")))  # change_until, inclusive
    a = w.s.applications[aid]
    assert (a.id, a.post_code, a.status, a.eligible) == (aid, "A1", "submitted", False)
    with pytest.raises(WindowClosed):
        w.do(cd.ChangePost(aid, "A2", D("2025-04-11")))
    with pytest.raises(NotOffered):
        w.do(cd.ChangePost(aid, "X9", TODAY))


def test_withdraw(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person()
    aid = w.apply(bid, pid, "A1")
    with pytest.raises(WindowClosed):
        w.do(cd.Withdraw(aid, D("2025-04-11")))
    w.do(cd.Withdraw(aid, D("2025-04-10")))
    assert w.s.applications[aid].status == "withdrawn"
    with pytest.raises(InvalidTransition):
        w.do(cd.Withdraw(aid, TODAY))
    with pytest.raises(InvalidTransition):
        w.do(cd.Review(aid, "approved"))


def test_interview_locks_the_application(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person()
    aid = w.apply(bid, pid, "A1")
    with pytest.raises(Conflict):
        w.do(cd.LinkInterview(aid, 1, 77, 1))  # not approved
    w.approve(aid)
    w.do(cd.LinkInterview(aid, 1, 77, 1))
    with pytest.raises(DuplicateEntry):
        w.do(cd.LinkInterview(aid, 1, 78, 2))
    with pytest.raises(HasInterview):
        w.do(cd.ChangePost(aid, "A2", TODAY))
    with pytest.raises(HasInterview):
        w.do(cd.Withdraw(aid, TODAY))


def test_review(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    pid = w.person(education="secondary")
    aid = w.apply(bid, pid, "A1")
    with pytest.raises(ReasonRequired):
        w.do(cd.Review(aid, "approved"))
    with pytest.raises(ReasonRequired):
        w.do(cd.Review(aid, "approved", "   "))
    w.do(cd.Review(aid, "approved", "学历已补正"))
    w.do(cd.Review(aid, "rejected", None))  # changed later, audited
    assert w.s.applications[aid].status == "rejected"
    assert [e.data["decision"] for e in w.events if e.kind == "application.reviewed"] == [
        "approved",
        "rejected",
    ]
    assert w.do(cd.Review(aid, "rejected", None)) == []


# --- outcomes and publicity ---------------------------------------------------------------------


def test_outcomes(w: World) -> None:
    w.post("A1", openings=1, ratio="2")
    bid = w.batch(("A1",))
    apps = {}
    for name, total in (("甲", "90"), ("乙", "85"), ("丙", "80"), ("丁", "55")):
        pid = w.person(name)
        apps[name] = w.apply(bid, pid, "A1")
        w.approve(apps[name])
        w.score(apps[name], total)
    placed = cd.rank_post(w.s, w.s.batches[bid], "A1")
    assert [(p.rank, p.shortlisted) for p in placed] == [
        (1, True),
        (2, True),
        (3, False),
        (4, False),
    ]
    with pytest.raises(NotShortlisted):
        w.do(cd.RecordOutcome(apps["丙"], "inspection", "pass"))
    with pytest.raises(InspectionFirst):
        w.do(cd.RecordOutcome(apps["甲"], "decision", "appointed"))
    w.do(cd.RecordOutcome(apps["甲"], "inspection", "fail"))
    with pytest.raises(InspectionFirst):
        w.do(cd.RecordOutcome(apps["甲"], "decision", "appointed"))
    w.do(cd.RecordOutcome(apps["乙"], "inspection", "pass"))
    w.do(cd.RecordOutcome(apps["乙"], "decision", "appointed"))
    w.do(cd.RecordOutcome(apps["甲"], "inspection", "pass", "复核"))
    with pytest.raises(NoOpeningsLeft):
        w.do(cd.RecordOutcome(apps["甲"], "decision", "appointed"))
    with pytest.raises(Conflict):
        w.do(cd.RecordOutcome(apps["乙"], "inspection", "fail"))
    with pytest.raises(Unprocessable):
        w.do(cd.RecordOutcome(apps["甲"], "inspection", "appointed"))
    w.do(cd.Publicize(bid, D("2025-09-26"), D("2025-10-10")))
    assert w.s.publicity[bid].appointees == (
        {"application_id": apps["乙"], "name": "乙", "post_code": "A1"},
    )
    with pytest.raises(DuplicateEntry):
        w.do(cd.Publicize(bid, D("2025-09-26"), D("2025-10-10")))
    with pytest.raises(Conflict):
        w.do(cd.RecordOutcome(apps["甲"], "decision", "not_appointed"))


def test_one_appointment_a_person_across_posts_and_batches(w: World) -> None:
    w.post("A1", openings=1)
    w.post("A2", openings=1)
    w.post("A3", openings=1)
    bid = w.batch(("A1", "A2"))
    pid = w.person("甲")
    a1, a2 = w.apply(bid, pid, "A1"), w.apply(bid, pid, "A2")
    for aid in (a1, a2):
        w.approve(aid)
        w.score(aid, "88")
        w.do(cd.RecordOutcome(aid, "inspection", "pass"))
    w.do(cd.RecordOutcome(a1, "decision", "appointed"))
    with pytest.raises(AlreadyAppointed):
        w.do(cd.RecordOutcome(a2, "decision", "appointed"))
    later = w.batch(("A3",), scope="public", window=("2025-04-01", "2025-04-30", "2025-04-30"))
    with pytest.raises(AlreadyAppointed):
        w.apply(later, pid, "A3")


def test_pass_line_and_ties(w: World) -> None:
    w.state = None
    w.events = []
    w.do(cd.CreateCampaign(1, "t", D("2025-03-31"), 2, "70"))
    w.post("A1", openings=1, ratio="1")
    bid = w.batch(("A1",))
    ids = {}
    for name, total, interview in (
        ("甲", "80", "80"),
        ("乙", "80", "80"),
        ("丙", "69.99", "69.99"),
    ):
        ids[name] = w.apply(bid, w.person(name), "A1")
        w.approve(ids[name])
        w.score(ids[name], total, interview)
    placed = cd.rank_post(w.s, w.s.batches[bid], "A1")
    assert [(p.rank, p.eligible, p.shortlisted, p.tie_at_cutoff) for p in placed] == [
        (1, True, True, True),
        (1, True, True, True),
        (3, False, False, False),
    ]


def test_sittings_of_a_batch_share_their_scoring(w: World) -> None:
    w.post("A1")
    bid = w.batch(("A1",))
    same = {"score_decimals": 1, "result_decimals": 2, "criteria": [], "trim": "total"}
    w.do(cd.AddSitting(bid, 10, same))
    w.do(cd.AddSitting(bid, 11, dict(same)))
    assert set(w.s.batches[bid].sittings) == {10, 11}
    for change in (
        {"score_decimals": 0},
        {"result_decimals": 3},
        {"trim": "per_criterion"},
        {"criteria": [{"code": "a", "name": "a", "max": "100"}]},
    ):
        with pytest.raises(Conflict):
            w.do(cd.AddSitting(bid, 12, {**same, **change}))
    with pytest.raises(NotFound):
        w.do(cd.AddSitting(999, 12, same))


def test_publicity_end_after_start(w: World) -> None:
    w.post("A1")
    bid = w.batch(("A1",))
    with pytest.raises(Unprocessable):
        w.do(cd.Publicize(bid, D("2025-05-06"), D("2025-05-06")))


@pytest.mark.parametrize("published", ["2025-04-01", "2025-04-07", "2025-04-10"])
def test_publicity_only_after_the_batch_closes(w: World, published: str) -> None:
    """Applications and changes run until 2025-04-10: no one is chosen before that."""
    w.post("A1")
    bid = w.batch(("A1",))
    with pytest.raises(Unprocessable) as refused:
        w.do(cd.Publicize(bid, D(published), D("2025-04-18")))
    assert "2025-04-10" in refused.value.message and "2025-04-10" in refused.value.message_en
    assert bid not in w.s.publicity
    w.do(cd.Publicize(bid, D("2025-04-11"), D("2025-04-18")))
    assert w.s.publicity[bid].published_on == D("2025-04-11")


def test_errors_carry_both_languages(open_batch: tuple[World, int]) -> None:
    w, bid = open_batch
    with pytest.raises(KioskError) as caught:
        w.apply(bid, w.person(), "A1", D("2026-01-01"))
    assert caught.value.status_code == 409
    assert caught.value.message != caught.value.message_en
    assert "2025-04-07" in caught.value.message and "2025-04-07" in caught.value.message_en


def test_evolve_refuses_a_broken_record(w: World) -> None:
    w.post("A1")
    with pytest.raises(ValueError):
        cd.fold(w.events[1:])
    with pytest.raises(ValueError):
        cd.fold([w.events[0], w.events[0]])


def test_a_draw_links_every_application_or_none(w: World) -> None:
    w.post("A1")
    w.post("B1")
    bid = w.batch(("A1", "B1"))
    a = [w.apply(bid, w.person(f"人{n}", f"198{n}-01-0{n + 1}"), "A1") for n in range(3)]
    for aid in a[:2]:
        w.approve(aid)
    with pytest.raises(Conflict):  # not a sitting of the batch
        w.do(cd.RecordDraw(bid, 100, (("A1", ((a[0], 1, 901),)),)))
    w.do(cd.AddSitting(bid, 100, {"score_decimals": 1}))
    before = w.state
    with pytest.raises(Conflict):  # a[2] is not approved: nothing recorded
        w.do(cd.RecordDraw(bid, 100, (("A1", ((a[0], 1, 901), (a[2], 2, 902))),)))
    with pytest.raises(ValueError):  # the same application twice
        w.do(cd.RecordDraw(bid, 100, (("A1", ((a[0], 1, 901), (a[0], 2, 902))),)))
    with pytest.raises(ValueError):  # drawn under a post it did not apply for
        w.do(cd.RecordDraw(bid, 100, (("B1", ((a[0], 1, 901),)),)))
    assert w.state is before
    w.do(cd.RecordDraw(bid, 100, (("A1", ((a[1], 1, 901), (a[0], 2, 902))),)))
    assert [e.kind for e in w.events[-3:]] == [
        "batch.drawn",
        "application.interviewed",
        "application.interviewed",
    ]
    assert w.events[-3].data["posts"] == [
        {
            "code": "A1",
            "draw": [
                {"application_id": a[1], "draw_no": 1, "interview_id": 901},
                {"application_id": a[0], "draw_no": 2, "interview_id": 902},
            ],
        }
    ]
    assert (w.state.applications[a[0]].interview_id, w.state.applications[a[0]].draw_no) == (
        902,
        2,
    )
    with pytest.raises(DuplicateEntry):
        w.do(cd.RecordDraw(bid, 100, (("A1", ((a[0], 3, 903),)),)))
