"""Balances per call, per contract period and per company, and the identities they must keep.

Inputs: `calls` (`ledgers.calls.CALLS_SCHEMA`), `allocations` (`ledgers.allocation.
ALLOCATIONS_SCHEMA`) and, for the bank identity, the movements the allocation considered
(`AllocationResult.movements`: movement_id, amount). A balance is what the company still owes:
positive = debit balance (owed to the insurer), negative = overpaid.

The identities (called by the quality gates on the published tables, and by the tests):
- per company: Σ calls − Σ payments allocated to calls = balance, to the cent;
- per movement and overall: Σ bank amounts = Σ allocated + Σ unallocated (suspense included).
Each returns the rows that break it: an empty frame means it holds.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ledgers.calls import AMOUNT
from ledgers.periods import Period, PeriodCodeError

__all__ = [
    "balances_by_call",
    "balances_by_company",
    "balances_by_period",
    "bank_identity_breaks",
    "company_identity_breaks",
]


def _paid(allocations: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    rows = allocations.filter(pl.col("call_id").is_not_null())
    if as_of is not None:
        rows = rows.filter(pl.col("date") <= as_of)
    return rows.group_by("call_id").agg(pl.col("amount").sum().alias("paid"))


def balances_by_call(
    calls: pl.DataFrame, allocations: pl.DataFrame, *, as_of: date | None = None
) -> pl.DataFrame:
    """Every call with `paid` (net of returns) and `balance` = declared − paid; with `as_of`,
    only the payments dated that day or before count."""
    return (
        calls.join(_paid(allocations, as_of), on="call_id", how="left")
        .with_columns(pl.col("paid").fill_null(0).cast(AMOUNT))
        .with_columns((pl.col("declared") - pl.col("paid")).cast(AMOUNT).alias("balance"))
        .sort("call_id")
    )


def balances_by_period(
    calls: pl.DataFrame,
    allocations: pl.DataFrame,
    *,
    declared_payments: pl.DataFrame | None = None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """The portal's view: per company, contract and period (populations added up) the
    contributions due, expected, paid and the balance; with `declared_payments` (one row per
    S21.G00.55 component: siren, contract_reference, period_code, amount) also what the company
    declared it paid, and a row for each period it declared a payment for but no contribution;
    with `as_of`, payments after it are left out and `visible` says whether the portal shows
    the period yet. `provisional`: the contract has no parameter file (a call of the period is
    not `contract_known`), so its due date and expected amount are the pipeline's guess."""
    keys = _PERIOD_KEYS
    periods = (
        balances_by_call(calls, allocations, as_of=as_of)
        .group_by(keys)
        .agg(
            pl.col("period_start").first(),
            pl.col("period_end").first(),
            pl.col("due_date").min(),
            pl.col("visible_from").max(),
            pl.col("declared").sum().cast(AMOUNT),
            pl.when(pl.col("expected").is_null().any())
            .then(None)
            .otherwise(pl.col("expected").sum())
            .cast(AMOUNT)
            .alias("expected"),
            pl.col("paid").sum().cast(AMOUNT),
            pl.col("balance").sum().cast(AMOUNT),
            (~pl.col("contract_known").all()).alias("provisional"),
        )
    )
    if as_of is not None:  # the portal shows a period once all its monthly DSNs are due
        periods = periods.with_columns((pl.col("visible_from") <= as_of).alias("visible"))
    if declared_payments is not None:
        declared = declared_payments.group_by(keys).agg(
            pl.col("amount").sum().cast(AMOUNT).alias("declared_paid")
        )
        periods = periods.join(declared, on=keys, how="left").with_columns(
            pl.col("declared_paid").fill_null(0).cast(AMOUNT)
        )
        known = calls.filter(pl.col("contract_known"))["contract_reference"].unique()
        periods = _with_periods_only_paid(periods, declared, known)
    return periods.sort(keys, nulls_last=True)


_PERIOD_KEYS = ["siren", "contract_reference", "period_code"]


def _period_bounds(code: str | None) -> dict[str, date | None]:
    try:
        period = Period.from_code(code or "")
    except PeriodCodeError:  # a malformed 55.004 keeps its row, without dates
        return {"period_start": None, "period_end": None}
    return {"period_start": period.start, "period_end": period.end}


