"""The interview state machine as a table."""

import pytest

from server.domain.states import TRANSITIONS, Action, State, transition
from server.errors import InvalidTransition

ALLOWED = [
    (State.WAITING, Action.START, State.INTERVIEWING),
    (State.WAITING, Action.ABSENT, State.ABSENT),
    (State.INTERVIEWING, Action.COMPLETE, State.SCORED),
    (State.INTERVIEWING, Action.REOPEN, State.INTERVIEWING),
    (State.SCORED, Action.REOPEN, State.INTERVIEWING),
    (State.SCORED, Action.ANNOUNCE, State.ANNOUNCED),
    (State.ANNOUNCED, Action.SIGN, State.CONFIRMED),
    (State.ANNOUNCED, Action.DISPUTE, State.DISPUTED),
]


@pytest.mark.parametrize(("state", "action", "after"), ALLOWED)
def test_allowed_transitions(state, action, after) -> None:
    assert transition(state, action) == after


REFUSED = [
    (state, action)
    for state in State
    for action in Action
    if (state, action) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "action"), REFUSED)
def test_every_other_transition_is_refused_with_what_was_expected(state, action) -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(state, action)
    assert caught.value.status_code == 409
    assert "需要" in caught.value.message


def test_no_way_back_after_the_announcement() -> None:
    for state in (State.ANNOUNCED, State.CONFIRMED, State.DISPUTED):
        with pytest.raises(InvalidTransition):
            transition(state, Action.REOPEN)
    assert not [a for (s, a) in TRANSITIONS if s in (State.CONFIRMED, State.DISPUTED, State.ABSENT)]
