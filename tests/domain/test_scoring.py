"""Marks and the trimmed mean, case by case (DESIGN.md section 3)."""

from decimal import Decimal

import pytest

from server.domain.scoring import JsonNumberText, NonFinite, interview_score, parse_mark
from server.errors import InvalidScore

D = Decimal

ACCEPTED = [
    # raw, score_decimals, stored as
    ("85.5", 1, "85.5"),
    ("85", 1, "85.0"),
    (85, 1, "85.0"),
    (JsonNumberText("85.5"), 1, "85.5"),
    ("0", 1, "0.0"),
    ("100", 1, "100.0"),
    (100, 0, "100"),
    ("100.00", 2, "100.00"),
    ("99.99", 2, "99.99"),
    ("7.5", 2, "7.50"),
    ("085", 0, "85"),
    (0, 2, "0.00"),
]

REJECTED = [
    # raw, score_decimals
    ("NaN", 1), ("nan", 1), ("Infinity", 1), ("-Infinity", 1), (NonFinite("NaN"), 1),
    (NonFinite("Infinity"), 1), ("85,5", 1), ("", 1), (" 85", 1), ("85 ", 1), ("8 5", 1),
    (True, 1), (False, 1), (None, 1), ("100.01", 2), ("100.1", 1), (101, 1), ("-0.5", 1),
    (-1, 1), ("-0", 1), ("1e2", 1), ("8.55e1", 1), (JsonNumberText("8.55e1"), 1), ("0x55", 1),
    (".5", 1), ("85.", 1), ("+85", 1), ("85.55", 1), ("85.5", 0), ("85.0", 0), ("85.123", 2),
    ("８５", 1), (85.5, 1), ([85], 1), ({"v": 85}, 1), ("85.5.5", 1), ("1000", 1),
]


@pytest.mark.parametrize(("raw", "places", "stored"), ACCEPTED)
def test_valid_marks_are_stored_exactly(raw, places, stored) -> None:
    assert format(parse_mark(raw, places), "f") == stored


@pytest.mark.parametrize(("raw", "places"), REJECTED)
def test_invalid_marks_are_refused_with_a_message(raw, places) -> None:
    with pytest.raises(InvalidScore) as caught:
        parse_mark(raw, places)
    assert caught.value.code == "invalid_score"
    assert caught.value.message and caught.value.message_en


SCORES = [
    # marks by seat, result_decimals, result, dropped high seat, dropped low seat
    ({1: "80", 2: "90.5", 3: "85", 4: "85", 5: "100"}, 2, "86.83", 5, 1),
    # DESIGN.md's example: six judges, four kept, 80.125 rounds half-up to 80.13 (float says 80.12)
    ({1: "79", 2: "80", 3: "80", 4: "80", 5: "80.5", 6: "90"}, 2, "80.13", 6, 1),
    # ends in exactly 5 at the third decimal, again: 80.5+80.5+80+80.5 = 321.5 / 4 = 80.375
    ({1: "70", 2: "80.5", 3: "80.5", 4: "80", 5: "80.5", 6: "95"}, 2, "80.38", 6, 1),
    # 0.125 and 0.875 endings
    ({1: "0", 2: "0", 3: "0.5", 4: "0", 5: "0", 6: "100"}, 2, "0.13", 6, 1),
    ({1: "90.5", 2: "90", 3: "90", 4: "91", 5: "100", 6: "0"}, 2, "90.38", 5, 6),
    # ties at both ends: one of each dropped, by seat order
    ({1: "80", 2: "80", 3: "85", 4: "90", 5: "90"}, 2, "85.00", 5, 1),
    ({1: "90", 2: "80", 3: "90", 4: "80", 5: "85"}, 2, "85.00", 3, 2),
    # everyone agrees: two different seats are still dropped
    ({1: "88", 2: "88", 3: "88", 4: "88", 5: "88"}, 2, "88.00", 5, 1),
    # the extremes
    ({1: "0", 2: "0", 3: "0", 4: "0", 5: "0"}, 2, "0.00", 5, 1),
    ({1: "100", 2: "100", 3: "100", 4: "100", 5: "100", 6: "100", 7: "100"}, 2, "100.00", 7, 1),
    ({1: "0", 2: "100", 3: "100", 4: "100", 5: "100"}, 2, "100.00", 5, 1),
    # seven judges, five kept, a repeating decimal: 430.3 / 5 = 86.06
    ({1: "86.1", 2: "85.9", 3: "86", 4: "86.3", 5: "60", 6: "99", 7: "86"}, 2, "86.06", 6, 5),
    ({1: "85", 2: "86", 3: "85", 4: "87", 5: "90", 6: "70", 7: "85"}, 2, "85.60", 5, 6),
    # result_decimals 0, 1, 3 and 4: half-up at each
    ({1: "80", 2: "85", 3: "86", 4: "90"}, 0, "86", 4, 1),  # 85.5 -> 86
    ({1: "80", 2: "84", 3: "85", 4: "90"}, 0, "85", 4, 1),  # 84.5 -> 85
    ({1: "80", 2: "85.25", 3: "85.2", 4: "90"}, 1, "85.2", 4, 1),  # 85.225 -> 85.2
    ({1: "80", 2: "85.25", 3: "85.3", 4: "90"}, 1, "85.3", 4, 1),  # 85.275 -> 85.3
    ({1: "1", 2: "85", 3: "86", 4: "86", 5: "99"}, 4, "85.6667", 5, 1),
    ({1: "1", 2: "85", 3: "85", 4: "86", 5: "99"}, 3, "85.333", 5, 1),
    # score_decimals 0 and 2 inputs
    ({1: "60", 2: "61", 3: "62", 4: "63", 5: "64", 6: "65"}, 2, "62.50", 6, 1),
    ({1: "60.25", 2: "61.13", 3: "62.01", 4: "63.99", 5: "64.5"}, 2, "62.38", 5, 1),  # 187.13/3
    # three judges (min of the contract): the middle one is the score
    ({1: "70", 2: "75.5", 3: "99"}, 2, "75.50", 3, 1),
]


@pytest.mark.parametrize(("marks", "places", "result", "high", "low"), SCORES)
def test_trimmed_mean_is_exact_and_drops_the_right_seats(marks, places, result, high, low) -> None:
    outcome = interview_score({seat: D(v) for seat, v in marks.items()}, places)
    assert format(outcome.result, "f") == result
    assert (outcome.dropped_high, outcome.dropped_low) == (high, low)
    assert high != low
    assert set(outcome.kept) == set(marks) - {high, low}


def test_float_rounding_would_be_wrong_here() -> None:
    # The reason marks never become floats: the same average in binary floating point rounds down.
    assert round((80 + 80 + 80 + 80.5) / 4, 2) == 80.12
    outcome = interview_score({1: D(79), 2: D(80), 3: D(80), 4: D(80), 5: D("80.5"), 6: D(90)}, 2)
    assert outcome.result == D("80.13")


def test_fewer_than_three_marks_cannot_be_trimmed() -> None:
    with pytest.raises(ValueError):
        interview_score({1: D(80), 2: D(90)}, 2)
