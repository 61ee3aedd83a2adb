"""Score sheets by element (DESIGN.md section 6), case by case: criteria, parts, both trim rules,
the judges' calibration and the rooms of a batch."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import sheets
from server.domain.scoring import JsonNumberText, NonFinite
from server.domain.sheets import Criterion, Room, Scored
from server.errors import InvalidCriteria, InvalidParts
from server.store import recompute

D = Decimal


def crit(*items: tuple[str, str | int]) -> list[dict[str, Any]]:
    return [{"code": code, "name": f"要素{code}", "max": top} for code, top in items]


SIX = [
    {"code": "analysis", "name": "综合分析能力", "max": 20},
    {"code": "expression", "name": "言语表达能力", "max": "20"},
    {"code": "adaptability", "name": "应变能力", "max": "15"},
    {"code": "planning", "name": "计划组织协调能力", "max": 20},
    {"code": "interpersonal", "name": "人际沟通", "max": 15},
    {"code": "manner", "name": "举止仪表", "max": "10"},
]

# --- criteria -----------------------------------------------------------------------------------

GOOD_CRITERIA = [
    # raw, score_decimals, the maxima as stored
    (SIX, 1, ["20.0", "20.0", "15.0", "20.0", "15.0", "10.0"]),
    (SIX, 0, ["20", "20", "15", "20", "15", "10"]),
    (crit(("a", "50"), ("b", 50)), 2, ["50.00", "50.00"]),
    (crit(("a", "33.3"), ("b", "33.3"), ("c", "33.4")), 1, ["33.3", "33.3", "33.4"]),
    (
        crit(("a", JsonNumberText("33.33")), ("b", "33.33"), ("c", "33.34")),
        2,
        ["33.33", "33.33", "33.34"],
    ),
    (crit(*[(f"c{n}", "8") for n in range(11)], ("last", "12")), 1, ["8.0"] * 11 + ["12.0"]),
    (crit(("A_1", "99"), ("b-2", "1")), 0, ["99", "1"]),
]


@pytest.mark.parametrize(("raw", "places", "maxima"), GOOD_CRITERIA)
def test_criteria_are_normalised_like_marks(raw: Any, places: int, maxima: list[str]) -> None:
    parsed = sheets.parse_criteria(raw, places)
    assert [c.as_data()["max"] for c in parsed] == maxima
    assert [c.code for c in parsed] == [item["code"] for item in raw]
    assert sum(c.max for c in parsed) == 100


BAD_CRITERIA = [
    # raw, score_decimals, a word the Chinese message holds
    (None, 1, "2 到 12"),
    ({"a": 50, "b": 50}, 1, "2 到 12"),
    ([], 1, "2 到 12"),
    (crit(("a", 100)), 1, "2 到 12"),
    (crit(*[(f"c{n}", "5") for n in range(13)]), 1, "2 到 12"),
    (crit(("a", 50), ("a", 50)), 1, "重复"),
    (crit(("a", 50), ("", 50)), 1, "代码"),
    (crit(("a", 50), ("有空 格", 50)), 1, "代码"),
    (crit(("a", 50), ("x" * 21, 50)), 1, "代码"),
    ([{"code": 1, "name": "甲", "max": 50}, {"code": "b", "name": "乙", "max": 50}], 1, "代码"),
    ([{"code": "a", "name": " ", "max": 50}, {"code": "b", "name": "乙", "max": 50}], 1, "名称"),
    ([{"code": "a", "max": 50}, {"code": "b", "name": "乙", "max": 50}], 1, "名称"),
    (
        [{"code": "a", "name": "甲" * 51, "max": 50}, {"code": "b", "name": "乙", "max": 50}],
        1,
        "50 个字",
    ),
    (
        [{"code": "a", "name": "甲\u200b", "max": 50}, {"code": "b", "name": "乙", "max": 50}],
        1,
        "不可见",
    ),
    (
        [{"code": "a", "name": "甲\u202e", "max": 50}, {"code": "b", "name": "乙", "max": 50}],
        1,
        "不可见",
    ),
    (["a", "b"], 1, "code、name"),
    (crit(("a", "50"), ("b", "49.9")), 1, "合计须为 100"),
    (crit(("a", "60"), ("b", "50")), 1, "合计须为 100"),
    (crit(("a", "33.3"), ("b", "33.3"), ("c", "33.4")), 0, "整数"),
    (crit(("a", "33.33"), ("b", "33.33"), ("c", "33.34")), 1, "1 位小数"),
    (crit(("a", "100"), ("b", "0")), 1, "大于 0"),
    (crit(("a", "110"), ("b", "-10")), 1, "0 到 100"),
    (crit(("a", 50.0), ("b", 50)), 1, "写成字符串"),
    (crit(("a", "NaN"), ("b", 50)), 1, "满分无效"),
    (crit(("a", NonFinite("Infinity")), ("b", 50)), 1, "满分无效"),
    (crit(("a", "5e1"), ("b", 50)), 1, "满分无效"),
    (crit(("a", True), ("b", 50)), 1, "满分无效"),
    (crit(("a", None), ("b", 50)), 1, "满分无效"),
    (crit(("a", "50,0"), ("b", 50)), 1, "满分无效"),
]


@pytest.mark.parametrize(("raw", "places", "word"), BAD_CRITERIA)
def test_bad_criteria_are_refused_with_a_reason(raw: Any, places: int, word: str) -> None:
    with pytest.raises(InvalidCriteria) as caught:
        sheets.parse_criteria(raw, places)
    error = caught.value
    assert error.status_code == 422 and error.code == "invalid_criteria"
    assert word in error.message, error.message
    assert error.message_en and error.message_en != error.message


@pytest.mark.parametrize(
    ("raw", "trim"), [(None, "total"), ("total", "total"), ("per_criterion", "per_criterion")]
)
def test_trim_rule(raw: Any, trim: str) -> None:
    assert sheets.parse_trim(raw) == trim


@pytest.mark.parametrize("raw", ["", "TOTAL", "per-criterion", 1, True, ["total"]])
def test_unknown_trim_rule_is_refused(raw: Any) -> None:
    with pytest.raises(InvalidCriteria):
        sheets.parse_trim(raw)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_template_is_a_valid_sheet(language: str) -> None:
    offered = sheets.templates(language)
    assert len(offered) >= 3
    assert len({t["key"] for t in offered}) == len(offered)
    for template in offered:
        for places in (0, 1, 2):
            parsed = sheets.parse_criteria(template["criteria"], places)
            assert sum(c.max for c in parsed) == 100
    first = offered[0]["criteria"]
    if language == "zh":
        assert [(c["name"], c["max"]) for c in first] == [
            ("综合分析能力", "20"),
            ("言语表达能力", "20"),
            ("应变能力", "15"),
            ("计划组织协调能力", "20"),
            ("人际沟通", "15"),
            ("举止仪表", "10"),
        ]


def test_criteria_survive_their_event_data() -> None:
    parsed = sheets.parse_criteria(SIX, 1)
    again = sheets.criteria_from_data([c.as_data() for c in parsed])
    assert again == parsed


# --- a judge's parts ------------------------------------------------------------------------------

SHEET = sheets.parse_criteria(SIX, 1)
ALL_FULL = {
    "analysis": 20,
    "expression": 20,
    "adaptability": 15,
    "planning": 20,
    "interpersonal": 15,
    "manner": 10,
}


def parts(**changes: Any) -> dict[str, Any]:
    return {**{k: str(v) for k, v in ALL_FULL.items()}, **changes}


GOOD_PARTS = [
    # parts, score, stored score, stored parts (changed ones)
    (parts(), None, "100.0", {}),
    (ALL_FULL, None, "100.0", {"manner": "10.0"}),
    (parts(analysis="16.5", manner="8"), None, "94.5", {"analysis": "16.5", "manner": "8.0"}),
    (parts(analysis="16.5", manner="8"), "94.5", "94.5", {}),
    (parts(analysis="16.5", manner="8"), JsonNumberText("94.5"), "94.5", {}),
    (parts(analysis="16.5", manner="8"), "094.5", "94.5", {}),
    (parts(analysis=JsonNumberText("16.5")), None, "96.5", {"analysis": "16.5"}),
    ({k: "0" for k in ALL_FULL}, 0, "0.0", {"analysis": "0.0"}),
    ({k: "0" for k in ALL_FULL}, "0.0", "0.0", {}),
]


@pytest.mark.parametrize(("raw", "score", "stored", "some"), GOOD_PARTS)
def test_parts_are_stored_exactly_and_summed(
    raw: Any, score: Any, stored: str, some: dict[str, str]
) -> None:
    sheet = sheets.parse_parts(raw, score, SHEET, 1)
    assert format(sheet.score, "f") == stored
    data = sheet.parts_data()
    assert list(data) == [c.code for c in SHEET]  # the sheet's order, whatever the frame's
    for code, text in some.items():
        assert data[code] == text


BAD_PARTS = [
    # parts, score, a word the Chinese message holds
    (None, None, "逐项"),
    ("94.5", None, "逐项"),
    ([20, 20, 15, 20, 15, 10], None, "逐项"),
    ({k: v for k, v in parts().items() if k != "manner"}, None, "举止仪表"),
    ({}, None, "缺少"),
    (parts(extra="1"), None, "没有代码"),
    (parts(analysis="20.5"), None, "最高 20.0 分"),
    (parts(manner="10.1"), None, "最高 10.0 分"),
    (parts(analysis="101"), None, "0 到 100"),
    (parts(analysis="-1"), None, "0 到 100"),
    (parts(analysis="16.55"), None, "1 位小数"),
    (parts(analysis="NaN"), None, "不是有效分数"),
    (parts(analysis=NonFinite("Infinity")), None, "数字"),
    (parts(analysis=16.5), None, "数字"),
    (parts(analysis=True), None, "数字"),
    (parts(analysis=None), None, "数字"),
    (parts(analysis=""), None, "不是有效分数"),
    (parts(analysis="16,5"), None, "不是有效分数"),
    (parts(analysis="1e1"), None, "不是有效分数"),
    (parts(analysis=[16]), None, "数字"),
    (parts(), "99.9", "不符"),
    (parts(), "100.01", "总分无效"),
    (parts(), "abc", "总分无效"),
    (parts(), 100.0, "总分无效"),
    (parts(), True, "总分无效"),
]


@pytest.mark.parametrize(("raw", "score", "word"), BAD_PARTS)
def test_bad_parts_are_refused_as_invalid_parts(raw: Any, score: Any, word: str) -> None:
    with pytest.raises(InvalidParts) as caught:
        sheets.parse_parts(raw, score, SHEET, 1)
    error = caught.value
    assert error.code == "invalid_parts"
    assert word in error.message, error.message
    assert error.message_en and error.message_en != error.message


def test_whole_marks_only_sitting_refuses_a_decimal_part() -> None:
    whole = sheets.parse_criteria(SIX, 0)
    with pytest.raises(InvalidParts) as caught:
        sheets.parse_parts(parts(analysis="16.5"), None, whole, 0)
    assert "整数" in caught.value.message
    assert format(sheets.parse_parts(parts(analysis="16"), "96", whole, 0).score, "f") == "96"


# --- the two trim rules -----------------------------------------------------------------------------

AB = sheets.parse_criteria(crit(("a", 50), ("b", 50)), 1)
ABC = sheets.parse_criteria(crit(("a", 40), ("b", 30), ("c", 30)), 1)


def seats(*rows: tuple[str, ...], codes: str = "ab") -> dict[int, dict[str, Decimal]]:
    return {
        seat: {c: D(v) for c, v in zip(codes, row, strict=True)}
        for seat, row in enumerate(rows, start=1)
    }


TRIM_CASES = [
    # name, criteria, parts by seat, result_decimals,
    #   total: (result, high seat, low seat), per_criterion: (result, {code: (high, low)})
    (
        # The two rules disagree: seat 1 and seat 2 each push one element to the edge.
        # total: sums 60, 55, 80, 65, 65 → drop 80 (3) and 55 (2) → 190/3 = 63.33
        # per element: a keeps 40, 35, 30 (35); b keeps 40, 30, 35 (35) → 70.00
        "rules differ",
        AB,
        seats(("50", "10"), ("10", "45"), ("40", "40"), ("35", "30"), ("30", "35")),
        2,
        ("63.33", 3, 2),
        ("70.00", {"a": (1, 2), "b": (2, 1)}),
    ),
    (
        # Ties inside an element: a's 20s are dropped high at the largest seat (5) and its low
        # is the one 15 (4); every b is 18.5: low is the smallest seat, high the largest.
        "ties inside an element",
        AB,
        seats(("20", "18.5"), ("20", "18.5"), ("20", "18.5"), ("15", "18.5"), ("20", "18.5")),
        2,
        ("38.50", 5, 4),
        ("38.50", {"a": (5, 4), "b": (5, 1)}),
    ),
    (
        # Rounded once at the end: each element averages x.125 (…, 10.5 over four kept);
        # rounding each to one place first (10.1 + 10.1 = 20.2) would be wrong: 20.25 → 20.3.
        "rounded once",
        AB,
        seats(("9", "9"), ("10", "10"), ("10", "10"), ("10", "10"), ("10.5", "10.5"), ("11", "11")),
        1,
        ("20.3", 6, 1),
        ("20.3", {"a": (6, 1), "b": (6, 1)}),
    ),
    (
        # DESIGN.md's 80.125 through a sheet: float rounding would say 80.12.
        "80.125",
        AB,
        seats(("39", "40"), ("40", "40"), ("40", "40"), ("40", "40"), ("40", "40.5"), ("45", "45")),
        2,
        ("80.13", 6, 1),
        ("80.13", {"a": (6, 1), "b": (6, 1)}),
    ),
    (
        # Thirds: three elements over five seats, each kept sum not divisible by 3.
        # a keeps 31, 32, 32 (95/3); b keeps 21, 22, 22 (65/3); c keeps 20, 20, 21 (61/3)
        # → 221/3 = 73.666… → 73.67. Totals: 70, 72, 75, 74, 78 → keep 72, 75, 74 → 73.67.
        "thirds",
        ABC,
        {
            1: {"a": D(31), "b": D(20), "c": D(19)},
            2: {"a": D(30), "b": D(22), "c": D(20)},
            3: {"a": D(32), "b": D(22), "c": D(21)},
            4: {"a": D(32), "b": D(21), "c": D(21)},
            5: {"a": D(33), "b": D(25), "c": D(20)},
        },
        2,
        ("73.67", 5, 1),
        ("73.67", {"a": (5, 2), "b": (5, 1), "c": (4, 1)}),
    ),
    (
        # Seats 2 and 4 only (one excused seat elsewhere): any three or more seats will do.
        "three seats",
        AB,
        {2: {"a": D("40.5"), "b": D(30)}, 4: {"a": D(41), "b": D(29)}, 7: {"a": D(50), "b": D(0)}},
        0,
        ("70", 2, 7),
        ("70", {"a": (7, 2), "b": (2, 7)}),
    ),
]


@pytest.mark.parametrize(
    ("name", "criteria", "by_seat", "places", "total", "per"),
    TRIM_CASES,
    ids=[c[0] for c in TRIM_CASES],
)
def test_trim_rules(
    name: str, criteria: Any, by_seat: Any, places: int, total: Any, per: Any
) -> None:
    whole = sheets.sheet_score(by_seat, criteria, "total", places)
    assert (format(whole.result, "f"), whole.dropped_high, whole.dropped_low) == total
    assert whole.elements == ()
    split = sheets.sheet_score(by_seat, criteria, "per_criterion", places)
    assert format(split.result, "f") == per[0]
    assert (split.dropped_high, split.dropped_low) == (None, None)  # no whole mark is dropped
    assert {e.code: (e.dropped_high, e.dropped_low) for e in split.elements} == per[1]


def test_the_rules_differ_somewhere() -> None:
    differ = [
        c
        for c in TRIM_CASES
        if sheets.sheet_score(c[2], c[1], "total", c[3]).result
        != sheets.sheet_score(c[2], c[1], "per_criterion", c[3]).result
    ]
    assert differ, "no case tells the two rules apart"


def test_element_averages_are_exact_and_shown_rounded() -> None:
    outcome = sheets.sheet_score(TRIM_CASES[4][2], ABC, "per_criterion", 2)
    assert [e.average for e in outcome.elements] == [
        Fraction(95, 3),
        Fraction(65, 3),
        Fraction(61, 3),
    ]
    assert outcome.averages(2) == {"a": "31.67", "b": "21.67", "c": "20.33"}
    assert outcome.averages(0) == {"a": "32", "b": "22", "c": "20"}


def test_fewer_than_three_seats_cannot_be_trimmed() -> None:
    with pytest.raises(ValueError):
        sheets.sheet_score(seats(("1", "2"), ("3", "4")), AB, "per_criterion", 2)
    with pytest.raises(ValueError):
        sheets.sheet_score(seats(("1", "2"), ("3", "4"), ("5", "6")), AB, "median", 2)


def test_no_float_is_made_of_a_part() -> None:
    # 0.1 + 0.2 style sums: exact Decimal arithmetic gives 0.3 where a float would give 0.30000000000000004.
    sheet = sheets.parse_parts(
        {"a": "0.1", "b": "0.2"}, "0.3", sheets.parse_criteria(crit(("a", "50"), ("b", "50")), 1), 1
    )
    assert format(sheet.score, "f") == "0.3"


# Both rules against the independent integer calculation of ``kiosk verify --recompute``.
mark_text = st.integers(min_value=0, max_value=500).map(lambda n: f"{n // 10}.{n % 10}")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=3, max_value=9).flatmap(
        lambda n: st.lists(st.tuples(mark_text, mark_text), min_size=n, max_size=n)
    ),
    st.integers(min_value=0, max_value=4),
)
def test_both_rules_agree_with_the_recompute(rows: list[tuple[str, str]], places: int) -> None:
    by_seat = {seat: {"a": D(a), "b": D(b)} for seat, (a, b) in enumerate(rows, start=1)}
    scaled = {
        seat: {c: recompute.scale(format(v, "f"), 1) for c, v in p.items()}
        for seat, p in by_seat.items()
    }
    split = sheets.sheet_score(by_seat, AB, "per_criterion", places)
    assert format(split.result, "f") == recompute.per_criterion(scaled, 1, places).result
    whole = sheets.sheet_score(by_seat, AB, "total", places)
    expected = recompute.trimmed_mean({s: p["a"] + p["b"] for s, p in scaled.items()}, 1, places)
    assert (format(whole.result, "f"), whole.dropped_high, whole.dropped_low) == (
        expected.result,
        expected.dropped_high,
        expected.dropped_low,
    )


# --- calibration ------------------------------------------------------------------------------------


def scored(
    iid: int, marks: dict[int, str], result: str, high: int | None, low: int | None, **kw: Any
) -> Scored:
    return Scored(iid, iid, "A1", {s: D(v) for s, v in marks.items()}, D(result), high, low, **kw)


DAY = [
    # five seats; seat 5 excused in the third interview; seat 4 always high
    scored(1, {1: "80", 2: "82", 3: "81", 4: "90", 5: "70"}, "81.00", 4, 5),
    scored(2, {1: "75.5", 2: "77", 3: "76", 4: "88", 5: "76"}, "76.33", 4, 1),
    scored(3, {1: "60", 2: "62.5", 3: "61", 4: "71"}, "61.75", 4, 1),
]


def test_calibration_counts_drops_and_averages_deviations_exactly() -> None:
    seats_ = {s["seat"]: s for s in sheets.calibration(DAY, 6, 2)["seats"]}
    assert list(seats_) == [1, 2, 3, 4, 5, 6]
    assert [(s["marks"], s["dropped_high"], s["dropped_low"]) for s in seats_.values()] == [
        (3, 0, 2),
        (3, 0, 0),
        (3, 0, 0),
        (3, 3, 0),
        (2, 0, 1),
        (0, 0, 0),
    ]
    # seat 1: -1.00, -0.83, -1.75 → -3.58 / 3 = -1.1933… → -1.19
    assert seats_[1]["mean_deviation"] == "-1.19"
    # seat 2: 1.00, 0.67, 0.75 → 2.42 / 3 = 0.80666… → 0.81
    assert seats_[2]["mean_deviation"] == "0.81"
    # seat 3: 0, -0.33, -0.75 → -1.08 / 3 = -0.36
    assert seats_[3]["mean_deviation"] == "-0.36"
    # seat 4: 9, 11.67, 9.25 → 29.92 / 3 = 9.97333… → 9.97
    assert seats_[4]["mean_deviation"] == "9.97"
    # seat 5: -11, -0.33 → -11.33 / 2 = -5.665 → half away from zero: -5.67 (not -5.66)
    assert seats_[5]["mean_deviation"] == "-5.67"
    assert seats_[6]["mean_deviation"] is None and seats_[6]["deviations"] == []
    assert [d["deviation"] for d in seats_[4]["deviations"]] == ["9.00", "11.67", "9.25"]
    assert [d["interview_id"] for d in seats_[5]["deviations"]] == [1, 2]


@pytest.mark.parametrize(
    ("marks", "result", "places", "mean"),
    [
        # one mark a seat: the deviation itself, rounded once
        ("80.5", "80.13", 1, "0.4"),  # 0.37 → 0.4
        ("80.0", "80.13", 1, "-0.1"),  # -0.13 → -0.1
        ("80.0", "80.05", 1, "-0.1"),  # -0.05: half away from zero → -0.1
        ("80.0", "80.04", 1, "0.0"),  # -0.04 → 0.0, never "-0.0"
        ("80.0", "80.00", 0, "0"),
        ("100.0", "0.00", 2, "100.00"),
    ],
)
def test_mean_deviation_rounds_half_away_from_zero_once(
    marks: str, result: str, places: int, mean: str
) -> None:
    day = [scored(1, {1: marks}, result, None, None)]
    assert sheets.calibration(day, 1, places)["seats"][0]["mean_deviation"] == mean


def test_per_criterion_calibration_counts_dropped_parts() -> None:
    outcome = sheets.sheet_score(TRIM_CASES[0][2], AB, "per_criterion", 2)
    marks = {s: sum(p.values(), D(0)) for s, p in TRIM_CASES[0][2].items()}
    day = [
        scored(
            1,
            {s: format(m, "f") for s, m in marks.items()},
            format(outcome.result, "f"),
            None,
            None,
            elements_dropped={e.code: (e.dropped_high, e.dropped_low) for e in outcome.elements},
        )
    ]
    seats_ = sheets.calibration(day, 5, 2)["seats"]
    assert [(s["dropped_high"], s["dropped_low"]) for s in seats_] == [(0, 0)] * 5
    assert [(s["parts_dropped_high"], s["parts_dropped_low"]) for s in seats_] == [
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 0),
        (0, 0),
    ]
    assert seats_[2]["mean_deviation"] == "10.00"  # 80 − 70


def test_rooms_of_a_batch_against_the_batch_mean() -> None:
    rooms = [
        Room(1, "第一考场", [D("80.13"), D("76.00")]),
        Room(2, "第二考场", [D("70.00"), D("71.50"), D("69.01")]),
        Room(3, "第三考场", []),
    ]
    out = sheets.room_means(rooms, 2)
    # batch: 366.64 / 5 = 73.328 → 73.33 (the mean of every interview, not of the room means)
    assert out["mean"] == "73.33" and out["interviews"] == 5
    first, second, third = out["rooms"]
    assert (first["mean"], first["difference"]) == ("78.07", "4.74")  # 78.065 → 78.07; 4.737 → 4.74
    assert (second["mean"], second["difference"]) == ("70.17", "-3.16")  # 70.17; -3.158 → -3.16
    assert (third["interviews"], third["mean"], third["difference"]) == (0, None, None)
    assert sheets.room_means([], 2) == {"interviews": 0, "mean": None, "rooms": []}


def test_round_signed_never_writes_minus_zero() -> None:
    assert format(sheets.round_signed(Fraction(-1, 1000), 2), "f") == "0.00"
    assert format(sheets.round_signed(Fraction(-5, 1000), 2), "f") == "-0.01"
    assert format(sheets.round_signed(Fraction(5, 1000), 2), "f") == "0.01"


def test_criterion_is_a_plain_value() -> None:
    assert Criterion("a", "甲", D("50.0")).as_data() == {"code": "a", "name": "甲", "max": "50.0"}


def test_sheet_fields_of_a_new_sitting() -> None:
    assert sheets.sheet_fields(None, None, 1) == {"criteria": (), "trim": "total"}
    assert sheets.sheet_fields(SIX, "per_criterion", 1)["criteria"] == sheets.parse_criteria(SIX, 1)
    with pytest.raises(InvalidCriteria):
        sheets.sheet_fields(None, "per_criterion", 1)
    with pytest.raises(InvalidCriteria):
        sheets.sheet_fields([], "total", 1)
