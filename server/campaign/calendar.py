"""Working days by the State Council's holiday notices (国务院办公厅关于节假日安排的通知).

Two sources, in this order: a data file the office keeps (``KIOSK_HOLIDAYS_FILE``, default the
packaged ``holidays.json`` beside this module), then the ``chinesecalendar`` package. A year the
file lists is taken from the file alone, so a newly published notice (or a correction) needs no
upgrade; a year neither knows raises :class:`~server.errors.ScheduleMissing` (422): a
publicity period is never computed from a guess.

The file::

    {"years": {"2027": {"holidays": ["2027-01-01", ["2027-02-05", "2027-02-13"]],
                        "workdays": ["2027-02-14"]}}}

``holidays``: days off (a date, or a ``[first, last]`` range, inclusive) even on weekdays;
``workdays``: make-up working days (调休上班) even on weekends. Any other day of a listed year is
a working day from Monday to Friday.

``chinese_calendar.find_workday`` is not used: for a day that is not a working day it first
moves to the next working day and counts from there (2026-09-25 → 2026-10-10, one too far).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar

from server.errors import ScheduleMissing

PACKAGED = Path(__file__).with_name("holidays.json")
#: Working days in a publicity period (公示期), the day of publishing not counted.
PUBLICITY_DAYS = 5


@dataclass(frozen=True)
class YearSchedule:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def _days(entries: Any, year: int, where: str) -> frozenset[date]:
    out: set[date] = set()
    if not isinstance(entries, list):
        raise ValueError(f"{where}: a list of dates or [first, last] ranges")  # noqa: TRY004 - a bad file, not a bad call
    for entry in entries:
        if isinstance(entry, str):
            first = last = date.fromisoformat(entry)
        elif isinstance(entry, list) and len(entry) == 2 and all(isinstance(e, str) for e in entry):
            first, last = date.fromisoformat(entry[0]), date.fromisoformat(entry[1])
        else:
            raise ValueError(f"{where}: {entry!r} is neither a date nor a [first, last] range")
        if first > last:
            raise ValueError(f"{where}: the range {entry!r} ends before it starts")
        day = first
        while day <= last:
            out.add(day)
            day += timedelta(days=1)
    if any(d.year != year for d in out):
        raise ValueError(f"{where}: every day must fall in {year}")
    return frozenset(out)


def parse(text: str, source: str = "holidays file") -> dict[int, YearSchedule]:
    """Read the data file's text into schedules by year, or raise ValueError naming the fault."""
    doc = json.loads(text)
    years = doc.get("years", {}) if isinstance(doc, dict) else None
    if not isinstance(years, dict):
        raise ValueError(f"{source}: expected an object with a 'years' object")  # noqa: TRY004 - a bad file, not a bad call
    out: dict[int, YearSchedule] = {}
    for key, value in years.items():
        year = int(key)
        if not isinstance(value, dict):
            raise ValueError(f"{source}: year {key} must be an object")  # noqa: TRY004 - a bad file, not a bad call
        out[year] = YearSchedule(
            _days(value.get("holidays", []), year, f"{source} {key}.holidays"),
            _days(value.get("workdays", []), year, f"{source} {key}.workdays"),
        )
    return out


def load(path: Path | None) -> Calendar:
    """The calendar from ``path`` (the packaged file when None) and the library."""
    chosen = path or PACKAGED
    return Calendar(parse(chosen.read_text(encoding="utf-8"), str(chosen)))


class Calendar:
    """Says whether a day is a working day, or that its year has no published schedule."""

    def __init__(self, years: Mapping[int, YearSchedule] | None = None) -> None:
        self.years = dict(years or {})

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; raise ScheduleMissing for an unpublished year."""
        schedule = self.years.get(day.year)
        if schedule is not None:
            return schedule.is_workday(day)
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise ScheduleMissing(
                f"{day.year} 年的节假日安排尚未录入，无法计算工作日。请在节假日数据文件中补充国务院"
                f"公布的 {day.year} 年安排，或直接填写公示截止日期。",
                f"There is no holiday schedule for {day.year} yet, so working days cannot be "
                f"counted: add the State Council's {day.year} notice to the holidays file, or "
                "give the end date yourself.",
            ) from None

    def nth_workday_after(self, day: date, n: int) -> date:
        """Return the ``n``-th working day after ``day`` (``day`` itself never counts)."""
        if n < 1:
            raise ValueError("n counts working days from 1")
        count = 0
        while count < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return day

    def publicity_end(self, published_on: date) -> date:
        """The last day of a publicity period published on ``published_on``."""
        return self.nth_workday_after(published_on, PUBLICITY_DAYS)
