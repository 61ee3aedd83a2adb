"""A second, independent calculation of every interview's result from its audit log (复核).

The office checks the kiosk's arithmetic the way it would check a clerk's: from the marks in the
record, by another method. This module shares no code with ``server.domain`` (it must not import
it): marks are read as text and scaled to integers (``85.5`` at one decimal → 855), so every step
is integer arithmetic — sort, drop one lowest (the smallest seat among equal marks) and one
highest (the largest seat among equals), sum, and divide once with half-up rounding.

The sitting's ``score_decimals`` and ``result_decimals`` come from its ``session.created``
event; ``mark.submitted``, ``mark.reopened`` and ``seat.excused`` events replay each seat's live
mark; every ``interview.scored`` event is compared with the replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_PLAIN = re.compile(r"([0-9]+)(?:\.([0-9]+))?")


@dataclass(frozen=True)
class Result:
    """An interview's result as text with its decimals, and the two dropped seats."""

    result: Any
    dropped_high: int | None
    dropped_low: int | None


@dataclass(frozen=True)
class Disagreement:
    line: int
    interview_id: Any
    recorded: str
    recomputed: str

    def describe(self) -> tuple[str, str]:
        """The finding in Chinese and in English."""
        return (
            f"第 {self.line} 行：面试 {self.interview_id} 的记录为 {self.recorded}，复核结果为 {self.recomputed}",
            f"line {self.line}: interview {self.interview_id} recorded {self.recorded}, recomputed {self.recomputed}",
        )


def scale(mark: Any, decimals: int) -> int:
    """Read a mark's text as an integer count of 10^-decimals (``"85.5"``, 1 → 855)."""
    match = _PLAIN.fullmatch(mark) if isinstance(mark, str) else None
    if match is None:
        raise ValueError(f"not a plain decimal mark: {mark!r}")
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > decimals:
        raise ValueError(f"mark {mark!r} has more than {decimals} decimals")
    return int(whole) * 10**decimals + int(frac.ljust(decimals, "0") or "0")


def divide_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half-up, both non-negative."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if 2 * remainder >= denominator else 0)


def render(value: int, decimals: int) -> str:
    """Write an integer count of 10^-decimals as text with exactly ``decimals`` places."""
    if decimals == 0:
        return str(value)
    whole, frac = divmod(value, 10**decimals)
    return f"{whole}.{frac:0{decimals}d}"


def trimmed_mean(marks: dict[Any, int], score_decimals: int, result_decimals: int) -> Result:
    """Drop one lowest and one highest scaled mark, average the rest, round once half-up."""
    if len(marks) < 3:
        raise ValueError("at least three marks are needed")
    by_low = sorted(marks.items(), key=lambda item: (item[1], item[0]))
    low_seat = by_low[0][0]
    # The highest mark of the largest seat: the last in (mark, seat) order.
    high_seat = by_low[-1][0]
    kept = [value for seat, value in marks.items() if seat not in (low_seat, high_seat)]
    numerator = sum(kept) * 10**result_decimals
    denominator = len(kept) * 10**score_decimals
    return Result(
        render(divide_half_up(numerator, denominator), result_decimals), high_seat, low_seat
    )


def per_criterion(
    parts: dict[Any, dict[str, int]], score_decimals: int, result_decimals: int
) -> Result:
    """Drop one lowest and one highest part per criterion; the sum of the averages, rounded once."""
    if len(parts) < 3:
        raise ValueError("at least three marks are needed")
    codes = sorted({code for seat_parts in parts.values() for code in seat_parts})
    total = 0
    for code in codes:
        values = sorted(seat_parts[code] for seat_parts in parts.values())
        total += sum(values[1:-1])
    # Every criterion keeps the same number of parts, so the averages add up over one divisor.
    denominator = (len(parts) - 2) * 10**score_decimals
    return Result(
        render(divide_half_up(total * 10**result_decimals, denominator), result_decimals),
        None,
        None,
    )


@dataclass
class _Interview:
    # Keyed by the events' own ``seat`` values: they are read as given, not trusted to be ints.
    marks: dict[Any, int] = field(default_factory=dict)
    parts: dict[Any, dict[str, int]] = field(default_factory=dict)


def recompute(events: Iterable[tuple[int, dict[str, Any]]]) -> list[Disagreement]:
    """Replay the marks of a sitting's chain; return every ``interview.scored`` that disagrees.

    ``events`` are (line number, event) pairs of a chain that has already been verified.
    """
    score_decimals = 1
    result_decimals = 2
    trim = "total"
    interviews: dict[Any, _Interview] = {}
    found: list[Disagreement] = []
    for line, event in events:
        kind, data = event.get("kind"), event.get("data") or {}
        if kind == "session.created":
            score_decimals = int(data.get("score_decimals", 1))
            result_decimals = int(data.get("result_decimals", 2))
            trim = str(data.get("trim") or "total")
        elif kind == "mark.submitted":
            iv = interviews.setdefault(data.get("interview_id"), _Interview())
            seat = data.get("seat")
            try:
                iv.marks[seat] = scale(data.get("score"), score_decimals)
                if isinstance(data.get("parts"), dict):
                    iv.parts[seat] = {c: scale(v, score_decimals) for c, v in data["parts"].items()}
            except ValueError as exc:
                found.append(
                    Disagreement(
                        line,
                        data.get("interview_id"),
                        repr(data.get("score")),
                        f"unreadable mark: {exc}",
                    )
                )
        elif kind in ("mark.reopened", "seat.excused"):
            # A reopened seat's mark is void; an excused seat never had a live one (the kiosk
            # refuses that), so dropping it is only a safeguard.
            iv = interviews.setdefault(data.get("interview_id"), _Interview())
            iv.marks.pop(data.get("seat"), None)
            iv.parts.pop(data.get("seat"), None)
        elif kind == "interview.scored":
            found.extend(
                _check(
                    line,
                    data,
                    interviews.get(data.get("interview_id"), _Interview()),
                    score_decimals,
                    result_decimals,
                    trim,
                )
            )
    return found


def _check(
    line: int,
    data: dict[str, Any],
    iv: _Interview,
    score_decimals: int,
    result_decimals: int,
    trim: str,
) -> list[Disagreement]:
    iid = data.get("interview_id")
    recorded = Result(data.get("result"), data.get("dropped_high"), data.get("dropped_low"))
    try:
        if trim == "per_criterion":
            expected = per_criterion(iv.parts, score_decimals, result_decimals)
        else:
            expected = trimmed_mean(iv.marks, score_decimals, result_decimals)
    except ValueError as exc:
        return [
            Disagreement(line, iid, _show(recorded), f"no result ({exc}; {len(iv.marks)} marks)")
        ]
    out = []
    if expected != recorded:
        out.append(Disagreement(line, iid, _show(recorded), _show(expected)))
    claimed_marks = data.get("marks")
    if isinstance(claimed_marks, dict):
        try:
            claimed = {
                int(seat): scale(score, score_decimals) for seat, score in claimed_marks.items()
            }
        except ValueError:
            claimed = None
        if claimed != iv.marks:
            out.append(
                Disagreement(
                    line,
                    iid,
                    "marks " + _marks(claimed_marks),
                    "marks "
                    + _marks(
                        {str(s): render(v, score_decimals) for s, v in sorted(iv.marks.items())}
                    ),
                )
            )
    return out


def _show(result: Result) -> str:
    return f"{result.result} (high seat {result.dropped_high}, low seat {result.dropped_low})"


def _marks(marks: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{seat}: {score}" for seat, score in marks.items()) + "}"
