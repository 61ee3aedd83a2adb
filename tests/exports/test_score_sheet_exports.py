"""Score sheets by element in the records: every seat's parts after scoring and nothing before,
element averages under per-element trimming, the judges' sheets with a signature line each, and
the calibration sheet. Built from views in memory: no server needed."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from server.domain import ranking, sheets
from server.domain.states import State
from server.domain.views import InterviewView, PositionView, SittingView
from server.exports import csv_export, pdf_export, sheet_record, xlsx_export
from server.exports.record import Record

D = Decimal
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
CRITERIA = sheets.parse_criteria(
    [
        {"code": "a", "name": "综合分析能力", "max": "50"},
        {"code": "b", "name": "言语表达能力", "max": "50"},
    ],
    1,
)
# The disagreeing case of the domain tables: 63.33 by totals, 70.00 per element.
PARTS = {1: ("50", "10"), 2: ("10", "45"), 3: ("40", "40"), 4: ("35", "30"), 5: ("30", "35")}
LIVE = {1: ("44", "43"), 2: ("41.5", "42")}  # the interview still being scored: never printed


def interview(
    iid: int, draw: int, name: str, state: State, parts: dict[int, tuple[str, str]], trim: str
) -> InterviewView:
    by_seat = {
        seat: {"a": D(a).quantize(D("0.1")), "b": D(b).quantize(D("0.1"))}
        for seat, (a, b) in parts.items()
    }
    marks = {seat: p["a"] + p["b"] for seat, p in by_seat.items()}
    view = InterviewView(
        id=iid,
        draw_no=draw,
        candidate_name=name,
        position_code="A1",
        position_name="综合岗",
        state=state,
        marks=marks,
        started_at=T0 + timedelta(minutes=20 * iid),
    )
    if state != State.INTERVIEWING:
        outcome = sheets.sheet_score(by_seat, CRITERIA, trim, 2)
        view.result, view.dropped_high, view.dropped_low = (
            outcome.result,
            outcome.dropped_high,
            outcome.dropped_low,
        )
    view.parts = by_seat  # type: ignore[attr-defined]
    return view


def record(trim: str | None) -> Record:
    """A sitting of five judges: one interview scored (and announced), one being scored."""
    rule = trim or "total"
    session = SittingView(
        id=9,
        title="评分要素测试",
        batch="第一批次",
        judge_count=5,
        score_decimals=1,
        result_decimals=2,
        min_scores=5,
        created_at=T0,
        version=20,
        positions=[PositionView(1, "A1", "综合岗", 1, D(1))],
        interviews=[
            interview(1, 1, "张三", State.ANNOUNCED, PARTS, rule),
            interview(2, 2, "李四", State.INTERVIEWING, LIVE, rule),
        ],
    )
    session.criteria = CRITERIA if trim else ()  # type: ignore[attr-defined]
    session.trim = rule  # type: ignore[attr-defined]
    return Record(
        session=session,
        ranking=ranking.rank_sitting(session),
        audit=[],
        head_seq=20,
        head_hash="ab" * 32,
        signatures={},
        scores={},
    )


@pytest.mark.parametrize(("trim", "result"), [("total", "63.33"), ("per_criterion", "70.00")])
def test_csv_shows_every_seats_parts_after_scoring_only(trim: str, result: str) -> None:
    rows = list(
        csv.reader(io.StringIO(csv_export.render(record(trim).session).decode("utf-8-sig")))
    )
    head, scored, live = rows
    assert head[:4] == [
        "抽签号",
        "姓名",
        "岗位代码",
        "岗位名称",
    ]  # the usual columns first, unchanged
    assert scored[head.index("面试得分")] == result
    for seat, (a, b) in PARTS.items():
        assert (
            scored[head.index(f"评委{seat}·综合分析能力")]
            == D(a).quantize(D("0.1")).to_eng_string()
        )
        assert (
            scored[head.index(f"评委{seat}·言语表达能力")]
            == D(b).quantize(D("0.1")).to_eng_string()
        )
    parts_columns = [i for i, title in enumerate(head) if "·" in title]
    assert len(parts_columns) == 10 + (2 if trim == "per_criterion" else 0)
    assert all(live[i] == "" for i in parts_columns), "a part of an interview still being scored"
    if trim == "per_criterion":
        assert scored[head.index("要素平均·综合分析能力")] == "35.00"
        assert scored[head.index("要素平均·言语表达能力")] == "35.00"


def test_one_number_csv_is_unchanged() -> None:
    head = next(
        csv.reader(io.StringIO(csv_export.render(record(None).session).decode("utf-8-sig")))
    )
    assert not any("·" in title for title in head)
    assert head[-1] == "备注"


def load(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body))


@pytest.mark.parametrize("trim", ["total", "per_criterion"])
def test_xlsx_has_the_judges_sheet_and_the_calibration(trim: str) -> None:
    book = load(xlsx_export.render(record(trim)))
    assert book.sheetnames == ["成绩登记", "排名-A1", "评委评分表", "评委校准", "审计日志"]
    ws = book["评委评分表"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(i for i, r in enumerate(rows) if r[0] == "岗位代码")
    titles = rows[header]
    assert titles[4:6] == ["综合分析能力（50）", "言语表达能力（50）"]
    seat_rows = {
        r[3]: (r, header + 1 + n)
        for n, r in enumerate(rows[header + 1 :])
        if r[1] == 1 and isinstance(r[3], int)
    }
    assert seat_rows[1][0][4:7] == [D("50.0"), D("10.0"), D("60.0")]
    # Seat 1's 50 on element a was dropped as that element's highest under per-element trimming;
    # under totals it is the whole 60 that stands (seat 3's 80 is dropped instead).
    a_cell = ws.cell(row=seat_rows[1][1] + 1, column=5)
    assert bool(a_cell.font.strike) == (trim == "per_criterion")
    total_cell = ws.cell(row=seat_rows[3][1] + 1, column=7)
    assert bool(total_cell.font.strike) == (trim == "total")
    live_rows = [r for r in rows[header + 1 :] if r[1] == 2]
    assert live_rows and all(v is None for r in live_rows for v in r[4:]), (
        "parts shown while scoring"
    )
    if trim == "per_criterion":
        average = next(r for r in rows if r[3] == "要素平均")
        assert average[4:6] == [D("35.00"), D("35.00")]
    calibration = [[c.value for c in row] for row in book["评委校准"].iter_rows()]
    seat_head = next(i for i, r in enumerate(calibration) if r[0] == "评委席位")
    seats = {r[0]: r for r in calibration[seat_head + 1 : seat_head + 6]}
    assert seats[3][1] == 1  # one scored interview each: the live one does not count
    expected = {"total": D("16.67"), "per_criterion": D("10.00")}[trim]  # 80 − 63.33, 80 − 70
    assert D(str(seats[3][4])) == expected  # openpyxl reads numbers back as floats


def test_one_number_xlsx_has_calibration_but_no_judges_sheet() -> None:
    assert load(xlsx_export.render(record(None))).sheetnames == [
        "成绩登记",
        "排名-A1",
        "评委校准",
        "审计日志",
    ]


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.parametrize("trim", ["total", "per_criterion"])
def test_pdf_has_a_score_sheet_and_a_signature_line_per_judge(trim: str, tmp_path: Path) -> None:
    text = pdftotext(pdf_export.render(record(trim)), tmp_path)
    assert text.count("评委评分表") >= 5
    for seat in range(1, 6):
        assert f"第 {seat} 席评委签字" in text
    assert "评分要素 2 项：综合分析能力（50 分）、言语表达能力（50 分）" in text
    assert "45.0" in text and "35.0" in text  # parts of the scored interview
    assert (
        "44.0" not in text and "41.5" not in text and "87.0" not in text
    )  # nothing of the live one
    assert ("每个要素分别去掉" in text) == (trim == "per_criterion")


def test_pdf_of_a_one_number_sitting_has_no_judge_sheets(tmp_path: Path) -> None:
    assert "评委评分表" not in pdftotext(pdf_export.render(record(None)), tmp_path)


def test_calibration_reads_the_sittings_scored_interviews_in_order() -> None:
    seats = sheet_record.calibration(record("per_criterion").session)["seats"]
    assert [s["marks"] for s in seats] == [1, 1, 1, 1, 1]
    assert [s["mean_deviation"] for s in seats] == ["-10.00", "-15.00", "10.00", "-5.00", "-5.00"]
    assert [(s["parts_dropped_high"], s["parts_dropped_low"]) for s in seats] == [
        (1, 1),
        (1, 1),
        (0, 0),
        (0, 0),
        (0, 0),
    ]
