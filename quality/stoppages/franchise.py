"""When daily allowances would start: the day after the contract's franchise is used up.

Continuous franchise: N days off in the same stoppage, so allowances start on first day off + N.
Cumulated franchise: N days off counted over the 12 months before the day (every episode of the
same contract whose reason the franchise counts); allowances start on the first day off of the
stoppage on which that count reaches N. Either way the day must still be a day off.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import polars as pl

from quality.stoppages.catalogue import EpisodeStatus
from quality.stoppages.episodes import CONTRACT_KEY, last_day_off
from quality.stoppages.terms import FranchiseMode, ProvidentTerms

FRANCHISE_COLUMNS: dict[str, pl.DataType] = {
    "episode_id": pl.String(),
    "franchise_days": pl.Int32(),
    "franchise_mode": pl.String(),
    "allowances_start": pl.Date(),  # null: franchise not reached (yet)
}

Period = tuple[date, date]


def franchise_starts(
    episodes: pl.DataFrame, terms: dict[str, ProvidentTerms], as_of: date | None
) -> pl.DataFrame:
    """One row per covered episode the franchise counts (columns FRANCHISE_COLUMNS).

    `episodes` needs `contract_reference` (see terms.with_provident_contract)."""
    counted = (
        episodes.filter(
            pl.col("contract_reference").is_not_null()
            & (pl.col("status") != EpisodeStatus.CANCELLED.value)
            & ~pl.col("return_only")
        )
        .with_columns(last_off=last_day_off(as_of))
        .filter(pl.col("last_off").is_not_null())
        .sort("first_day_off")
    )
    periods: dict[tuple[object, ...], list[Period]] = defaultdict(list)
    candidates = []
    for row in counted.iter_rows(named=True):
        contract = terms[row["contract_reference"]]
        if row["reason"] not in contract.franchise_reasons:
            continue
        key = tuple(row[k] for k in CONTRACT_KEY)
        periods[key].append((row["first_day_off"], row["last_off"]))
        candidates.append((row, contract, key))
    rows = []
    for row, contract, key in candidates:
        own: Period = (row["first_day_off"], row["last_off"])
        others = (
            periods[key] if contract.franchise_mode is FranchiseMode.CUMULATED_12_MONTHS else []
        )
        rows.append(
            {
                "episode_id": row["episode_id"],
                "franchise_days": contract.franchise_days,
                "franchise_mode": contract.franchise_mode.value,
                "allowances_start": allowances_start(own, others, contract.franchise_days),
            }
        )
    return pl.DataFrame(rows, schema=FRANCHISE_COLUMNS)


def allowances_start(own: Period, others: list[Period], franchise_days: int) -> date | None:
    """First day of `own` with `franchise_days` days off before it (in `own`, and in `others`
    within the 12 months before that day); None when `own` ends first."""
    first, last = own
    day = first
    # Own days alone reach the franchise at first + franchise_days: never look further.
    while day <= min(last, first + timedelta(days=franchise_days)):
        window_start = _one_year_before(day)
        counted = (day - first).days + sum(
            _days_between(period, window_start, first - timedelta(days=1))
            for period in others
            if period[0] < first
        )
        if counted >= franchise_days:
            return day
        day += timedelta(days=1)
    return None


def _days_between(period: Period, start: date, end: date) -> int:
    overlap = (min(period[1], end) - max(period[0], start)).days + 1
    return max(0, overlap)


def _one_year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)