def _with_periods_only_paid(
    periods: pl.DataFrame, declared: pl.DataFrame, known_contracts: pl.Series
) -> pl.DataFrame:
    """`periods` plus a row per period the DSNs declare a payment for but no contribution
    (seen in real files: 2019 months paying a contract without any 059), so every declared
    payment shows in the portal's view; such a period owes nothing and has no due date."""
    only_paid = declared.join(
        periods.select(_PERIOD_KEYS), on=_PERIOD_KEYS, how="anti", nulls_equal=True
    )
    bounds = pl.DataFrame(
        [_period_bounds(code) for code in only_paid["period_code"]],
        schema={"period_start": pl.Date(), "period_end": pl.Date()},
    )
    zero = pl.lit(0, dtype=AMOUNT)
    extra = pl.concat([only_paid, bounds], how="horizontal").with_columns(
        declared=zero,
        paid=zero,
        balance=zero,
        provisional=~pl.col("contract_reference").is_in(known_contracts.implode()),
    )
    return pl.concat([periods, extra], how="diagonal_relaxed").cast(periods.schema)


_COMPANY_AMOUNTS = ("due", "paid", "balance", "unallocated_credit", "net_position")


def balances_by_company(
    calls: pl.DataFrame, allocations: pl.DataFrame, *, as_of: date | None = None
) -> pl.DataFrame:
    """Per company: due, paid, balance, unallocated credit and the net position
    (balance − unallocated credit). The suspense account (siren null) is its own row."""
    by_call = balances_by_call(calls, allocations, as_of=as_of)
    due = by_call.group_by("siren").agg(
        pl.col("declared").sum().alias("due"),
        pl.col("paid").sum(),
        pl.col("balance").sum(),
    )
    unallocated_rows = allocations.filter(pl.col("call_id").is_null())
    if as_of is not None:
        unallocated_rows = unallocated_rows.filter(pl.col("date") <= as_of)
    unallocated = unallocated_rows.group_by("siren").agg(
        pl.col("amount").sum().alias("unallocated_credit")
    )
    return (
        due.join(unallocated, on="siren", how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("due", "paid", "balance", "unallocated_credit").fill_null(0))
        .with_columns((pl.col("balance") - pl.col("unallocated_credit")).alias("net_position"))
        .cast(
            dict.fromkeys(("due", "paid", "balance", "unallocated_credit", "net_position"), AMOUNT)
        )
        .sort("siren", nulls_last=True)
    )


def company_identity_breaks(
    calls: pl.DataFrame, allocations: pl.DataFrame, company_balances: pl.DataFrame
) -> pl.DataFrame:
    """Companies whose published balance is not Σ calls − Σ payments allocated to calls."""
    due = calls.group_by("siren").agg(pl.col("declared").sum().alias("calls_total"))
    paid = (
        allocations.filter(pl.col("call_id").is_not_null())
        .group_by("siren")
        .agg(pl.col("amount").sum().alias("allocated_total"))
    )
    return (
        company_balances.filter(pl.col("siren").is_not_null())
        .select("siren", "balance")
        .join(due, on="siren", how="full", coalesce=True)
        .join(paid, on="siren", how="full", coalesce=True)
        .with_columns(pl.col("balance", "calls_total", "allocated_total").fill_null(0))
        .with_columns(
            (pl.col("calls_total") - pl.col("allocated_total") - pl.col("balance"))
            .cast(AMOUNT)
            .alias("gap")
        )
        .filter(pl.col("gap") != 0)
        .sort("siren")
    )


def bank_identity_breaks(movements: pl.DataFrame, allocations: pl.DataFrame) -> pl.DataFrame:
    """Movements whose amount is not exactly the sum of their allocation rows (allocated to
    calls + unallocated credit + suspense), and allocation rows of no known movement. Summed
    over all movements this is Σ bank credits = Σ allocated + Σ unallocated."""
    posted = allocations.group_by("movement_id").agg(pl.col("amount").sum().alias("posted"))
    return (
        movements.select("movement_id", "amount")
        .join(posted, on="movement_id", how="full", coalesce=True)
        .with_columns(pl.col("amount", "posted").fill_null(0))
        .with_columns((pl.col("amount") - pl.col("posted")).cast(AMOUNT).alias("gap"))
        .filter(pl.col("gap") != 0)
        .sort("movement_id")
    )
