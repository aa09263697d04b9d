"""Calls of contributions: what each company owes per contract, population and period.

Input: `contributions`, one row per affiliation and month (from the DSN core model):

    siren               String   the company
    contract_reference  String   S21.G00.15.001 of the affiliation's adhésion
    population          String   S21.G00.70.005 (null allowed)
    option              String   S21.G00.70.004 (null allowed)
    month               Date     first day of the declared month (S20.G00.05.005)
    amount              Decimal  the contribution declared: S21.G00.81 code 059, .004
    tranche_a           Decimal  base component S21.G00.79 type 11 (null: not declared)
    tranche_b           Decimal  base component S21.G00.79 type 13
    pmss                Decimal  base component S21.G00.79 type 18 (flat base: the ceiling)
    employee_key        String   the employee (NIR or NTT), counted per call

(option and the bases may be left out: then there is no expected amount; the employee too: then
no employee is counted), and the contracts'
terms (`ledgers.contract_terms.ContractTerms`). A contract without terms is still called, flagged
`contract_known = False` (its due dates, expected amounts and dunning are provisional), with
the default due-date rule and the periodicity the company declares it pays at: the kind of
period (month, quarter, half-year, year) its S21.G00.55.004 codes name most often for that
contract (`declared_payments`: siren, contract_reference, period_code), else monthly.

Output (`CALLS_SCHEMA`): one row per company, contract, population and period, with the
declared contributions (Σ 059), the amount expected from the contract's rates × bases (rounded
half-up to the cent per affiliation and month, as the contract computes it) and the gap, the
due date and the date the portal shows the period, and what the portal details of it: the
employees counted and the bases summed (null when none of the period's contributions declares
that base).
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ledgers.contract_terms import RATE_DECIMALS, ContractTerms, rates_frame
from ledgers.periods import DayOfFollowingMonth, DueDateRule, Period, Periodicity, visible_from
from ledgers.tables import CALLS

__all__ = ["AMOUNT", "CALLS_SCHEMA", "CONTRIBUTIONS_SCHEMA", "build_calls", "call_reference"]

AMOUNT = pl.Decimal(18, 2)

CONTRIBUTIONS_SCHEMA = pl.Schema(
    {
        "siren": pl.String(),
        "contract_reference": pl.String(),
        "population": pl.String(),
        "option": pl.String(),
        "month": pl.Date(),
        "amount": AMOUNT,
        "tranche_a": AMOUNT,
        "tranche_b": AMOUNT,
        "pmss": AMOUNT,
        "employee_key": pl.String(),
    }
)

# What is due per company, contract, population and period (ledger.calls).
CALLS_SCHEMA = CALLS.polars_schema()

DEFAULT_DUE_DATE_RULE: DueDateRule = DayOfFollowingMonth(day=15)

_DATES_SCHEMA = pl.Schema(
    {
        "contract_reference": pl.String(),
        "period_code": pl.String(),
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "months_in_period": pl.UInt32(),
        "due_date": pl.Date(),
        "visible_from": pl.Date(),
    }
)
_OPTIONAL_COLUMNS = ("option", "tranche_a", "tranche_b", "pmss", "employee_key")
_BASE_COLUMNS = {"tranche_a": "tranche_a", "tranche_b": "tranche_b", "pmss": "pmss"}


def call_reference(contract_reference: str, period_code: str) -> str:
    """Our reference of a call, as printed on it: `<contract>-<period>` (`000012/P123-2024T01`)."""
    return f"{contract_reference}-{period_code}"


def build_calls(
    contributions: pl.DataFrame,
    contracts: Iterable[ContractTerms],
    *,
    declared_payments: pl.DataFrame | None = None,
    dsn_filing_day: int = 15,
    default_due_date_rule: DueDateRule = DEFAULT_DUE_DATE_RULE,
) -> pl.DataFrame:
    """The calls of every company, contract, population and period found in `contributions`."""
    terms = {t.contract_reference: t for t in contracts}
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in CONTRIBUTIONS_SCHEMA.items()
        if name in _OPTIONAL_COLUMNS and name not in contributions.columns
    ]
    rows = (
        contributions.with_columns(missing)
        .select(list(CONTRIBUTIONS_SCHEMA))
        .cast(CONTRIBUTIONS_SCHEMA)
        # a contribution whose adhésion could not be found is still due: on contract ""
        .with_columns(pl.col("contract_reference").fill_null(""))
        .with_row_index("row")
    )
    rows = rows.join(
        declared_period_kinds(declared_payments), on=["siren", "contract_reference"], how="left"
    )
    rows = rows.with_columns(_expected_cents(rows, list(terms.values())), _period_code(terms))
    grouped = (
        rows.group_by("siren", "contract_reference", "population", "period_code")
        .agg(
            pl.col("month").n_unique().cast(pl.UInt32).alias("months_declared"),
            pl.col("amount").sum().alias("declared"),
            pl.when(pl.col("expected_cents").is_null().any())
            .then(None)
            .otherwise(pl.col("expected_cents").sum())
            .alias("expected_cents"),
            pl.col("employee_key").drop_nulls().n_unique().cast(pl.UInt32).alias("employees"),
            *(_base_sum(base) for base in _BASE_COLUMNS),
        )
        .with_columns(
            (pl.col("expected_cents").cast(AMOUNT) / 100).cast(AMOUNT).alias("expected"),
            pl.col("declared").cast(AMOUNT),
        )
        .with_columns((pl.col("declared") - pl.col("expected")).cast(AMOUNT).alias("gap"))
    )
    organismes = {ref: t.organisme_code for ref, t in terms.items()}
    # dates depend on the contract's rule and the period only: computed once per pair
    pairs = grouped.select("contract_reference", "period_code").unique()
    dates = pl.DataFrame(
        [
            {
                "contract_reference": ref,
                "period_code": code,
                **_call_dates(terms.get(ref), code, dsn_filing_day, default_due_date_rule),
            }
            for ref, code in pairs.iter_rows()
        ],
        schema=_DATES_SCHEMA,
    )
    calls = grouped.join(dates, on=["contract_reference", "period_code"], how="left").with_columns(
        pl.col("contract_reference")
        .replace_strict(organismes, default=None, return_dtype=pl.String)
        .alias("organisme_code"),
        pl.col("contract_reference").is_in(list(terms)).alias("contract_known"),
        pl.concat_str(
            "siren",
            "contract_reference",
            pl.col("population").fill_null(""),
            "period_code",
            separator="|",
        ).alias("call_id"),
        pl.concat_str("contract_reference", "period_code", separator="-").alias("call_reference"),
    )
    return calls.select(list(CALLS_SCHEMA)).cast(CALLS_SCHEMA).sort("call_id")


def _base_sum(base: str) -> pl.Expr:
    """The period's `base` summed, null when no contribution declares it (a sum of none is 0)."""
    declared = pl.col(base)
    return pl.when(declared.is_not_null().any()).then(declared.sum()).alias(f"base_{base}")


