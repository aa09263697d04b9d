"""Month arithmetic on the declaration calendar (months are dates on the 1st)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def same_day_months_later(day: date, count: int) -> date:
    """The same day of the month `count` months later, the month's last day when it is shorter
    (24/01/2025 + 12 months = 24/01/2026; 31/05 + 1 month = 30/06)."""
    month = add_months(day, count)
    return month.replace(day=min(day.day, month_end(month).day))


@lru_cache(maxsize=4096)
def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_of(day: date) -> date:
    return day.replace(day=1)


def months_between(first: date, second: date) -> int:
    """Whole months from the month of `first` to the month of `second`."""
    return (second.year - first.year) * 12 + second.month - first.month


def days(count: int) -> timedelta:
    return timedelta(days=count)


def period_code(month: date, quarterly: bool) -> str:
    """S21.G00.55.004 period: 2025M03 or 2025T01."""
    if quarterly:
        return f"{month.year}T{(month.month - 1) // 3 + 1:02d}"
    return f"{month.year}M{month.month:02d}"


def period_bounds(month: date, quarterly: bool) -> tuple[date, date]:
    if not quarterly:
        return month, month_end(month)
    first = date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return first, month_end(add_months(first, 2))


def is_period_last_month(month: date, quarterly: bool) -> bool:
    return not quarterly or month.month % 3 == 0


def dsn_date(day: date) -> str:
    """JJMMAAAA (formatted by hand: strftime is the generator's hottest call)."""
    return f"{day.day:02d}{day.month:02d}{day.year}"
