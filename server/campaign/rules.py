"""The campaign's rules as pure functions: retirement dates, eligibility, windows, resident IDs.

Nothing here reads the clock, a file or the database: "today" and the plan's date come in as
arguments, so every rule is a table of cases in ``tests/campaign/test_rules.py``. Working days
(the publicity period) are in :mod:`server.campaign.calendar`, which does read a data file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta

# --- retirement (the NPC Standing Committee decision of 2024-09-13, in force 2025-01-01) --------


@dataclass(frozen=True)
class Cohort:
    """How one statutory base age rises: from which birth month, by how much, up to what."""

    first: date  # the first birth month whose age changes (its k is 1)
    step: int  # birth months per month of delay
    cap: int  # the most months of delay


COHORTS: Mapping[int, Cohort] = {
    60: Cohort(date(1965, 1, 1), 4, 36),
    55: Cohort(date(1970, 1, 1), 4, 36),
    50: Cohort(date(1975, 1, 1), 2, 60),
}
RETIREMENT_BASES = tuple(COHORTS)


def default_base(sex: str) -> int:
    """The base before the reform: 60 for a man, 55 for a woman (50 is given explicitly)."""
    return 60 if sex == "M" else 55


def add_months(day: date, months: int) -> date:
    """Add ``months`` in one step: the same day of the month, clamped to that month's end."""
    return day + relativedelta(months=months)


def delay_months(birth: date, base: int) -> int:
    """Months the 2024 decision adds to ``base`` for someone born on ``birth``."""
    cohort = COHORTS[base]
    k = (birth.year - cohort.first.year) * 12 + (birth.month - cohort.first.month) + 1
    if k <= 0:
        return 0
    return min(cohort.cap, math.ceil(k / cohort.step))


def retirement_date(birth: date, base: int) -> date:
    """Return the statutory retirement date: ``base × 12 + delay`` months after birth."""
    return add_months(birth, base * 12 + delay_months(birth, base))


# --- eligibility (the plan's section 四, as of the day the plan was published) ---------------

EDUCATION = ("doctorate", "master", "bachelor", "college", "secondary", "none")
#: College (大专) or above.
QUALIFYING_EDUCATION = frozenset(EDUCATION[:4])
EMPLOYMENT = ("civil_servant", "quasi_civil_servant", "institution", "worker", "external")
APPRAISALS = ("excellent", "competent", "basically_competent", "incompetent")
#: A last-year appraisal that bars applying above one's own level.
BARRING_APPRAISALS = frozenset({"basically_competent", "incompetent"})
SCOPES = ("internal", "public")


@dataclass(frozen=True)
class Person:
    """What the checks need to know of an applicant."""

    education: str
    retirement_date: date
    current_level: int
    appraisal: str | None
    under_investigation: bool
    discipline_until: date | None
    employment: str
    leadership: bool


def term_end(announced_on: date, term_years: int) -> date:
    """The day one full term after the plan's publication ends (clamped like a birthday)."""
    return add_months(announced_on, term_years * 12)


def checks(
    person: Person, level: int, scope: str, announced_on: date, term_years: int
) -> dict[str, bool]:
    """Return the four checks of one application: education, retirement, standing, scope."""
    barred = (
        person.appraisal in BARRING_APPRAISALS
        or person.under_investigation
        or (person.discipline_until is not None and person.discipline_until >= announced_on)
    )
    return {
        "education": person.education in QUALIFYING_EDUCATION,
        # The same day counts: retiring on the day the term ends still serves it whole.
        "retirement": person.retirement_date >= term_end(announced_on, term_years),
        # The plan bars them from the level above their own, not from their own or lower.
        "standing": not (level > person.current_level and barred),
        "scope": scope != "internal" or (person.employment != "external" and not person.leadership),
    }


def eligible(result: Mapping[str, bool]) -> bool:
    return all(result.values())


#: Live applications one applicant may hold in one batch.
MAX_LIVE = 2
LIVE_STATUSES = frozenset({"submitted", "approved", "rejected"})


# --- dates: Beijing's "today" and inclusive windows ------------------------------------------

BEIJING = timedelta(hours=8)


def beijing_today(now: datetime | None = None) -> date:
    """Return the date in Beijing (UTC+8, no daylight saving) at ``now`` (default: now)."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in the kiosk: give it a time zone")
    return (moment.astimezone(UTC) + BEIJING).date()


def within(day: date, first: date, last: date) -> bool:
    """Whether ``day`` is in ``first``–``last``, both bounds included."""
    return first <= day <= last


# --- resident identity numbers (GB 11643-1999, check digit ISO 7064 MOD 11-2) ---------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalise_id(raw: str) -> str:
    """Strip surrounding spaces and take a lower-case ``x`` as ``X``."""
    return raw.strip().upper()


def check_digit(first17: str) -> str:
    """Return the check character of the first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class IdProblem:
    """Why an ID number was refused, in both languages."""

    zh: str
    en: str


def id_problem(number: str, birth: date, sex: str) -> IdProblem | None:
    """Return why ``number`` is not the resident ID of someone born ``birth`` of ``sex``, or None."""
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        return IdProblem(
            "身份证号必须是 18 位，前 17 位为数字。",
            "The ID number must be 18 characters, the first 17 digits.",
        )
    if not (number[17].isdigit() and number[17].isascii()) and number[17] != "X":
        return IdProblem(
            "身份证号最后一位必须是数字或 X。",
            "The ID number's last character must be a digit or X.",
        )
    if check_digit(number[:17]) != number[17]:
        return IdProblem(
            "身份证号校验位不正确，请核对。",
            "The ID number's check digit is wrong: check the number.",
        )
    if number[6:14] != birth.strftime("%Y%m%d"):
        return IdProblem(
            "身份证号中的出生日期与填写的出生日期不一致。",
            "The birth date in the ID number does not match the birth date given.",
        )
    if (int(number[16]) % 2 == 1) != (sex == "M"):
        return IdProblem(
            "身份证号中的性别（第 17 位）与填写的性别不一致。",
            "The sex in the ID number (its 17th digit) does not match the sex given.",
        )
    return None


def mask_id(number: str) -> str:
    """Show the first 4 and the last 4 characters of an ID number: ``3205**********1234``."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
