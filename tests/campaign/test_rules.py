"""The campaign's rules as tables (DESIGN section 5), the nasty cases included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from server.campaign import calendar, rules
from server.errors import ScheduleMissing

D = date.fromisoformat


# --- retirement ---------------------------------------------------------------------------------

RETIREMENT = [
    # (birth, base, delay months, retirement date, why)
    ("1968-06-15", 60, 11, "2029-05-15", "contract example"),
    ("1972-03-10", 55, 7, "2027-10-10", "contract example, base 55"),
    ("1978-10-01", 50, 23, "2030-09-01", "contract example, base 50"),
    ("1964-12-31", 60, 0, "2024-12-31", "contract example: the last unchanged month"),
    ("1967-12-31", 60, 9, "2028-09-30", "contract: one-step addition clamped to Sept 30"),
    ("1965-01-01", 60, 1, "2025-02-01", "first changed month, k = 1"),
    ("1965-04-30", 60, 1, "2025-05-30", "k = 4: still one month"),
    ("1965-05-01", 60, 2, "2025-07-01", "k = 5: two months"),
    ("1969-12-01", 55, 0, "2024-12-01", "base 55: the last unchanged month"),
    ("1970-01-31", 55, 1, "2025-02-28", "base 55, k = 1, clamped to Feb 28"),
    ("1974-12-15", 50, 0, "2024-12-15", "base 50: the last unchanged month"),
    ("1975-01-15", 50, 1, "2025-02-15", "base 50, k = 1"),
    ("1975-02-15", 50, 1, "2025-03-15", "base 50, k = 2: still one month"),
    ("1975-03-15", 50, 2, "2025-05-15", "base 50, k = 3: two"),
    ("1976-09-10", 60, 36, "2039-09-10", "base 60, k = 141: ceil(141/4) = 36, the cap"),
    ("1976-12-10", 60, 36, "2039-12-10", "base 60, k = 144: exactly the cap"),
    ("1990-01-10", 60, 36, "2053-01-10", "base 60: far past the cap"),
    ("1981-12-20", 55, 36, "2039-12-20", "base 55 cap"),
    ("1984-12-05", 50, 60, "2039-12-05", "base 50, k = 120: exactly the cap of 60"),
    ("1995-07-05", 50, 60, "2050-07-05", "base 50: far past the cap"),
    ("1964-02-29", 60, 0, "2024-02-29", "Feb 29, unchanged, lands in a leap year"),
    ("1960-02-29", 55, 0, "2015-02-28", "Feb 29, unchanged, lands in a common year: clamped"),
    ("1968-02-29", 60, 10, "2028-12-29", "Feb 29 within the reform"),
    ("1976-02-29", 50, 7, "2026-09-29", "Feb 29, base 50"),
    ("1971-05-31", 55, 5, "2026-10-31", "31st onto a 31-day month"),
    ("1970-03-31", 55, 1, "2025-04-30", "31st onto April: clamped"),
]


@pytest.mark.parametrize(("birth", "base", "delay", "expected", "why"), RETIREMENT)
def test_retirement_date(birth: str, base: int, delay: int, expected: str, why: str) -> None:
    assert rules.delay_months(D(birth), base) == delay, why
    assert rules.retirement_date(D(birth), base) == D(expected), why


def test_one_step_month_addition_is_not_two() -> None:
    # Adding months in two steps loses the day once clamped: Jan 31 + 1 (Feb 28) + 1 = Mar 28.
    assert rules.add_months(D("2023-01-31"), 2) == D("2023-03-31")
    assert rules.add_months(rules.add_months(D("2023-01-31"), 1), 1) == D("2023-03-28")


def test_default_base() -> None:
    assert rules.default_base("M") == 60
    assert rules.default_base("F") == 55


# --- eligibility ---------------------------------------------------------------------------------

ANNOUNCED = D("2025-03-31")


def person(**kw: object) -> rules.Person:
    base = {
        "education": "bachelor",
        "retirement_date": D("2040-01-01"),
        "current_level": 2,
        "appraisal": "competent",
        "under_investigation": False,
        "discipline_until": None,
        "employment": "civil_servant",
        "leadership": False,
    }
    base.update(kw)
    return rules.Person(**base)  # type: ignore[arg-type]


CHECKS = [
    # (person fields, post level, scope, term, the failing checks)
    ({}, 3, "internal", 2, set()),
    ({"education": "college"}, 3, "internal", 2, set()),
    ({"education": "doctorate"}, 3, "internal", 2, set()),
    ({"education": "secondary"}, 3, "internal", 2, {"education"}),
    ({"education": "none"}, 3, "internal", 2, {"education"}),
    # retirement against announced_on + 24 months = 2027-03-31: the same day counts
    ({"retirement_date": D("2027-03-31")}, 3, "internal", 2, set()),
    ({"retirement_date": D("2027-03-30")}, 3, "internal", 2, {"retirement"}),
    ({"retirement_date": D("2028-03-30")}, 3, "internal", 3, {"retirement"}),
    ({"retirement_date": D("2028-03-31")}, 3, "internal", 3, set()),
    # standing: only above one's own level
    ({"appraisal": "basically_competent"}, 3, "internal", 2, {"standing"}),
    ({"appraisal": "basically_competent"}, 2, "internal", 2, set()),
    ({"appraisal": "basically_competent"}, 1, "internal", 2, set()),
    ({"appraisal": "incompetent"}, 3, "internal", 2, {"standing"}),
    ({"appraisal": "excellent"}, 3, "internal", 2, set()),
    ({"appraisal": None}, 3, "internal", 2, set()),
    ({"under_investigation": True}, 3, "internal", 2, {"standing"}),
    ({"under_investigation": True}, 2, "internal", 2, set()),
    ({"discipline_until": ANNOUNCED}, 3, "internal", 2, {"standing"}),
    ({"discipline_until": D("2025-03-30")}, 3, "internal", 2, set()),
    ({"current_level": 0, "appraisal": "incompetent"}, 1, "public", 2, {"standing"}),
    # scope
    ({"employment": "external"}, 3, "internal", 2, {"scope"}),
    ({"employment": "external"}, 3, "public", 2, set()),
    ({"leadership": True}, 3, "internal", 2, {"scope"}),
    ({"leadership": True}, 3, "public", 2, set()),
    ({"employment": "worker"}, 3, "internal", 2, set()),
    (
        {
            "education": "none",
            "employment": "external",
            "under_investigation": True,
            "retirement_date": D("2026-01-01"),
        },
        4,
        "internal",
        2,
        {"education", "retirement", "standing", "scope"},
    ),
]


@pytest.mark.parametrize(("fields", "level", "scope", "term", "failing"), CHECKS)
def test_checks(fields: dict, level: int, scope: str, term: int, failing: set[str]) -> None:
    result = rules.checks(person(**fields), level, scope, ANNOUNCED, term)
    assert set(result) == {"education", "retirement", "standing", "scope"}
    assert {k for k, ok in result.items() if not ok} == failing
    assert rules.eligible(result) is (not failing)


def test_term_end_clamps_feb_29() -> None:
    assert rules.term_end(D("2024-02-29"), 2) == D("2026-02-28")
    assert rules.term_end(D("2024-02-29"), 4) == D("2028-02-29")
    p = person(retirement_date=D("2026-02-28"))
    assert rules.checks(p, 1, "public", D("2024-02-29"), 2)["retirement"] is True


# --- dates ---------------------------------------------------------------------------------------

TODAY = [
    ("2025-06-30T15:59:59+00:00", "2025-06-30"),
    ("2025-06-30T16:00:00+00:00", "2025-07-01"),
    ("2025-06-30T23:30:00+00:00", "2025-07-01"),
    ("2025-07-01T00:30:00+08:00", "2025-07-01"),
]


@pytest.mark.parametrize(("now", "expected"), TODAY)
def test_beijing_today(now: str, expected: str) -> None:
    assert rules.beijing_today(datetime.fromisoformat(now)) == D(expected)


def test_beijing_today_refuses_naive() -> None:
    with pytest.raises(ValueError):
        rules.beijing_today(datetime(2025, 1, 1))
    assert isinstance(rules.beijing_today(datetime.now(UTC)), date)


@pytest.mark.parametrize(
    ("day", "inside"),
    [("2025-04-01", True), ("2025-04-10", True), ("2025-03-31", False), ("2025-04-11", False)],
)
def test_window_bounds_inclusive(day: str, inside: bool) -> None:
    assert rules.within(D(day), D("2025-04-01"), D("2025-04-10")) is inside


# --- resident IDs ------------------------------------------------------------------------------

# Built with the check digit of ISO 7064 MOD 11-2 (GB 11643-1999 appendix's own example first).
GOOD_IDS = [
    ("11010519491231002X", "1949-12-31", "F"),
    ("110105194912310029"[:17] + "X", "1949-12-31", "F"),
    ("440524188001010014", "1880-01-01", "M"),
    ("11010519491231002x", "1949-12-31", "F"),  # lower-case x taken as X
]


@pytest.mark.parametrize(("number", "birth", "sex"), GOOD_IDS)
def test_good_ids(number: str, birth: str, sex: str) -> None:
    assert rules.id_problem(rules.normalise_id(number), D(birth), sex) is None


def make_id(area: str, birth: str, seq3: str) -> str:
    body = area + birth.replace("-", "") + seq3
    return body + rules.check_digit(body)


BAD_IDS = [
    ("11010519491231002", "1949-12-31", "F", "length"),
    ("1101051949123100211", "1949-12-31", "F", "length"),
    ("110105194912310021", "1949-12-31", "F", "check digit"),
    ("11010519491231002Y", "1949-12-31", "F", "last character"),
    ("1101051949123100A2", "1949-12-31", "F", "a letter among the digits"),
    ("１１０１０５１９４９１２３１００２X", "1949-12-31", "F", "full-width digits"),
    (make_id("320581", "1980-05-06", "123"), "1980-05-07", "M", "birth date"),
    (make_id("320581", "1980-05-06", "123"), "1980-05-06", "F", "sex: 3 is odd, a man"),
    (make_id("320581", "1980-05-06", "124"), "1980-05-06", "M", "sex: 4 is even, a woman"),
]


@pytest.mark.parametrize(("number", "birth", "sex", "why"), BAD_IDS)
def test_bad_ids(number: str, birth: str, sex: str, why: str) -> None:
    problem = rules.id_problem(rules.normalise_id(number), D(birth), sex)
    assert problem is not None, why
    assert problem.zh and problem.en


def test_made_ids_are_good() -> None:
    assert rules.id_problem(make_id("320581", "1980-05-06", "123"), D("1980-05-06"), "M") is None
    assert rules.id_problem(make_id("320581", "1980-05-06", "124"), D("1980-05-06"), "F") is None


@pytest.mark.parametrize(
    ("number", "masked"),
    [("320581198005061234", "3205**********1234"), ("11010519491231002X", "1101**********002X")],
)
def test_mask(number: str, masked: str) -> None:
    assert rules.mask_id(number) == masked


# --- working days ------------------------------------------------------------------------------

PUBLICITY = [
    ("2025-09-26", "2025-10-10", "contract: National Day 2025, make-up Sunday Sept 28 counts"),
    (
        "2026-09-25",
        "2026-10-09",
        "contract: itself a holiday (Mid-Autumn); find_workday says 10-10",
    ),
    ("2026-02-10", "2026-02-24", "contract: across the Spring Festival 2026"),
    ("2025-10-09", "2025-10-15", "across the make-up Saturday 2025-10-11"),
    ("2026-10-08", "2026-10-14", "across the make-up Saturday 2026-10-10"),
    ("2025-09-30", "2025-10-14", "published the day before National Day"),
    ("2025-10-03", "2025-10-14", "published on a holiday, with the make-up Saturday"),
    ("2025-06-02", "2025-06-09", "a plain week: Tuesday to Monday"),
    ("2025-06-06", "2025-06-13", "published on a Friday: the weekend does not count"),
    ("2025-06-07", "2025-06-13", "published on a Saturday"),
    ("2025-12-29", "2026-01-06", "across New Year 2026"),
]


@pytest.mark.parametrize(("published", "ends", "why"), PUBLICITY)
def test_publicity_end(published: str, ends: str, why: str) -> None:
    assert calendar.load(None).publicity_end(D(published)) == D(ends), why


def test_unpublished_year_is_refused_not_guessed() -> None:
    cal = calendar.load(None)
    with pytest.raises(ScheduleMissing) as caught:
        cal.publicity_end(D("2026-12-28"))
    assert caught.value.status_code == 422
    assert caught.value.code == "schedule_missing"
    assert "2027" in caught.value.message and "2027" in caught.value.message_en


def test_data_file_adds_a_year(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text(
        '{"years": {"2027": {"holidays": ["2027-01-01", ["2027-02-06", "2027-02-12"]],'
        ' "workdays": ["2027-02-14"]}}}',
        encoding="utf-8",
    )
    cal = calendar.load(path)
    # 2026-12-28 (Mon) → 29, 30, 31, [Jan 1 off, weekend], Jan 4, Jan 5: the 5th
    assert cal.publicity_end(D("2026-12-28")) == D("2027-01-05")
    # Spring Festival 2027 as the file says: Feb 5 (Fri) → Feb 14 (Sun, make-up) is the 1st
    assert cal.publicity_end(D("2027-02-05")) == D("2027-02-18")
    assert cal.is_workday(D("2027-02-14")) and not cal.is_workday(D("2027-02-08"))


def test_data_file_overrides_the_library_for_its_years(tmp_path: Path) -> None:
    path = tmp_path / "holidays.json"
    path.write_text('{"years": {"2025": {"holidays": ["2025-06-03"]}}}', encoding="utf-8")
    assert calendar.load(path).publicity_end(D("2025-06-02")) == D("2025-06-10")


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"years": []}',
        '{"years": {"2027": {"holidays": ["2026-12-31"]}}}',
        '{"years": {"2027": {"holidays": [["2027-02-10", "2027-02-01"]]}}}',
        '{"years": {"2027": {"holidays": [1]}}}',
        '{"years": {"2027": {"holidays": ["2027-02-30"]}}}',
    ],
)
def test_bad_data_file(text: str) -> None:
    with pytest.raises(ValueError):
        calendar.parse(text)


def test_packaged_file_is_valid() -> None:
    assert calendar.parse(calendar.PACKAGED.read_text(encoding="utf-8")) == {}
