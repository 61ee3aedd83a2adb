"""The views a change builds from the last roster are the views built from nothing.

``sitting_view`` rebuilds only the interviews a change touched when the roster is the one it
built last (server/domain/sitting.py). Here every step of a sitting's life, corrections that
reorder it and removals included, is checked against a view built with the caches emptied, and
the two orders of building (in turn, out of turn) agree.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from server.domain import sitting as sd
from server.domain import views

AT = "2026-11-30T09:00:00.000000Z"
STROKES = [[[10, 10, 0], [80, 60, 50], [150, 20, 90], [220, 90, 140]]]


def fresh_view(state: sd.SittingState) -> views.SittingView:
    sd._ROSTERS.clear()
    sd._VIEWS.clear()
    return sd.sitting_view(state)


def life() -> list[sd.SittingState]:
    """A sitting through creation, a roster, corrections that reorder it, marks and removals."""
    steps: list[sd.Command] = [
        sd.CreateSitting(1, "名单", 5, 1, 2, 3),
        sd.AddPosition(1, "A", "科员"),
        sd.AddPosition(2, "B", "主任"),
        *[sd.AddInterview(10 + n, n, f"考生{n}", "A" if n % 2 else "B") for n in range(1, 9)],
        sd.CorrectInterview(13, draw_no=20),  # to the end of its post
        sd.CorrectInterview(14, position_code="A"),  # to the other post
        sd.RemoveInterview(16),
        sd.AddInterview(30, 6, "补录", "B"),  # the draw number the removed one had
    ]
    for iid in (11, 13, 15):
        steps.append(sd.Start(iid))
        steps += [sd.Submit(seat, f"{iid}-{seat}", iid, str(70 + seat + iid % 7)) for seat in range(1, 6)]
        steps += [sd.Announce(iid), sd.Sign(iid, STROKES)]
    steps += [sd.Start(17), sd.Submit(1, "17-1", 17, "88"), sd.Excuse(17, 2, "回避")]
    states = []
    state = None
    for command in steps:
        state, _ = sd.apply(state, command, AT)
        assert state is not None
        states.append(state)
    return states


def as_rows(view: views.SittingView) -> list[tuple]:
    return [
        (i.id, i.draw_no, i.position_code, str(i.state), dict(i.marks), dict(i.excused), i.result)
        for i in view.interviews
    ]


def test_a_view_built_after_each_change_is_the_view_built_from_nothing() -> None:
    states = life()
    sd._ROSTERS.clear()
    sd._VIEWS.clear()
    for state in states:
        built = sd.sitting_view(state)  # from the roster built for the state before
        assert as_rows(built) == as_rows(fresh_view(state))
        sd.sitting_view(state)  # leave this state's roster as the last one built


def test_out_of_turn_builds_agree() -> None:
    states = life()
    order = list(range(len(states)))
    random.Random(8).shuffle(order)
    sd._ROSTERS.clear()
    sd._VIEWS.clear()
    for n in order:
        assert as_rows(sd.sitting_view(states[n])) == as_rows(fresh_view(states[n]))


def test_the_roster_order_follows_a_correction() -> None:
    states = life()
    names = [i.candidate_name for i in fresh_view(states[-1]).interviews]
    # Post A (id 1) first, by draw number; interview 13 moved to draw 20, 14 to post A.
    assert names[:5] == ["考生1", "考生4", "考生5", "考生7", "考生3"]
    assert names[5:] == ["考生2", "补录", "考生8"]


@pytest.mark.parametrize("cut", [0, 20, 45])
def test_a_judge_and_the_display_see_the_same_frames_either_way(cut: int) -> None:
    states = life()
    sd._ROSTERS.clear()
    sd._VIEWS.clear()
    for state in states[cut:]:
        built, fresh = sd.sitting_view(state), fresh_view(state)
        sd.sitting_view(state)
        assert views.display_state(built) == views.display_state(fresh)
        for seat in range(1, 6):
            assert views.judge_state(built, seat) == views.judge_state(fresh, seat)


def test_the_indexes_a_view_carries_answer_as_a_scan_of_its_roster_does() -> None:
    """``place`` and ``live_ids`` (kept per change) give what scanning the interviews gives."""
    states = life()
    sd._ROSTERS.clear()
    sd._VIEWS.clear()
    for state in states:
        built, fresh = sd.sitting_view(state), fresh_view(state)
        sd.sitting_view(state)
        assert (built.place, built.live_ids) == (fresh.place, fresh.live_ids)
        scan = dataclasses.replace(built, place=None, live_ids=None)
        assert [i.id for i in built.interviewing] == [i.id for i in scan.interviewing]
        for iid in [*state.interviews, 999, None]:
            assert built.interview(iid) is scan.interview(iid)
        wanted = {*list(state.interviews)[::3], 999}
        assert [i.id for i in built.picked(wanted)] == [i.id for i in scan.picked(wanted)]
        assert views.display_state(built) == views.display_state(scan)
        for seat in range(1, 6):
            assert views.judge_state(built, seat) == views.judge_state(scan, seat)
    assert fresh_view(states[-1]).live_ids == frozenset({17})  # started, one mark in
