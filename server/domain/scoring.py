"""Marks and the interview score.

A mark is a decimal in [0, 100] with at most ``score_decimals`` places, written plainly. The
interview score drops one highest and one lowest mark (one each, even when several judges gave
the same mark), averages the rest exactly and rounds once, half-up (四舍五入). This module does
not know where marks come from or where results go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from server.errors import InvalidScore

MAX_MARK = Decimal(100)
_PLAIN = re.compile(r"[0-9]+(?:\.([0-9]+))?")  # any leading zeros: "0085" is 85, like "085"


class JsonNumberText(str):
    """The source text of a JSON number with a fraction or exponent, kept so no float is made."""


class NonFinite:
    """Stands for NaN or ±Infinity found in a JSON document."""

    def __init__(self, text: str) -> None:
        self.text = text


def parse_mark(raw: Any, score_decimals: int) -> Decimal:
    """Return ``raw`` as an exact mark normalised to ``score_decimals`` places, or raise."""
    if isinstance(raw, bool) or raw is None or isinstance(raw, float | NonFinite):
        raise InvalidScore(
            "分数必须是 0 到 100 之间的数字。", "The mark must be a number from 0 to 100."
        )
    if isinstance(raw, int):
        if not 0 <= raw <= 100:
            raise _out_of_range()
        return quantize(Decimal(raw), score_decimals)
    if not isinstance(raw, str):
        raise InvalidScore(
            "分数必须是 0 到 100 之间的数字。", "The mark must be a number from 0 to 100."
        )
    match = _PLAIN.fullmatch(raw)
    if match is None:
        if raw.startswith("-") and _PLAIN.fullmatch(raw[1:]):
            raise _out_of_range()
        raise InvalidScore(
            f"“{raw[:20]}”不是有效分数：请只输入数字和小数点，例如 85.5。",
            f"“{raw[:20]}” is not a valid mark: use digits and a decimal point, e.g. 85.5.",
        )
    places = len(match.group(1) or "")
    if places > score_decimals:
        if score_decimals == 0:
            raise InvalidScore("本场只能打整数分。", "This sitting takes whole marks only.")
        raise InvalidScore(
            f"分数最多保留 {score_decimals} 位小数。",
            f"A mark has at most {score_decimals} decimal place(s).",
        )
    value = Decimal(raw)
    if value > MAX_MARK:
        raise _out_of_range()
    return quantize(value, score_decimals)


def _out_of_range() -> InvalidScore:
    return InvalidScore("分数必须在 0 到 100 之间。", "The mark must be between 0 and 100.")


def quantize(value: Decimal, places: int) -> Decimal:
    """Give an exact decimal exactly ``places`` places (only to pad: it never rounds a mark)."""
    return value.quantize(Decimal(1).scaleb(-places))


def fmt(value: Decimal | None) -> str | None:
    """Write a decimal as the wire carries it: plain digits, never an exponent."""
    return None if value is None else format(value, "f")


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact non-negative fraction once, half-up, to ``places`` decimals."""
    if value < 0:
        raise ValueError("marks are never negative")
    scale = 10**places
    scaled = value * scale
    units = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(units).scaleb(-places) if places else Decimal(units)


@dataclass(frozen=True)
class Outcome:
    """The interview score and the seats whose marks were dropped."""

    result: Decimal
    dropped_high: int
    dropped_low: int
    kept: tuple[int, ...]


def interview_score(marks: dict[int, Decimal], result_decimals: int) -> Outcome:
    """Drop one highest and one lowest mark, average the rest exactly, round once half-up.

    Ties are broken by seat number so the same marks always drop the same seats: the lowest
    mark held by the smallest seat number is dropped as low, the highest mark held by the
    largest seat number as high.
    """
    if len(marks) < 3:
        raise ValueError("at least three marks are needed to drop the highest and the lowest")
    order = sorted(marks.items(), key=lambda item: (item[1], item[0]))
    low_seat, high_seat = order[0][0], order[-1][0]
    kept = order[1:-1]
    total = sum((Fraction(score) for _, score in kept), Fraction(0))
    mean = total / len(kept)
    result = round_half_up(mean, result_decimals)
    return Outcome(
        result=quantize(result, result_decimals),
        dropped_high=high_seat,
        dropped_low=low_seat,
        kept=tuple(sorted(seat for seat, _ in kept)),
    )
