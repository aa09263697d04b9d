"""Contribution periods: months, quarters, DSN period codes, due dates and portal visibility.

A period is a run of whole months (one month, a quarter, a half-year or a year). Its code is
the one DSN payments use in S21.G00.55.004: `AAAA` + `Mnn` (month), `Tnn` (quarter), `Snn`
(half-year) or `A00` (year), e.g. `2020T04` = 1 October–31 December 2020.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.parameters import DueDateRule as ParameterDueDateRule
from contracts.parameters import Periodicity

__all__ = [
    "ContractDueDateRule",
    "DayOfFollowingMonth",
    "DaysAfterPeriodEnd",
    "DueDateRule",
    "Period",
    "PeriodCodeError",
    "Periodicity",
    "add_months",
    "dsn_deadline",
    "month_end",
    "period_containing",
    "visible_from",
]


_MONTHS_PER_PERIOD = {"M": 1, "T": 3, "S": 6, "A": 12}
_PERIOD_CODE = re.compile(r"^(\d{4})([MTSA])(\d{2})$")


class PeriodCodeError(ValueError):
    """A period code that is not `AAAA` + `Mnn`/`Tnn`/`Snn`/`A00` (French message)."""


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after the month of `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True, order=True)
class Period:
    """Whole months from `start` (a 1st) to `end` (a month's last day), with its DSN code."""

    start: date
    end: date
    code: str

    @classmethod
    def from_code(cls, code: str) -> Period:
        match = _PERIOD_CODE.match(code.strip())
        if match is None:
            raise PeriodCodeError(
                f"Code de période invalide : {code!r} (attendu AAAAMnn, AAAATnn, AAAASnn, AAAAA00)"
            )
        year, kind, number = int(match[1]), match[2], int(match[3])
        size = _MONTHS_PER_PERIOD[kind]
        count = 12 // size
        if kind == "A" and number == 0:
            number = 1
        if not 1 <= number <= count:
            raise PeriodCodeError(f"Code de période invalide : {code!r} (numéro hors limites)")
        start = date(year, (number - 1) * size + 1, 1)
        return cls(start, month_end(add_months(start, size - 1)), code.strip())

    @property
    def months(self) -> list[date]:
        """The first day of each month of the period."""
        result = [self.start]
        while (following := add_months(result[-1], 1)) <= self.end:
            result.append(following)
        return result

    @property
    def label(self) -> str:
        """French label as the portal shows it: `du 01/10/2023 au 31/12/2023`."""
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"


def period_containing(month: date, periodicity: Periodicity) -> Period:
    """The monthly or quarterly period of a contract that contains this month."""
    if periodicity is Periodicity.MONTHLY:
        return Period(month.replace(day=1), month_end(month), f"{month.year}M{month.month:02d}")
    quarter = (month.month - 1) // 3 + 1
    start = date(month.year, 3 * quarter - 2, 1)
    return Period(start, month_end(add_months(start, 2)), f"{month.year}T{quarter:02d}")


@dataclass(frozen=True)
class DaysAfterPeriodEnd:
    """Due this many days after the period's last day (the contract-parameter file's rule)."""

    days: int

    def due_date(self, period: Period) -> date:
        return period.end + timedelta(days=self.days)


@dataclass(frozen=True)
class DayOfFollowingMonth:
    """Due on a given day of the month `months_after` months after the period's last month:
    `DayOfFollowingMonth(15)` = the 15th of the next month; `day=None` = that month's last day
    (quarterly contracts are commonly payable by the end of the month after the quarter)."""

    day: int | None
    months_after: int = 1

    def due_date(self, period: Period) -> date:
        month = add_months(period.end, self.months_after)
        if self.day is None:
            return month_end(month)
        return month.replace(day=min(self.day, month_end(month).day))


@dataclass(frozen=True)
class ContractDueDateRule:
    """The due-date rule of a contract parameter file, applied exactly as the file's model
    defines it (`contracts.parameters.DueDateRule.due_date`)."""

    rule: ParameterDueDateRule

    def due_date(self, period: Period) -> date:
        return self.rule.due_date(period.end)


DueDateRule = DaysAfterPeriodEnd | DayOfFollowingMonth | ContractDueDateRule


def dsn_deadline(month: date, filing_day: int = 15) -> date:
    """The date by which the monthly DSN of `month` must be filed: the 5th (≥ 50 employees,
    pay in the month) or the 15th of the next month (code de la sécurité sociale R.243-6)."""
    return add_months(month, 1).replace(day=filing_day)


def visible_from(period: Period, filing_day: int = 15) -> date:
    """The day the portal shows the period: the 1st of the month following the deadline of its
    last monthly DSN (seed: 01/10/2023–31/12/2023 visible from 01/02/2024)."""
    return add_months(dsn_deadline(period.months[-1], filing_day), 1)
