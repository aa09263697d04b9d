"""Pre-filled provident claims and daily allowance estimates.

A claim is prepared for every stoppage that a provident contract covers and whose reason its
franchise counts, as soon as the DSN shows it (the claims team follows it before the franchise
ends). The reference salary is the gross pay (51.011 = 001) of the N months before the month of
the first day off, from the monthly DSNs: a signalement carries no salary. The daily allowance
is an ESTIMATE (« estimation »): percentage of the annualised reference salary per day, from the
day allowances would start; the insurer's benefits system computes what is paid.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from quality.stoppages.episodes import CONTRACT_KEY, last_day_off
from quality.stoppages.inputs import AMOUNT
from quality.stoppages.terms import ProvidentTerms

ESTIMATE_LABEL = "estimation"
CENT = Decimal("0.01")

CLAIM_COLUMNS = [
    "episode_id",
    "siren",
    "siret",
    *CONTRACT_KEY,
    "contract_reference",
    "reason",
    "last_day_worked",
    "first_day_off",
    "planned_end",
    "return_date",
    "status",
    "subrogation",
    "subrogation_start",
    "subrogation_end",
    "therapeutic_periods",
    "franchise_days",
    "franchise_mode",
    "allowances_start",
    "reference_months",  # the contract's window
    "reference_months_found",  # monthly DSNs of the window with a gross pay
    "reference_salary",
    "allowance_percent",
    "daily_allowance",
    "indemnified_days",  # from allowances_start to the return (or the observation end)
    "allowance_to_date",
    "estimate",  # always « estimation »
]


def claims(
    episodes: pl.DataFrame,
    gross_pay: pl.DataFrame,
    terms: dict[str, ProvidentTerms],
    as_of: date | None,
) -> pl.DataFrame:
    """`episodes` with franchise columns (franchise.franchise_starts joined on episode_id)."""
    covered = episodes.filter(pl.col("franchise_days").is_not_null()).with_columns(
        reference_months=pl.col("contract_reference").replace_strict(
            {r: t.reference_salary_months for r, t in terms.items()}, return_dtype=pl.Int32
        ),
        allowance_percent=pl.col("contract_reference").replace_strict(
            {r: t.allowance_percent for r, t in terms.items()}, return_dtype=pl.Decimal(5, 2)
        ),
        last_off=last_day_off(as_of),
    )
    with_salary = covered.join(
        _reference_salaries(covered, gross_pay), on="episode_id", how="left"
    ).with_columns(
        pl.col("reference_salary").fill_null(Decimal("0.00")).cast(AMOUNT),
        pl.col("reference_months_found").fill_null(0),
    )
    estimates = pl.DataFrame(
        [_estimate(row) for row in with_salary.iter_rows(named=True)],
        schema={
            "episode_id": pl.String(),
            "daily_allowance": AMOUNT,
            "indemnified_days": pl.Int32(),
            "allowance_to_date": AMOUNT,
        },
    )
    return (
        with_salary.join(estimates, on="episode_id", how="left")
        .with_columns(estimate=pl.lit(ESTIMATE_LABEL))
        .select(CLAIM_COLUMNS)
        .sort("siren", "employee_key", "first_day_off")
    )


def _reference_salaries(covered: pl.DataFrame, gross_pay: pl.DataFrame) -> pl.DataFrame:
    stoppage_month = pl.col("first_day_off").dt.month_start()
    window = covered.select(
        "episode_id",
        "siren",
        "employee_key",
        stoppage_month.alias("window_end"),
        stoppage_month.dt.offset_by(
            pl.concat_str(pl.lit("-"), pl.col("reference_months").cast(pl.String), pl.lit("mo"))
        ).alias("window_start"),
    )
    return (
        window.join(gross_pay, on=["siren", "employee_key"], how="inner")
        .filter(
            (pl.col("month") >= pl.col("window_start")) & (pl.col("month") < pl.col("window_end"))
        )
        .group_by("episode_id")
        .agg(
            pl.col("gross").sum().cast(AMOUNT).alias("reference_salary"),
            pl.col("month").n_unique().cast(pl.Int32).alias("reference_months_found"),
        )
    )


def _estimate(row: dict[str, object]) -> dict[str, object]:
    """Daily allowance = annualised reference salary / 365 x percentage (an estimate)."""
    salary, found = row["reference_salary"], row["reference_months_found"]
    percent, start, last_off = row["allowance_percent"], row["allowances_start"], row["last_off"]
    assert isinstance(salary, Decimal) and isinstance(found, int) and isinstance(percent, Decimal)
    daily = None
    if found:
        daily = (salary * 12 / found / 365 * percent / 100).quantize(CENT, ROUND_HALF_UP)
    days = None
    if isinstance(start, date) and isinstance(last_off, date):
        days = max(0, (last_off - start).days + 1)
    to_date = (daily * days).quantize(CENT) if daily is not None and days is not None else None
    return {
        "episode_id": row["episode_id"],
        "daily_allowance": daily,
        "indemnified_days": days,
        "allowance_to_date": to_date,
    }
