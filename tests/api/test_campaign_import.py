"""The registration spreadsheet: every line checked, every bad one named, nothing half imported."""

from __future__ import annotations

import io

import openpyxl
import pytest

from server.api.campaign_pages import TEMPLATE, parse_applicants
from server.api.console import RosterInvalid, read_rows
from server.errors import Unprocessable

HEADER = "姓名,身份证号,性别,出生日期,学历,身份类别,现任层级,上年度考核,正在接受审查调查,处分期至,领导班子成员"


def rows(text: str) -> list[tuple[int, list[str]]]:
    return read_rows(text.encode("utf-8-sig"), "报名表.csv")


def test_the_template_parses() -> None:
    csv_text = "\n".join(",".join(r) for r in TEMPLATE)
    parsed = parse_applicants(rows(csv_text), set())
    assert [p.body["name"] for p in parsed] == ["张三", "李四"]
    first = parsed[0].body
    assert first == {
        "name": "张三", "id_number": "210502198506150010", "sex": "M", "birth_date": "1985-06-15",
        "retirement_base": 60, "education": "bachelor", "employment": "civil_servant", "current_level": 1,
        "appraisal": "competent", "under_investigation": False, "discipline_until": None, "leadership": False,
    }
    assert parsed[1].body["sex"] == "F" and parsed[1].body["retirement_base"] == 55


def test_sex_and_birth_date_come_from_the_id_number_when_left_blank() -> None:
    parsed = parse_applicants(rows("姓名,身份证号,学历,身份类别\n王五,21050219700308108x,大专,事业编制\n"), set())
    body = parsed[0].body
    assert body["id_number"] == "21050219700308108X"
    assert body["sex"] == "F" and body["birth_date"] == "1970-03-08"
    assert body["current_level"] == 0 and body["appraisal"] is None


def test_every_bad_line_is_named_and_nothing_passes() -> None:
    lines = [
        HEADER,
        "张三,210502198506150010,男,1985-06-15,本科,公务员,1,称职,否,,否",      # 2: good
        "李四,210502198506150011,男,1985-06-15,本科,公务员,1,称职,否,,否",      # 3: check digit
        "王五,210502198506150010,男,1985-06-15,本科,公务员,1,称职,否,,否",      # 4: repeats line 2
        "赵六,210502197909090046,男,1979-09-09,本科,公务员,1,称职,否,,否",      # 5: sex vs ID
        "钱七,210502199001010017,男,1990-01-01,小学,外包,12,良好,也许,明年,否",  # 6: many
        ",210502197003080028,女,1970-03-08,大专,工勤,0,,否,2026-06-30,是",      # 7: no name
    ]
    text = "\n".join(lines)
    with pytest.raises(RosterInvalid) as caught:
        parse_applicants(rows(text), set())
    problems = {line: zh for line, zh, _en in caught.value.problems}
    assert set(problems) == {3, 4, 5, 6, 7}
    assert "校验位" in problems[3]
    assert "第 2 行重复" in problems[4]
    assert "性别" in problems[5]
    for word in ("学历", "身份类别", "现任层级", "上年度考核", "审查调查", "处分期至"):
        assert word in problems[6], (word, problems[6])
    assert "缺少姓名" in problems[7]


def test_an_id_already_registered_is_refused() -> None:
    with pytest.raises(RosterInvalid) as caught:
        parse_applicants(rows(HEADER + "\n张三,210502198506150010,男,1985-06-15,本科,公务员,1,称职,否,,否"),
                         {"210502198506150010"})
    assert caught.value.problems[0][0] == 2 and "已在本竞聘工作中登记" in caught.value.problems[0][1]


def test_a_missing_column_names_it() -> None:
    with pytest.raises(Unprocessable) as caught:
        parse_applicants(rows("姓名,性别\n张三,男"), set())
    assert "身份证号" in caught.value.message and "学历" in caught.value.message


def test_xlsx_with_dates_and_numbers_as_excel_keeps_them() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "出生日期", "学历", "身份类别", "现任层级"])
    import datetime

    sheet.append(["张三", "210502198506150010", datetime.datetime(1985, 6, 15), "本科", "公务员", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse_applicants(read_rows(buffer.getvalue(), "报名表.xlsx"), set())
    assert parsed[0].body["birth_date"] == "1985-06-15" and parsed[0].body["current_level"] == 2
