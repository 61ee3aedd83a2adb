"""The judge protocol as a Hypothesis state machine, against a real server.

Each run is one fresh sitting of five judges (at least three marks) and three candidates. The
machine connects and drops judges' phones, submits marks (good and bad, to open and closed
interviews, with new request ids and with old ones), drops a socket right after a submit and
resends on a new one, and as the secretary starts, excuses, reopens and announces. A plain model
predicts every answer. After every step the real record must equal the model:

- exactly one stored mark per seat and interview, the one the model holds (the audit chain,
  checked link by link, replayed; and the secretary's view);
- nothing acknowledged is lost or changed; a request id, once acknowledged, always gets its
  original ack, even after a reopen;
- no judge ever receives another seat's mark, and the display receives no mark and no result
  of an interview before it is announced (every frame either socket receives is checked).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from server.domain.scoring import fmt, interview_score, parse_mark
from server.errors import InvalidScore
from server.live.frames import loads
from tests.faults import RawSocket, audit_events, judge_path, live_marks
from tests.support import Api, ServerProcess, Socket

JUDGES = 5
MIN_SCORES = 3
CANDIDATES = 3
SEATS = st.integers(1, JUDGES)
GOOD = st.sampled_from(["85", "85.5", "90", "70.5", "100", "0", "61.0", 77, 99, 85.5])
BAD = st.sampled_from(["85.55", "abc", "101", "-1", "", None, True, 1e2, "1e2", [80], "８５"])
SCORES = st.one_of(GOOD, GOOD, GOOD, BAD)
SCORED = {"scored", "announced", "confirmed", "disputed"}
ANNOUNCED = {"announced", "confirmed", "disputed"}


@dataclass
class Live:
    server: ServerProcess
    api: Api
    foreign_iid: int


LIVE: Live | None = None
rids = itertools.count()


def norm(score: Any) -> str | None:
    """The model's view of a mark: its wire text, or None if it must be refused.

    The score goes through JSON as it does on the wire: 85.5 sent as a number reaches the
    server as the text of a JSON number, which is a valid mark.
    """
    try:
        return fmt(parse_mark(loads(json.dumps(score)), 1))
    except InvalidScore:
        return None


class JudgeProtocol(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert LIVE is not None
        self.live = LIVE
        self.api = LIVE.api
        sitting = self.api.sitting(judges=JUDGES, candidates=CANDIDATES, min_scores=MIN_SCORES)
        self.sid = sitting["id"]
        self.tokens = {j["seat"]: j["token"] for j in sitting["judges"]}
        self.iids = [i["id"] for i in sitting["interviews"]]
        self.state = {iid: "waiting" for iid in self.iids}
        self.started: list[int] = []
        self.marks: dict[tuple[int, int], tuple[str, str]] = {}  # (iid, seat) -> (score, rid)
        self.excused: set[tuple[int, int]] = set()
        self.acked: dict[tuple[int, str], tuple[int, str]] = {}  # (seat, rid) -> (iid, score)
        self.history: dict[int, set[tuple[int, str]]] = {s: set() for s in self.tokens}
        self.socks: dict[int, Socket] = {}
        self.display = Socket(f"{LIVE.server.ws_url}/ws/display/{sitting['display']['token']}")
        self.check_display(self.display.recv())

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def pick(data: st.DataObject, likely: list[Any], anything: list[Any]) -> Any:
        """Mostly one of ``likely`` (steps that do something), sometimes anything at all."""
        return data.draw(st.sampled_from(likely * 4 + anything if likely else anything))

    def target(self, data: st.DataObject) -> int:
        """An interview to mark: mostly a live one, else any, or another sitting's."""
        live = [i for i in self.iids if self.state[i] == "interviewing"]
        return self.pick(data, live, [*self.iids, self.live.foreign_iid])

    def seen(self, seat: int, frame: dict[str, Any]) -> None:
        """Check one frame a judge's phone received."""
        # Acks and errors are read by exchange(); anything else must be a state or a pong.
        assert frame["type"] in ("state", "pong"), frame
        if frame["type"] == "state":
            assert frame["seat"] == seat
            shown = frame["interview"]
            if frame["my_score"] is not None:
                assert shown is not None
                assert (shown["id"], frame["my_score"]) in self.history[seat], (
                    "a judge was shown a mark that was never theirs",
                    seat,
                    frame,
                )
            assert set(frame) <= {
                "type", "seat", "session_id", "session_title", "score_decimals", "interview",
                "my_score", "submitted", "expected", "excused",
            }, frame  # fmt: skip

    def check_display(self, frame: dict[str, Any]) -> None:
        assert frame["type"] in ("state", "pong"), frame
        if frame["type"] != "state":
            return
        current = frame["current"]
        if current is not None:
            assert set(current) == {
                "id", "draw_no", "position_name", "state", "submitted", "expected",
                "countdown_ends_at",
            }, current  # fmt: skip
        shown = frame["announcement"]
        if shown is not None:
            iid = shown["interview_id"]
            # Announcing is final, so a stale frame still names an announced interview.
            assert self.state[iid] in ANNOUNCED, ("the display saw an unannounced result", frame)
            assert {m["seat"]: m["score"] for m in shown["marks"]} == {
                seat: score for (i, seat), (score, _) in self.marks.items() if i == iid
            }

    def drain(self) -> None:
        for seat, sock in list(self.socks.items()):
            for frame in self._pending(sock):
                self.seen(seat, frame)
        for frame in self._pending(self.display):
            self.check_display(frame)

    @staticmethod
    def _pending(sock: Socket) -> list[dict[str, Any]]:
        frames = []
        while True:
            try:
                frames.append(json.loads(sock.conn.recv(timeout=0)))
            except TimeoutError:
                return frames

    def exchange(self, seat: int, sock: Socket, frame: dict[str, Any]) -> dict[str, Any]:
        sock.send(frame)
        while True:
            got = sock.recv()
            if got["type"] in ("ack", "error") and got.get("request_id") == frame["request_id"]:
                return got
            self.seen(seat, got)

    def expected_answer(self, seat: int, iid: int, score: Any, rid: str) -> tuple[str, Any]:
        """What the server must answer a submit, by the contract."""
        if (seat, rid) in self.acked:
            return "ack", self.acked[(seat, rid)]
        text = norm(score)
        if text is None:
            return "invalid_score", None
        if iid not in self.state:
            return "not_open", None
        if (iid, seat) in self.excused:
            return "excused", None
        if (iid, seat) in self.marks:
            return "already_submitted", None
        if self.state[iid] != "interviewing":
            return "not_open", None
        return "ack", (iid, text)

    def settle(self, kind: str, expected: Any, answer: dict[str, Any], seat: int, rid: str) -> None:
        if kind != "ack":
            assert answer["type"] == "error" and answer["code"] == kind, (kind, answer)
            return
        iid, text = expected
        assert answer == {"type": "ack", "request_id": rid, "interview_id": iid, "score": text}
        if (seat, rid) not in self.acked:
            self.acked[(seat, rid)] = (iid, text)
            self.marks[(iid, seat)] = (text, rid)
            self.history[seat].add((iid, text))
            self.complete(iid)

    def complete(self, iid: int) -> None:
        owed = [s for s in self.tokens if (iid, s) not in self.excused]
        if self.state[iid] == "interviewing" and all((iid, s) in self.marks for s in owed):
            self.state[iid] = "scored"

    def flow(self, iid: int, step: str, ok: bool, **body: Any) -> None:
        response = self.api.call("POST", f"/api/interviews/{iid}/{step}", json=body or None)
        assert response.status_code == (200 if ok else 409), (step, ok, response.text)

    def judge_view(self, seat: int) -> tuple[int | None, str | None]:
        """The interview a seat's phone shows, and its mark there (DESIGN.md section 4)."""
        owing = [
            i for i in self.started
            if self.state[i] == "interviewing" and (i, seat) not in self.marks
            and (i, seat) not in self.excused
        ]  # fmt: skip
        live = [i for i in self.started if self.state[i] == "interviewing"]
        shown = (
            owing[0] if owing else live[-1] if live else self.started[-1] if self.started else None
        )
        mark = self.marks.get((shown, seat)) if shown is not None else None
        return shown, mark[0] if mark else None

    @initialize()
    def first_candidate_comes_in(self) -> None:
        self.flow(self.iids[0], "start", True)
        self.state[self.iids[0]] = "interviewing"
        self.started.append(self.iids[0])
        for seat in self.tokens:
            self.connect(seat)

    # --- the judge's phone -------------------------------------------------------------------

    @rule(seat=SEATS)
    def connect(self, seat: int) -> None:
        if seat in self.socks:  # a second phone (or tab) for the same seat
            self.socks[seat].close()
        sock = Socket(f"{self.live.server.ws_url}{judge_path(self.tokens[seat])}")
        first = sock.recv()
        self.seen(seat, first)
        shown, mine = self.judge_view(seat)
        assert (first["interview"] or {}).get("id") == shown, (first, shown)
        assert first["my_score"] == mine, (first, mine)
        self.socks[seat] = sock

    @precondition(lambda self: self.socks)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        seat = data.draw(st.sampled_from(sorted(self.socks)))
        self.drain()
        self.socks.pop(seat).close()

    @precondition(lambda self: self.socks)
    @rule(data=st.data(), score=SCORES)
    def submit(self, data: st.DataObject, score: Any) -> None:
        seat = data.draw(st.sampled_from(sorted(self.socks)))
        iid, rid = self.target(data), f"m{next(rids)}"
        kind, expected = self.expected_answer(seat, iid, score, rid)
        frame = {"type": "submit", "request_id": rid, "interview_id": iid, "score": score}
        answer = self.exchange(seat, self.socks[seat], frame)
        self.settle(kind, expected, answer, seat, rid)

    @precondition(lambda self: "interviewing" in self.state.values())
    @rule(data=st.data())
    def the_panel_marks(self, data: st.DataObject) -> None:
        """Every connected judge who owes the live interview a mark sends one, in turn."""
        live = [i for i in self.started if self.state[i] == "interviewing"][-1]
        for seat in sorted(self.socks):
            if (live, seat) in self.marks or (live, seat) in self.excused:
                continue
            score, rid = data.draw(GOOD), f"m{next(rids)}"
            kind, expected = self.expected_answer(seat, live, score, rid)
            frame = {"type": "submit", "request_id": rid, "interview_id": live, "score": score}
            self.settle(kind, expected, self.exchange(seat, self.socks[seat], frame), seat, rid)

    @precondition(lambda self: self.socks and self.acked)
    @rule(data=st.data(), score=SCORES)
    def resubmit_same_request(self, data: st.DataObject, score: Any) -> None:
        """An old request id again, with whatever interview and score: the original ack."""
        seat = data.draw(st.sampled_from(sorted(self.socks)))
        mine = sorted(rid for s, rid in self.acked if s == seat)
        if not mine:
            return
        rid = data.draw(st.sampled_from(mine))
        iid = self.target(data)
        kind, expected = self.expected_answer(seat, iid, score, rid)
        assert kind == "ack"
        frame = {"type": "submit", "request_id": rid, "interview_id": iid, "score": score}
        self.settle(kind, expected, self.exchange(seat, self.socks[seat], frame), seat, rid)

    @rule(data=st.data(), seat=SEATS, score=SCORES, hard=st.booleans())
    def drop_right_after_submit(
        self, data: st.DataObject, seat: int, score: Any, hard: bool
    ) -> None:
        """Send, hang up before the ack, reconnect, resend the same request id."""
        iid, rid = self.target(data), f"m{next(rids)}"
        kind, expected = self.expected_answer(seat, iid, score, rid)
        frame = {"type": "submit", "request_id": rid, "interview_id": iid, "score": score}
        if kind == "ack":  # it may be stored before we get to ask: the phone may show it
            self.history[seat].add(expected)
        raw = RawSocket(self.live.server, judge_path(self.tokens[seat]))
        raw.recv_json()
        raw.send_json(frame)
        raw.abort() if hard else raw.close()
        sock = Socket(f"{self.live.server.ws_url}{judge_path(self.tokens[seat])}")
        try:
            self.seen(seat, sock.recv())
            self.settle(kind, expected, self.exchange(seat, sock, frame), seat, rid)
        finally:
            sock.close()

    # --- the secretary -----------------------------------------------------------------------

    @precondition(
        lambda self: "waiting" in self.state.values() and "interviewing" not in self.state.values()
    )
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        free = "interviewing" not in self.state.values()
        iid = self.pick(
            data, [i for i in self.iids if self.state[i] == "waiting" and free], self.iids
        )
        ok = self.state[iid] == "waiting" and free
        self.flow(iid, "start", ok)
        if ok:
            self.state[iid] = "interviewing"
            self.started.append(iid)

    @rule(data=st.data())
    def excuse(self, data: st.DataObject) -> None:
        unmarked = [
            (i, s) for i in self.iids for s in self.tokens
            if self.state[i] in ("waiting", "interviewing") and (i, s) not in self.marks
        ]  # fmt: skip
        iid, seat = self.pick(data, unmarked, [(i, s) for i in self.iids for s in self.tokens])
        away = sum(1 for (i, _) in self.excused if i == iid)
        ok = (
            self.state[iid] in ("waiting", "interviewing")
            and (iid, seat) not in self.excused
            and (iid, seat) not in self.marks
            and JUDGES - away - 1 >= MIN_SCORES
        )
        self.flow(iid, "excuse", ok, seat=seat, reason="回避")
        if ok:
            self.excused.add((iid, seat))
            self.complete(iid)

    @precondition(lambda self: self.marks or self.excused)
    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        held = [
            k
            for k in [*self.marks, *self.excused]
            if self.state[k[0]] in ("interviewing", "scored")
        ]
        iid, seat = self.pick(data, held, [(i, s) for i in self.iids for s in self.tokens])
        ok = self.state[iid] in ("interviewing", "scored") and (
            (iid, seat) in self.marks or (iid, seat) in self.excused
        )
        self.flow(iid, "reopen", ok, seat=seat, reason="更正")
        if ok:
            self.marks.pop((iid, seat), None)
            self.excused.discard((iid, seat))
            self.state[iid] = "interviewing"

    @precondition(lambda self: "scored" in self.state.values())
    @rule(data=st.data())
    def announce(self, data: st.DataObject) -> None:
        iid = self.pick(data, [i for i in self.iids if self.state[i] == "scored"], self.iids)
        # One result on screen at a time: the one shown signs or gets a note first.
        on_screen = any(s == "announced" for i, s in self.state.items() if i != iid)
        ok = self.state[iid] == "scored" and not on_screen
        self.flow(iid, "announce", ok)
        if ok:
            self.state[iid] = "announced"

    @precondition(lambda self: "announced" in self.state.values())
    @rule(data=st.data())
    def dispute(self, data: st.DataObject) -> None:
        iid = self.pick(data, [i for i in self.iids if self.state[i] == "announced"], self.iids)
        ok = self.state[iid] == "announced"
        self.flow(iid, "dispute", ok, note="考生拒绝签字")
        if ok:
            self.state[iid] = "disputed"

    # --- what must always hold ---------------------------------------------------------------

    @invariant()
    def the_record_is_the_model(self) -> None:
        self.drain()
        events = audit_events(self.api, self.sid)  # the chain verifies
        assert live_marks(events) == {k: (s, r) for k, (s, r) in self.marks.items()}
        session = self.api.get_session(self.sid)
        for shown in session["interviews"]:
            iid = shown["id"]
            assert shown["state"] == self.state[iid], (shown, self.state)
            for row in shown["marks"]:
                key = (iid, row["seat"])
                assert row["submitted"] == (key in self.marks)
                assert row["excused"] == (key in self.excused)
                if shown["state"] in SCORED:
                    assert row["score"] == (self.marks[key][0] if key in self.marks else None)
                else:
                    assert row["score"] is None
            if shown["state"] in SCORED:
                marks = {s: Decimal(v) for (i, s), (v, _) in self.marks.items() if i == iid}
                assert shown["result"] == fmt(interview_score(marks, 2).result)
            else:
                assert shown["result"] is None

    def teardown(self) -> None:
        try:
            # Flush: everything sent before the pong has arrived, and is checked.
            self.display.send({"type": "ping"})
            while (frame := self.display.recv()) != {"type": "pong"}:
                self.check_display(frame)
            for seat, sock in self.socks.items():
                sock.send({"type": "ping"})
                while (frame := sock.recv()) != {"type": "pong"}:
                    self.seen(seat, frame)
        finally:
            self.display.close()
            for sock in self.socks.values():
                sock.close()


@pytest.fixture
def live(server: ServerProcess, api: Api) -> Live:
    global LIVE
    other = api.sitting(judges=3)
    api.flow(other["interviews"][0]["id"], "start")
    LIVE = Live(server, api, other["interviews"][0]["id"])
    return LIVE


@pytest.mark.slow
def test_the_judge_protocol_keeps_every_mark_once_and_private(live: Live) -> None:
    run_state_machine_as_test(
        JudgeProtocol,
        settings=settings(
            max_examples=25,
            stateful_step_count=40,
            deadline=None,
            database=None,
            # Shrinking a run against a live server can take many minutes: report it unshrunk.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
