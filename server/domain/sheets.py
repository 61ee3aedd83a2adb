"""Score sheets by element (评分要素) and how each judge scores against the panel.

A sitting may score by elements instead of one number: each judge gives a part per criterion
(综合分析能力 20, 言语表达能力 20, …) and their mark is the sum. Two rules make the interview
score from the parts:

- ``total`` (the plan's own rule): each judge's mark is the sum of their parts and the interview
  score is the trimmed mean of those marks (:func:`server.domain.scoring.interview_score`).
- ``per_criterion``: per criterion, drop one highest and one lowest part across the seats,
  average the rest exactly; the interview score is the sum of those averages, rounded once,
  half-up, at the end. No whole mark is dropped.

The calibration (:func:`calibration`) says how often each seat was dropped as the highest or
the lowest and how far its marks sit from the panel's result; :func:`room_means` compares the
rooms (sittings) of a batch.

This module does not know where criteria, parts or results are kept, nor who reads them. Every
number is an exact ``Decimal`` or ``Fraction``; nothing is rounded before the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from server.domain import scoring
from server.domain.scoring import fmt, quantize, round_half_up
from server.errors import InvalidCriteria, InvalidParts, InvalidScore

Trim = Literal["total", "per_criterion"]
TRIMS: tuple[str, ...] = ("total", "per_criterion")
MIN_CRITERIA = 2
MAX_CRITERIA = 12
NAME_MAX = 50
#: A criterion's code is the key of its part in a judge's submit: short, plain ASCII.
CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")
FULL_MARKS = Decimal(100)


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max: Decimal  # normalised to the sitting's score_decimals, like a mark

    def as_data(self) -> dict[str, str]:
        """The criterion as events and the wire carry it (``max`` as text)."""
        return {"code": self.code, "name": self.name, "max": fmt(self.max) or "0"}


# --- criteria -----------------------------------------------------------------------------------


def _bad(zh: str, en: str) -> InvalidCriteria:
    return InvalidCriteria(zh, en)


def parse_trim(raw: Any) -> Trim:
    """Return the trim rule (``total`` when left out), or raise ``InvalidCriteria``."""
    if raw is None:
        return "total"
    if raw not in TRIMS:
        raise _bad(
            "去分规则只能是 total（去掉总分的最高分和最低分）或 per_criterion（每个要素分别去掉最高分和最低分）。",
            'trim must be "total" or "per_criterion".',
        )
    return raw  # type: ignore[no-any-return]


def _parse_max(raw: Any, name: str, score_decimals: int) -> Decimal:
    if isinstance(raw, float):
        # A JSON number with a fraction that reached us as a float: its exact text is gone.
        raise _bad(
            f'评分要素“{name}”的满分请写成字符串，例如 "12.5"。',
            f'Write the maximum of “{name}” as a string, e.g. "12.5".',
        )
    try:
        value = scoring.parse_mark(raw, score_decimals)
    except InvalidScore as exc:
        raise _bad(
            f"评分要素“{name}”的满分无效：{exc.message}",
            f"The maximum of “{name}” is not valid: {exc.message_en}",
        ) from None
    if value <= 0:
        raise _bad(
            f"评分要素“{name}”的满分必须大于 0。", f"The maximum of “{name}” must be above 0."
        )
    return value


def _parse_name(raw: Any, index: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise _bad(f"第 {index} 个评分要素缺少名称。", f"Criterion {index} needs a name.")
    name = raw.strip()
    if len(name) > NAME_MAX:
        raise _bad(
            f"评分要素名称最多 {NAME_MAX} 个字：“{name[:20]}…”。",
            f"A criterion's name has at most {NAME_MAX} characters.",
        )
    if any(not c.isprintable() for c in name):
        raise _bad(
            f"评分要素名称“{name[:20]}”含有控制字符或不可见字符。",
            f"The name “{name[:20]}” holds control or invisible characters.",
        )
    return name


def parse_criteria(raw: Any, score_decimals: int) -> tuple[Criterion, ...]:
    """Check a sitting's criteria and return them normalised, or raise ``InvalidCriteria``.

    2–12 criteria, codes unique (1–20 letters, digits, ``_`` or ``-``), names 1–50 characters,
    each ``max`` a mark (section 3's rules, at most ``score_decimals`` places) above 0, and the
    maxima summing to exactly 100.
    """
    if not isinstance(raw, list) or not MIN_CRITERIA <= len(raw) <= MAX_CRITERIA:
        raise _bad(
            f"评分要素须为 {MIN_CRITERIA} 到 {MAX_CRITERIA} 项。",
            f"A score sheet has {MIN_CRITERIA} to {MAX_CRITERIA} criteria.",
        )
    out: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise _bad(
                f"第 {index} 个评分要素须包含 code、name 和 max。",
                f"Criterion {index} must be an object with code, name and max.",
            )
        code = item.get("code")
        if not isinstance(code, str) or not CODE.fullmatch(code):
            raise _bad(
                f"第 {index} 个评分要素的代码须为 1 到 20 个英文字母、数字、下划线或连字符。",
                f"Criterion {index}: a code is 1 to 20 letters, digits, _ or -.",
            )
        if code in seen:
            raise _bad(f"评分要素代码“{code}”重复。", f"The criterion code “{code}” is used twice.")
        seen.add(code)
        name = _parse_name(item.get("name"), index)
        out.append(Criterion(code, name, _parse_max(item.get("max"), name, score_decimals)))
    total = sum((c.max for c in out), Decimal(0))
    if total != FULL_MARKS:
        raise _bad(
            f"各评分要素的满分合计须为 100 分，现为 {fmt(total)} 分。",
            f"The maxima must add up to 100; they add up to {fmt(total)}.",
        )
    return tuple(out)


def sheet_fields(raw_criteria: Any, raw_trim: Any, score_decimals: int) -> dict[str, Any]:
    """A new sitting's ``criteria`` and ``trim``, checked; ``per_criterion`` needs criteria."""
    trim = parse_trim(raw_trim)
    criteria = () if raw_criteria is None else parse_criteria(raw_criteria, score_decimals)
    if trim == "per_criterion" and not criteria:
        raise _bad(
            "按要素去分（per_criterion）需要先设置评分要素。",
            'trim "per_criterion" needs criteria.',
        )
    return {"criteria": criteria, "trim": trim}


def criteria_from_data(data: Iterable[Mapping[str, Any]]) -> tuple[Criterion, ...]:
    """Read criteria back as a ``session.created`` event (or a row) holds them; trusts them."""
    return tuple(Criterion(d["code"], d["name"], Decimal(d["max"])) for d in data)


# --- ready templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    title_en: str
    items: tuple[tuple[str, str, str, int], ...]  # code, name, English name, max

    def as_data(self, language: str = "zh") -> dict[str, Any]:
        """The template as the console offers it: criteria ready to post (``max`` as text)."""
        en = language == "en"
        return {
            "key": self.key,
            "title": self.title_en if en else self.title,
            "criteria": [
                {"code": code, "name": name_en if en else name, "max": str(top)}
                for code, name, name_en, top in self.items
            ],
        }


TEMPLATES: tuple[Template, ...] = (
    Template(
        "structured",
        "结构化面试（通用六要素）",
        "Structured interview (six common elements)",
        (
            ("analysis", "综合分析能力", "Analysis", 20),
            ("expression", "言语表达能力", "Verbal expression", 20),
            ("adaptability", "应变能力", "Adaptability", 15),
            ("planning", "计划组织协调能力", "Planning and coordination", 20),
            ("interpersonal", "人际沟通", "Interpersonal communication", 15),
            ("manner", "举止仪表", "Bearing and manner", 10),
        ),
    ),
    Template(
        "leadership",
        "竞聘领导岗位",
        "Competing for a leading post",
        (
            ("post", "岗位认知", "Understanding of the post", 15),
            ("ideas", "工作思路与举措", "Plans for the work", 25),
            ("analysis", "综合分析能力", "Analysis", 20),
            ("coordination", "组织协调能力", "Organising and coordination", 20),
            ("expression", "言语表达能力", "Verbal expression", 10),
            ("manner", "举止仪表", "Bearing and manner", 10),
        ),
    ),
    Template(
        "professional",
        "专业技术岗位",
        "Professional and technical post",
        (
            ("knowledge", "专业知识", "Professional knowledge", 30),
            ("skill", "专业能力与实践", "Professional skill and practice", 25),
            ("analysis", "综合分析能力", "Analysis", 15),
            ("expression", "言语表达能力", "Verbal expression", 15),
            ("adaptability", "应变能力", "Adaptability", 10),
            ("manner", "举止仪表", "Bearing and manner", 5),
        ),
    ),
    Template(
        "group",
        "无领导小组讨论",
        "Leaderless group discussion",
        (
            ("contribution", "发言质量", "Quality of contributions", 25),
            ("analysis", "分析问题能力", "Analysing the problem", 20),
            ("coordination", "组织协调能力", "Organising and coordination", 20),
            ("teamwork", "团队合作", "Teamwork", 15),
            ("expression", "言语表达能力", "Verbal expression", 10),
            ("manner", "举止仪表", "Bearing and manner", 10),
        ),
    ),
)


def templates(language: str = "zh") -> list[dict[str, Any]]:
    """Every ready template, in the reader's language."""
    return [t.as_data(language) for t in TEMPLATES]


# --- a judge's sheet ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """A judge's parts, normalised, and their sum: the judge's mark."""

    score: Decimal
    parts: Mapping[str, Decimal]

    def parts_data(self) -> dict[str, str]:
        """The parts as the ack and ``mark.submitted`` carry them, in the sheet's order."""
        return {code: fmt(value) or "0" for code, value in self.parts.items()}


def _bad_parts(zh: str, en: str) -> InvalidParts:
    return InvalidParts(zh, en)


def parse_parts(
    raw_parts: Any, raw_score: Any, criteria: Sequence[Criterion], score_decimals: int
) -> Sheet:
    """Check a submit's ``parts`` (and ``score``, if given) against the sheet; raise ``InvalidParts``.

    Every criterion must have a part, each a mark by section 3's rules (at most
    ``score_decimals`` places) from 0 to the criterion's ``max``; no unknown code. ``raw_score``
    None means it was left out; when given it must equal the sum of the parts.
    """
    if not isinstance(raw_parts, dict):
        raise _bad_parts(
            "本场按评分要素打分：请逐项填写各要素的分数。",
            "This sitting scores by element: give a mark for every element.",
        )
    by_code = {c.code: c for c in criteria}
    unknown = [code for code in raw_parts if code not in by_code]
    if unknown:
        shown = str(unknown[0])[:20]
        raise _bad_parts(f"没有代码为“{shown}”的评分要素。", f"There is no element “{shown}”.")
    parts: dict[str, Decimal] = {}
    for criterion in criteria:
        if criterion.code not in raw_parts:
            raise _bad_parts(
                f"缺少“{criterion.name}”的分数。", f"The mark for “{criterion.name}” is missing."
            )
        try:
            value = scoring.parse_mark(raw_parts[criterion.code], score_decimals)
        except InvalidScore as exc:
            raise _bad_parts(
                f"“{criterion.name}”：{exc.message}", f"“{criterion.name}”: {exc.message_en}"
            ) from None
        if value > criterion.max:
            raise _bad_parts(
                f"“{criterion.name}”最高 {fmt(criterion.max)} 分，不能打 {fmt(value)} 分。",
                f"“{criterion.name}” has at most {fmt(criterion.max)}; {fmt(value)} is too high.",
            )
        parts[criterion.code] = value
    total = quantize(sum(parts.values(), Decimal(0)), score_decimals)
    if raw_score is not None:
        try:
            claimed = scoring.parse_mark(raw_score, score_decimals)
        except InvalidScore as exc:
            raise _bad_parts(
                f"总分无效：{exc.message}", f"The total is not valid: {exc.message_en}"
            ) from None
        if claimed != total:
            raise _bad_parts(
                f"总分 {fmt(claimed)} 与各要素之和 {fmt(total)} 不符。",
                f"The total {fmt(claimed)} is not the sum of the elements ({fmt(total)}).",
            )
    return Sheet(total, parts)


def parts_from_data(data: Mapping[str, str]) -> dict[str, Decimal]:
    """Read parts back as ``mark.submitted`` holds them; trusts them."""
    return {code: Decimal(value) for code, value in data.items()}


# --- the interview score under each rule --------------------------------------------------------


@dataclass(frozen=True)
class ElementOutcome:
    """One criterion under ``per_criterion``: its exact average and the two seats dropped."""

    code: str
    average: Fraction
    dropped_high: int
    dropped_low: int


@dataclass(frozen=True)
class SheetOutcome:
    """The interview score, the whole marks dropped (``total`` only) and each element's average."""

    result: Decimal
    dropped_high: int | None
    dropped_low: int | None
    elements: tuple[ElementOutcome, ...] = ()

    def averages(self, places: int) -> dict[str, str]:
        """Each element's average as the display shows it: rounded half-up to ``places``.

        For reading only: the result is the exact sum of the averages rounded once, so these
        rounded figures need not add up to it to the last digit.
        """
        return {
            e.code: fmt(quantize(round_half_up(e.average, places), places)) or "0"
            for e in self.elements
        }


def _trimmed(values: Mapping[int, Decimal]) -> tuple[Fraction, int, int]:
    """Drop one lowest (smallest seat among equals) and one highest (largest seat); the mean."""
    order = sorted(values.items(), key=lambda item: (item[1], item[0]))
    kept = order[1:-1]
    mean = sum((Fraction(v) for _, v in kept), Fraction(0)) / len(kept)
    return mean, order[-1][0], order[0][0]


def sheet_score(
    parts: Mapping[int, Mapping[str, Decimal]],
    criteria: Sequence[Criterion],
    trim: str,
    result_decimals: int,
) -> SheetOutcome:
    """Score one interview from every seat's parts under the sitting's ``trim`` rule."""
    if len(parts) < 3:
        raise ValueError("at least three marks are needed to drop the highest and the lowest")
    if trim == "total":
        marks = {seat: sum(p.values(), Decimal(0)) for seat, p in parts.items()}
        outcome = scoring.interview_score(marks, result_decimals)
        return SheetOutcome(outcome.result, outcome.dropped_high, outcome.dropped_low)
    if trim != "per_criterion":
        raise ValueError(f"unknown trim rule {trim!r}")
    elements = []
    for criterion in criteria:
        mean, high, low = _trimmed({seat: p[criterion.code] for seat, p in parts.items()})
        elements.append(ElementOutcome(criterion.code, mean, high, low))
    exact = sum((e.average for e in elements), Fraction(0))
    result = quantize(round_half_up(exact, result_decimals), result_decimals)
    return SheetOutcome(result, None, None, tuple(elements))


# --- calibration ------------------------------------------------------------------------------


def round_signed(value: Fraction, places: int) -> Decimal:
    """Round an exact fraction once, half away from zero (四舍五入 of a negative too)."""
    magnitude = round_half_up(abs(value), places)
    rounded = -magnitude if value < 0 and magnitude != 0 else magnitude
    return quantize(rounded, places)


@dataclass(frozen=True)
class Scored:
    """One scored interview as calibration reads it."""

    interview_id: int
    draw_no: int
    position_code: str
    marks: Mapping[int, Decimal]  # seat → whole mark (the sum of its parts on a sheet)
    result: Decimal
    dropped_high: int | None = None
    dropped_low: int | None = None
    #: Under ``per_criterion``: per criterion code, the seats whose parts were dropped.
    elements_dropped: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # (high, low)


def calibration(
    interviews: Sequence[Scored], judge_count: int, result_decimals: int
) -> dict[str, Any]:
    """Per seat: marks given, times dropped high and low, and the mean deviation from the result.

    ``mean_deviation`` is the mean of (the seat's mark − the interview score), exact, rounded
    once, half away from zero, to ``result_decimals``; null for a seat with no mark. Each seat
    also lists its deviation per interview, exact, in the order given (the day's order), for a
    chart; and, on a per-criterion sheet, how often one of its parts was dropped.
    """
    seats = []
    for seat in range(1, judge_count + 1):
        deviations: list[dict[str, Any]] = []
        total = Fraction(0)
        high = low = part_high = part_low = 0
        for iv in interviews:
            mark = iv.marks.get(seat)
            if mark is None:
                continue
            difference = mark - iv.result  # exact: both are finite decimals
            total += Fraction(difference)
            high += iv.dropped_high == seat
            low += iv.dropped_low == seat
            part_high += sum(1 for h, _ in iv.elements_dropped.values() if h == seat)
            part_low += sum(1 for _, lo in iv.elements_dropped.values() if lo == seat)
            deviations.append(
                {
                    "interview_id": iv.interview_id,
                    "draw_no": iv.draw_no,
                    "position_code": iv.position_code,
                    "mark": fmt(mark),
                    "result": fmt(iv.result),
                    "deviation": fmt(difference),
                }
            )
        count = len(deviations)
        mean = None if not count else fmt(round_signed(total / count, result_decimals))
        seats.append(
            {
                "seat": seat,
                "marks": count,
                "dropped_high": high,
                "dropped_low": low,
                "mean_deviation": mean,
                "parts_dropped_high": part_high,
                "parts_dropped_low": part_low,
                "deviations": deviations,
            }
        )
    return {"seats": seats}


@dataclass(frozen=True)
class Room:
    """One sitting of a batch: its id, title and the results of its scored interviews."""

    session_id: int
    title: str
    results: Sequence[Decimal]


def room_means(rooms: Sequence[Room], result_decimals: int) -> dict[str, Any]:
    """Each room's mean result against the batch's (the mean over every interview of the batch).

    Means and differences are exact until rounded once, half away from zero; a room with no
    scored interview has null for both.
    """
    everything = [r for room in rooms for r in room.results]
    batch = (
        sum((Fraction(r) for r in everything), Fraction(0)) / len(everything)
        if everything
        else None
    )
    out = []
    for room in rooms:
        mean = (
            sum((Fraction(r) for r in room.results), Fraction(0)) / len(room.results)
            if room.results
            else None
        )
        out.append(
            {
                "session_id": room.session_id,
                "title": room.title,
                "interviews": len(room.results),
                "mean": None if mean is None else fmt(round_signed(mean, result_decimals)),
                "difference": None
                if mean is None or batch is None
                else fmt(round_signed(mean - batch, result_decimals)),
            }
        )
    return {
        "interviews": len(everything),
        "mean": None if batch is None else fmt(round_signed(batch, result_decimals)),
        "rooms": out,
    }