def declared_period_kinds(declared_payments: pl.DataFrame | None) -> pl.DataFrame:
    """Per company and contract, the kind of period (M, T, S or A) its declared payments name
    most often in S21.G00.55.004, the shorter period on a tie; malformed codes are ignored."""
    schema = pl.Schema(
        {"siren": pl.String(), "contract_reference": pl.String(), "declared_kind": pl.String()}
    )
    if declared_payments is None or declared_payments.is_empty():
        return pl.DataFrame(schema=schema)
    kinds = declared_payments.select(
        "siren",
        pl.col("contract_reference").fill_null(""),
        pl.col("period_code").str.strip_chars().str.extract(r"^\d{4}([MTSA])\d{2}$").alias("kind"),
    ).drop_nulls("kind")
    return (
        kinds.group_by("siren", "contract_reference", "kind")
        .len()
        .with_columns(pl.col("kind").replace_strict(_MONTHS_PER_KIND).alias("size"))
        .sort("len", "size", descending=[True, False])
        .unique(["siren", "contract_reference"], keep="first")
        .select("siren", "contract_reference", pl.col("kind").alias("declared_kind"))
        .cast(schema)
    )


_MONTHS_PER_KIND = {"M": 1, "T": 3, "S": 6, "A": 12}


def _period_code(terms: dict[str, ContractTerms]) -> pl.Expr:
    """The period of each row: as the contract's terms say, else as the company declares it pays
    (`declared_kind`), else the month."""
    kind_of_terms = {
        ref: "T" if t.periodicity is Periodicity.QUARTERLY else "M" for ref, t in terms.items()
    }
    kind = pl.coalesce(
        pl.col("contract_reference").replace_strict(
            kind_of_terms, default=None, return_dtype=pl.String
        ),
        pl.col("declared_kind"),
        pl.lit("M"),
    )
    size = kind.replace_strict(_MONTHS_PER_KIND, return_dtype=pl.Int8)
    number = ((pl.col("month").dt.month() - 1) // size + 1).cast(pl.String).str.zfill(2)
    return pl.concat_str(
        pl.col("month").dt.year().cast(pl.String),
        kind,
        pl.when(kind == "A").then(pl.lit("00")).otherwise(number),
    ).alias("period_code")


# Rows joined to their contract's rate lines at a time: the join holds rows × rate lines, so a
# whole history at once was the night's peak of memory.
_EXPECTED_CHUNK_ROWS = 100_000


def _expected_cents(rows: pl.DataFrame, contracts: list[ContractTerms]) -> pl.Series:
    """rate × base per affiliation and month, in integer cents rounded half-up, as a column
    aligned on `rows` (null when no rate applies or a base the rates need is missing)."""
    rates = rates_frame(contracts)
    needed = rows.select(
        "row", "contract_reference", "population", "option", "month", *_BASE_COLUMNS.values()
    )
    chunks = needed.iter_slices(_EXPECTED_CHUNK_ROWS) if needed.height else [needed]
    per_row = pl.concat([_chunk_expected_cents(chunk, rates) for chunk in chunks])
    aligned = rows.select("row").join(per_row, on="row", how="left").sort("row")
    return aligned["expected_cents"]


def _chunk_expected_cents(rows: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """row, expected_cents of the rows a rate applies to."""
    applicable = rows.join(rates, on=["contract_reference", "population"], how="inner").filter(
        (pl.col("option_right").is_null() | (pl.col("option_right") == pl.col("option")))
        & (pl.col("effective_from") <= pl.col("month"))
        & (pl.col("effective_to").is_null() | (pl.col("month") <= pl.col("effective_to")))
    )
    base = pl.coalesce(
        *(pl.when(pl.col("base") == name).then(pl.col(col)) for name, col in _BASE_COLUMNS.items())
    )
    base_cents = (base * 100).cast(pl.Int64)
    unit = 10 ** (RATE_DECIMALS + 2)  # cents × percent·10^k → cents
    return (
        applicable.select("row", (base_cents * pl.col("rate_scaled")).alias("product"))
        .group_by("row")
        .agg(
            pl.when(pl.col("product").is_null().any())
            .then(None)
            .otherwise((pl.col("product").sum() + unit // 2) // unit)
            .alias("expected_cents")
        )
    )


def _call_dates(
    terms: ContractTerms | None, period_code: str, filing_day: int, default_rule: DueDateRule
) -> dict[str, object]:
    period = Period.from_code(period_code)
    rule = terms.due_date_rule if terms is not None else default_rule
    return {
        "period_start": period.start,
        "period_end": period.end,
        "months_in_period": len(period.months),
        "due_date": rule.due_date(period),
        "visible_from": visible_from(period, filing_day),
    }
