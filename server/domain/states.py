"""The interview state machine, as a table.

``waiting → interviewing → scored → announced → confirmed``, with ``absent`` from ``waiting``
and ``disputed`` from ``announced``. ``scored`` is reached by the server itself when every seat
that is not excused has a mark; a reopened seat sends the interview back to ``interviewing``.
"""

from __future__ import annotations

from enum import StrEnum

from server.errors import InvalidTransition


class State(StrEnum):
    WAITING = "waiting"
    INTERVIEWING = "interviewing"
    SCORED = "scored"
    ANNOUNCED = "announced"
    CONFIRMED = "confirmed"
    ABSENT = "absent"
    DISPUTED = "disputed"


class Action(StrEnum):
    START = "start"
    EXCUSE = "excuse"
    SUBMIT = "submit"
    COMPLETE = "complete"  # the last owed mark arrived: the server scores the interview
    REOPEN = "reopen"
    ANNOUNCE = "announce"
    SIGN = "sign"
    ABSENT = "absent"
    DISPUTE = "dispute"


TRANSITIONS: dict[tuple[State, Action], State] = {
    (State.WAITING, Action.START): State.INTERVIEWING,
    (State.WAITING, Action.ABSENT): State.ABSENT,
    (State.WAITING, Action.EXCUSE): State.WAITING,
    (State.INTERVIEWING, Action.EXCUSE): State.INTERVIEWING,
    (State.INTERVIEWING, Action.SUBMIT): State.INTERVIEWING,
    (State.INTERVIEWING, Action.COMPLETE): State.SCORED,
    (State.INTERVIEWING, Action.REOPEN): State.INTERVIEWING,
    (State.SCORED, Action.REOPEN): State.INTERVIEWING,
    (State.SCORED, Action.ANNOUNCE): State.ANNOUNCED,
    (State.ANNOUNCED, Action.SIGN): State.CONFIRMED,
    (State.ANNOUNCED, Action.DISPUTE): State.DISPUTED,
}

#: States in which the marks and the result are settled and may be shown to the secretary.
SCORED_STATES = frozenset({State.SCORED, State.ANNOUNCED, State.CONFIRMED, State.DISPUTED})
#: States in which the hall display may show the marks and the result.
ANNOUNCED_STATES = frozenset({State.ANNOUNCED, State.CONFIRMED, State.DISPUTED})

_STATE_ZH = {
    State.WAITING: "候考",
    State.INTERVIEWING: "面试中",
    State.SCORED: "已评分",
    State.ANNOUNCED: "已公布",
    State.CONFIRMED: "已签字确认",
    State.ABSENT: "缺考",
    State.DISPUTED: "有异议",
}

_ACTION_ZH = {
    Action.START: "开始面试",
    Action.EXCUSE: "评委回避",
    Action.SUBMIT: "提交分数",
    Action.COMPLETE: "计算得分",
    Action.REOPEN: "重新打分",
    Action.ANNOUNCE: "公布成绩",
    Action.SIGN: "签字确认",
    Action.ABSENT: "标记缺考",
    Action.DISPUTE: "记录异议",
}


def allowed_from(action: Action) -> list[State]:
    """List the states from which ``action`` may be taken."""
    return [state for (state, act) in TRANSITIONS if act == action]


def transition(state: State | str, action: Action) -> State:
    """Return the state after ``action``, or raise ``InvalidTransition`` naming what was expected."""
    current = State(state)
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        expected = allowed_from(action)
        zh = "、".join(_STATE_ZH[s] for s in expected)
        en = ", ".join(expected)
        raise InvalidTransition(
            f"此面试当前为“{_STATE_ZH[current]}”，不能{_ACTION_ZH[action]}（需要：{zh}）。",
            f"The interview is {current}; '{action}' needs it to be {en}.",
        ) from None
