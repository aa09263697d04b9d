"""The account statement of a company for any date range (the portal's "situation de compte"),
as a frame and as an Excel file.

Inputs: `calls` (`ledgers.calls.CALLS_SCHEMA`) and `allocations` (`ledgers.allocation.
ALLOCATIONS_SCHEMA`). A call is a debit on its due date; a payment allocated to it, or left as
unallocated credit, a credit on its date; a returned direct debit a debit on its return date.
The running balance starts from the balance before the range: positive = owed by the company.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter

from ledgers.allocation import Entry
from ledgers.calls import AMOUNT
from ledgers.periods import Period
from ledgers.tables import STATEMENT_LINES

__all__ = [
    "STATEMENT_SCHEMA",
    "account_statement",
    "account_statements",
    "write_statement_excel",
]

# A company's statement lines; the store numbers them per company.
STATEMENT_SCHEMA = STATEMENT_LINES.polars_schema(exclude=("siren", "line_number"))

HEADERS = {
    "date": "Date",
    "label": "Libellé",
    "contract_reference": "Contrat",
    "period": "Période",
    "debit": "Débit (€)",
    "credit": "Crédit (€)",
    "balance": "Solde (€)",
}

_OPENING = "Solde au {:%d/%m/%Y}"
_CALL = "Cotisations {period}"
_LABELS = {
    Entry.CALL: "Paiement reçu",
    Entry.CREDIT: "Paiement non affecté (crédit disponible)",
    Entry.REVERSAL: "Rejet de prélèvement (paiement retourné)",
}
_UNMATCHED_RETURN = "Paiement retourné non rapproché"


def account_statement(
    calls: pl.DataFrame, allocations: pl.DataFrame, siren: str, start: date, end: date
) -> pl.DataFrame:
    """The statement lines of `siren` dated from `start` to `end` (inclusive), after an opening
    line carrying the balance of everything dated before `start`."""
    statement = account_statements(calls, allocations, [siren], start, end)
    return statement.select(list(STATEMENT_SCHEMA))


def account_statements(
    calls: pl.DataFrame,
    allocations: pl.DataFrame,
    sirens: Collection[str],
    start: date,
    end: date,
) -> pl.DataFrame:
    """The statements of `sirens` (`account_statement`) in one frame, by SIREN, each numbered
    from 1 (`siren`, `line_number`): computed for every company at once, since a night writes
    hundreds of them (one at a time, 5 ms each)."""
    chosen = pl.DataFrame({"siren": sorted(set(sirens))}, schema={"siren": pl.String()})
    lines = pl.concat([_call_lines(calls, chosen), _payment_lines(allocations, chosen)])
    net = pl.col("debit").fill_null(0) - pl.col("credit").fill_null(0)
    before = lines.filter(pl.col("date") < start).group_by("siren").agg(net.sum().alias("opening"))
    openings = chosen.join(before, on="siren", how="left").with_columns(
        pl.col("opening").fill_null(0).cast(AMOUNT)
    )
    body = (
        lines.filter(pl.col("date").is_between(start, end))
        .sort("siren", "date", "order", "contract_reference", "period_code", "key", nulls_last=True)
        .join(openings, on="siren", how="left", maintain_order="left")
        .with_columns(
            balance=net.cum_sum().over("siren") + pl.col("opening"),
            line_number=pl.int_range(2, pl.len() + 2, dtype=pl.UInt32).over("siren"),
        )
    )
    opening_lines = openings.select(
        "siren",
        line_number=pl.lit(1, dtype=pl.UInt32),
        date=pl.lit(start),
        label=pl.lit(_OPENING.format(start)),
        balance="opening",
    )
    columns = pl.Schema({**STATEMENT_SCHEMA, "siren": pl.String(), "line_number": pl.UInt32()})
    return (
        pl.concat([opening_lines, body.drop("order", "key", "opening")], how="diagonal_relaxed")
        .select(list(columns))
        .cast(columns)
        .sort("siren", "line_number")
    )


def _call_lines(calls: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    rows = calls.join(chosen, on="siren", how="semi")
    period = pl.format(
        "du {} au {}",
        pl.col("period_start").dt.strftime("%d/%m/%Y"),
        pl.col("period_end").dt.strftime("%d/%m/%Y"),
    )
    population = pl.col("population").fill_null("")
    called = pl.format(_CALL.replace("{period}", "{}"), period) + pl.when(population != "").then(
        pl.format(" – population {}", population)
    ).otherwise(pl.lit(""))
    owed = pl.col("declared") >= 0
    return rows.select(
        "siren",
        date="due_date",
        label=pl.when(owed)
        .then(called)
        .otherwise(pl.format("Régularisation de cotisations {}", period)),
        contract_reference="contract_reference",
        period_code="period_code",
        period=period,
        debit=pl.when(owed).then(pl.col("declared")),
        credit=pl.when(~owed).then(-pl.col("declared")),
        order=pl.lit(0, dtype=pl.Int8),
        key="call_id",
    ).cast(_LINE_SCHEMA)


def _payment_lines(allocations: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    rows = allocations.join(chosen, on="siren", how="semi")
    codes = sorted({code for code in rows["period_code"].unique() if code})
    labels = {code: Period.from_code(code).label for code in codes}
    amount = pl.col("amount")
    unmatched = (pl.col("entry") == str(Entry.CREDIT)) & (amount < 0)
    return rows.select(
        "siren",
        date="date",
        label=pl.when(unmatched)
        .then(pl.lit(_UNMATCHED_RETURN))
        .otherwise(
            pl.col("entry").replace_strict(
                {str(entry): label for entry, label in _LABELS.items()}, default=_UNMATCHED_RETURN
            )
        ),
        contract_reference="contract_reference",
        period_code="period_code",
        period=pl.col("period_code").replace_strict(labels, default=None, return_dtype=pl.String),
        debit=pl.when(amount < 0).then(-amount),
        credit=pl.when(amount >= 0).then(amount),
        order=pl.lit(1, dtype=pl.Int8),
        key="allocation_id",
    ).cast(_LINE_SCHEMA)


_LINE_SCHEMA = pl.Schema(
    {
        "siren": pl.String(),
        **{k: v for k, v in STATEMENT_SCHEMA.items() if k != "balance"},
        "order": pl.Int8(),
        "key": pl.String(),
    }
)


def write_statement_excel(
    statement: pl.DataFrame,
    path: str | Path,
    *,
    siren: str,
    start: date,
    end: date,
    company_name: str | None = None,
) -> Path:
    """Write the statement as an .xlsx file: a title, French headers frozen above the lines,
    dates as dates and amounts as numbers with two decimals. Excel keeps numbers as binary
    floating point: amounts are exact decimals up to this point and converted only here."""
    path = Path(path)
    workbook = xlsxwriter.Workbook(path)
    try:
        sheet = workbook.add_worksheet("Situation de compte")
        bold = workbook.add_format({"bold": True})
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        day = workbook.add_format({"num_format": "dd/mm/yyyy"})
        money = workbook.add_format({"num_format": "#,##0.00"})
        company = f"{company_name} – " if company_name else ""
        sheet.write(0, 0, f"Situation de compte – {company}SIREN {siren}", bold)
        sheet.write(1, 0, f"Du {start:%d/%m/%Y} au {end:%d/%m/%Y}")
        first = 3
        columns = list(HEADERS)
        for col, name in enumerate(columns):
            sheet.write(first, col, HEADERS[name], header)
        for offset, line in enumerate(statement.iter_rows(named=True), start=1):
            for col, name in enumerate(columns):
                value = line[name]
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(first + offset, col, datetime(*value.timetuple()[:3]), day)
                elif isinstance(value, Decimal):
                    sheet.write_number(first + offset, col, float(value), money)
                else:
                    sheet.write_string(first + offset, col, str(value))
        sheet.freeze_panes(first + 1, 0)
        sheet.autofilter(first, 0, first + statement.height, len(columns) - 1)
        for col, width in enumerate((12, 60, 18, 28, 14, 14, 14)):
            sheet.set_column(col, col, width)
    finally:
        workbook.close()
    return path
