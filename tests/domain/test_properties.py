"""Property-based tests of the domain against plain reference models (DESIGN.md section 3).

Each reference is written the dull way on purpose: marks are parsed with one regex and scaled to
integers by ``10**score_decimals``, the trimmed mean is integer arithmetic, and the state machine
is the contract's diagram spelled out. Hypothesis then looks for any input where the real code
and the reference disagree.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from server.domain import scoring, states, views
from server.domain.scoring import JsonNumberText, NonFinite, interview_score, parse_mark
from server.domain.states import Action, State
from server.errors import InvalidScore, InvalidTransition

FAST = settings(max_examples=400, deadline=None)

# --- marks -------------------------------------------------------------------------------------

PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


def reference_parse(raw: Any, decimals: int) -> int | None:
    """The mark scaled to an integer number of ``10**-decimals`` units, or None if refused."""
    if type(raw) is int:
        return raw * 10**decimals if 0 <= raw <= 100 else None
    if not isinstance(raw, str):  # floats, bools, None, containers, NaN/Infinity markers
        return None
    match = PLAIN.fullmatch(raw)
    if match is None:
        return None
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > decimals:
        return None
    units = int(whole) * 10**decimals + int(frac.ljust(decimals, "0") or "0")
    return units if units <= 100 * 10**decimals else None


def units_text(units: int, decimals: int) -> str:
    """How the wire writes a mark of ``units`` (in ``10**-decimals``): exactly ``decimals`` places."""
    whole, frac = divmod(units, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)


DECIMALS = st.integers(0, 2)

# Strings that look like marks, near misses of them, and anything at all.
digits = st.text("0123456789", min_size=1, max_size=5)
mark_like = st.builds(
    lambda sign, whole, dot, frac, pad: f"{pad}{sign}{whole}{dot}{frac}{pad}",
    st.sampled_from(["", "", "", "-", "+"]),
    digits,
    st.sampled_from(["", ".", ".", ",", "e", "E"]),
    st.text("0123456789", max_size=4),
    st.sampled_from(["", "", "", " ", "\t", "\u3000"]),
)
special_text = st.sampled_from(
    [
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "0x55",
        "1e2",
        "８５",
        "٨٥",
        "85.5.5",
        "",
        ".",
        "-0",
        "-0.0",
        "100.0",
        "100.00",
        "100.001",
        "0.0",
        "00",
        "0085",
        "000100.0",
        "1_0",
        "²",
    ]
)
any_text = st.one_of(mark_like, special_text, st.text(max_size=12))


@FAST
@given(raw=any_text, decimals=DECIMALS, as_number=st.booleans())
@example(raw="0085", decimals=1, as_number=False)
@example(raw="100.0", decimals=0, as_number=False)
def test_parse_mark_agrees_with_the_reference_on_text(
    raw: str, decimals: int, as_number: bool
) -> None:
    # A JSON number with a fraction reaches the domain as its source text (JsonNumberText).
    value = JsonNumberText(raw) if as_number else raw
    expected = reference_parse(raw, decimals)
    if expected is None:
        with pytest.raises(InvalidScore):
            parse_mark(value, decimals)
        return
    got = parse_mark(value, decimals)
    assert scoring.fmt(got) == units_text(expected, decimals)
    assert got.as_tuple().exponent == -decimals  # normalised to the sitting's places, no exponent


@FAST
@given(raw=st.integers(-(10**6), 10**6) | st.integers(), decimals=DECIMALS)
@example(raw=0, decimals=2)
@example(raw=100, decimals=0)
@example(raw=101, decimals=1)
@example(raw=-1, decimals=1)
def test_parse_mark_agrees_with_the_reference_on_integers(raw: int, decimals: int) -> None:
    expected = reference_parse(raw, decimals)
    if expected is None:
        with pytest.raises(InvalidScore):
            parse_mark(raw, decimals)
    else:
        assert scoring.fmt(parse_mark(raw, decimals)) == units_text(expected, decimals)


json_junk = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@FAST
@given(
    raw=json_junk
    | st.sampled_from([NonFinite("NaN"), NonFinite("Infinity"), NonFinite("-Infinity")])
    | st.decimals(allow_nan=True)
    | st.fractions()
    | st.binary(max_size=4),
    decimals=DECIMALS,
)
def test_anything_but_text_or_an_integer_is_refused_as_invalid_score(
    raw: Any, decimals: int
) -> None:
    # Floats included: a mark never passes through a float, even 85.0.
    with pytest.raises(InvalidScore) as caught:
        parse_mark(raw, decimals)
    assert caught.value.code == "invalid_score"


# --- the interview score -----------------------------------------------------------------------


def reference_score(
    units: dict[int, int], decimals: int, result_decimals: int
) -> tuple[int, int, int]:
    """(result in 10**-result_decimals units, low seat, high seat), in integers only."""
    low = min(units.values())
    high = max(units.values())
    low_seat = min(seat for seat, u in units.items() if u == low)
    high_seat = max(seat for seat, u in units.items() if u == high and seat != low_seat)
    kept = [u for seat, u in units.items() if seat not in (low_seat, high_seat)]
    # mean = sum(kept) / (len(kept) * 10**decimals); result units = mean * 10**result_decimals
    num = sum(kept) * 10**result_decimals
    den = len(kept) * 10**decimals
    return (2 * num + den) // (2 * den), low_seat, high_seat  # half up: floor(x + 1/2)


@st.composite
def panels(draw: Any) -> tuple[dict[int, int], int, int]:
    decimals = draw(DECIMALS)
    result_decimals = draw(st.integers(0, 4))
    count = draw(st.integers(3, 15))
    top = 100 * 10**decimals
    # Few distinct values make ties (several judges giving the same mark) common.
    pool = draw(st.lists(st.integers(0, top), min_size=1, max_size=4))
    values = draw(
        st.lists(st.sampled_from(pool) | st.integers(0, top), min_size=count, max_size=count)
    )
    seats = draw(st.permutations(range(1, 16)))[:count]
    return dict(zip(seats, values, strict=True)), decimals, result_decimals


@settings(max_examples=600, deadline=None)
@given(panels())
@example(({1: 790, 2: 800, 3: 800, 4: 800, 5: 805, 6: 900}, 1, 2))  # the 80.13 of DESIGN.md
@example(({1: 1, 2: 1, 3: 1}, 0, 0))
@example(({3: 5, 1: 5, 2: 5, 4: 5}, 1, 4))
def test_interview_score_agrees_with_integer_reference(
    case: tuple[dict[int, int], int, int],
) -> None:
    units, decimals, result_decimals = case
    marks = {seat: Decimal(units_text(u, decimals)) for seat, u in units.items()}
    outcome = interview_score(marks, result_decimals)
    expected, low_seat, high_seat = reference_score(units, decimals, result_decimals)
    assert scoring.fmt(outcome.result) == units_text(expected, result_decimals)
    assert outcome.result.as_tuple().exponent == -result_decimals
    assert (outcome.dropped_low, outcome.dropped_high) == (low_seat, high_seat)
    assert outcome.kept == tuple(sorted(set(units) - {low_seat, high_seat}))
    assert len(outcome.kept) == len(units) - 2  # exactly one high and one low, even with ties


@settings(max_examples=300, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_interview_score_ignores_who_gave_which_mark(
    case: tuple[dict[int, int], int, int], rnd: Any
) -> None:
    units, decimals, result_decimals = case
    marks = {seat: Decimal(units_text(u, decimals)) for seat, u in units.items()}
    seats = list(marks)
    shuffled = seats[:]
    rnd.shuffle(shuffled)
    relabelled = {new: marks[old] for old, new in zip(seats, shuffled, strict=True)}
    first = interview_score(marks, result_decimals)
    second = interview_score(relabelled, result_decimals)
    assert first.result == second.result
    kept = sorted(marks[s] for s in first.kept)
    assert (
        kept[0] - Decimal(1).scaleb(-result_decimals)
        <= first.result
        <= kept[-1] + Decimal(1).scaleb(-result_decimals)
    )


@settings(max_examples=600, deadline=None)
@given(num=st.integers(0, 10**12), den=st.integers(1, 10**6), places=st.integers(0, 6))
@example(num=80125, den=1000, places=2)  # 80.125 -> 80.13, where a float gives 80.12
@example(num=5, den=2, places=0)
def test_round_half_up_agrees_with_integer_reference(num: int, den: int, places: int) -> None:
    got = scoring.round_half_up(Fraction(num, den), places)
    scaled_num = num * 10**places
    units = (2 * scaled_num + den) // (2 * den)
    assert got == Decimal(units).scaleb(-places)
    # Where the quotient is exact in decimal, Decimal's own ROUND_HALF_UP must agree.
    if all(p in (2, 5) for p in _prime_factors(Fraction(num, den).denominator)):
        from decimal import ROUND_HALF_UP, localcontext

        with localcontext() as ctx:
            ctx.prec = 60
            exact = Decimal(num) / Decimal(den)
        assert got == exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _prime_factors(n: int) -> set[int]:
    found, p = set(), 2
    while p * p <= n:
        while n % p == 0:
            found.add(p)
            n //= p
        p += 1
    if n > 1:
        found.add(n)
    return found


# --- the state machine -------------------------------------------------------------------------

# DESIGN.md section 3, spelled out: waiting -> interviewing -> scored -> announced -> confirmed,
# absent from waiting, disputed from announced; excusing keeps the state; reopening goes back.
REFERENCE_MOVES = {
    ("waiting", "start"): "interviewing",
    ("waiting", "absent"): "absent",
    ("waiting", "excuse"): "waiting",
    ("interviewing", "excuse"): "interviewing",
    ("interviewing", "submit"): "interviewing",
    ("interviewing", "complete"): "scored",
    ("interviewing", "reopen"): "interviewing",
    ("scored", "reopen"): "interviewing",
    ("scored", "announce"): "announced",
    ("announced", "sign"): "confirmed",
    ("announced", "dispute"): "disputed",
}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_of_actions_follows_the_contract_diagram(actions: list[Action]) -> None:
    state = State.WAITING
    for action in actions:
        expected = REFERENCE_MOVES.get((str(state), str(action)))
        if expected is None:
            with pytest.raises(InvalidTransition) as caught:
                states.transition(state, action)
            assert caught.value.message and caught.value.message_en
            assert str(state) in caught.value.message_en
        else:
            state = states.transition(state, action)
            assert state == expected
    # Once a result is public it is never taken back.
    if state in states.ANNOUNCED_STATES:
        for action in (Action.REOPEN, Action.SUBMIT, Action.START, Action.EXCUSE):
            with pytest.raises(InvalidTransition):
                states.transition(state, action)


# --- who sees what -----------------------------------------------------------------------------


@st.composite
def sittings(draw: Any) -> views.SittingView:
    """A sitting of random interviews in random states; every mark text is unique in it."""
    from datetime import UTC, datetime, timedelta

    judge_count = draw(st.integers(3, 9))
    count = draw(st.integers(1, 5))
    # Unique two-decimal marks like "37.41" cannot turn up by accident in any other field.
    texts = draw(
        st.lists(
            st.integers(1001, 9999),
            min_size=judge_count * count + count,
            max_size=judge_count * count + count,
            unique=True,
        )
    )
    pool = iter(Decimal(t).scaleb(-2) for t in texts)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    interviews = []
    for n in range(1, count + 1):
        state = draw(st.sampled_from(list(State)))
        started = None if state in (State.WAITING, State.ABSENT) else base + timedelta(minutes=n)
        excused = set(
            draw(st.lists(st.integers(1, judge_count), max_size=judge_count - 3, unique=True))
        )
        owing = [s for s in range(1, judge_count + 1) if s not in excused]
        if state in (State.WAITING, State.ABSENT):
            marked: list[int] = []
        elif state == State.INTERVIEWING:
            marked = draw(st.lists(st.sampled_from(owing), unique=True, max_size=len(owing)))
        else:
            marked = owing
        marks = {seat: next(pool) for seat in marked}
        result = next(pool) if state in states.SCORED_STATES else None
        interviews.append(
            views.InterviewView(
                id=n,
                draw_no=n,
                candidate_name=f"考生{n}",
                position_code="A1",
                position_name="岗位",
                state=state,
                marks=marks,
                excused={s: "回避" for s in excused},
                result=result,
                dropped_high=max(marks, default=None),
                dropped_low=min(marks, default=None),
                started_at=started,
            )
        )
    announced = [i.id for i in interviews if i.state in states.ANNOUNCED_STATES]
    return views.SittingView(
        id=1,
        title="场次",
        batch="",
        judge_count=judge_count,
        score_decimals=2,
        result_decimals=2,
        min_scores=3,
        created_at=base,
        version=1,
        positions=[],
        interviews=interviews,
        announced_id=draw(st.sampled_from(announced)) if announced else None,
    )


def _secret_texts(interview: views.InterviewView) -> dict[str, int | None]:
    """Every mark and result of an interview as text, with the seat it belongs to."""
    found: dict[str, int | None] = {
        scoring.fmt(m) or "": seat for seat, m in interview.marks.items()
    }
    if interview.result is not None:
        found[scoring.fmt(interview.result) or ""] = None
    return found


@settings(max_examples=300, deadline=None)
@given(sittings())
def test_a_judge_never_sees_another_seats_mark(session: views.SittingView) -> None:
    for seat in range(1, session.judge_count + 1):
        frame = views.judge_state(session, seat)
        text = json.dumps(frame, ensure_ascii=False)
        for interview in session.interviews:
            for secret, owner in _secret_texts(interview).items():
                if owner != seat:
                    assert secret not in text, (seat, secret, frame)
        shown = frame["interview"]
        if shown is not None:
            view = next(i for i in session.interviews if i.id == shown["id"])
            assert frame["my_score"] == scoring.fmt(view.marks.get(seat))


@settings(max_examples=300, deadline=None)
@given(sittings())
def test_the_display_sees_nothing_of_an_interview_before_its_announcement(
    session: views.SittingView,
) -> None:
    text = json.dumps(views.display_state(session), ensure_ascii=False)
    for interview in session.interviews:
        if interview.state not in states.ANNOUNCED_STATES:
            for secret in _secret_texts(interview):
                assert secret not in text, (interview.state, secret, text)
    frame = views.display_state(session)
    if frame["current"] is not None:
        assert set(frame["current"]) == {
            "id",
            "draw_no",
            "position_name",
            "state",
            "submitted",
            "expected",
            "countdown_ends_at",
        }


@settings(max_examples=300, deadline=None)
@given(sittings())
def test_the_secretary_sees_no_mark_while_others_are_still_scoring(
    session: views.SittingView,
) -> None:
    shown = views.session_for_secretary(session)
    for interview, out in zip(session.interviews, shown["interviews"], strict=True):
        scored = interview.state in states.SCORED_STATES
        assert (out["result"] is not None) == (scored and interview.result is not None)
        for row in out["marks"]:
            if scored:
                assert row["score"] == scoring.fmt(interview.marks.get(row["seat"]))
            else:
                assert row["score"] is None and row["dropped"] is None
        if not scored:
            text = json.dumps(out, ensure_ascii=False)
            for secret in _secret_texts(interview):
                assert secret not in text


def test_reference_models_are_not_vacuous() -> None:
    """The references accept and refuse what DESIGN.md's examples say (a test that cannot fail is a defect)."""
    assert reference_parse("85.5", 1) == 855
    assert reference_parse("85", 1) == 850
    assert reference_parse("85,5", 1) is None
    assert reference_parse("100.01", 2) is None
    assert reference_parse(True, 1) is None
    units = {1: 790, 2: 800, 3: 800, 4: 800, 5: 805, 6: 900}
    assert reference_score(units, 1, 2)[0] == 8013
