"""The account statement of a company for any date range (the portal's "situation de compte"),
as a frame and as an Excel file.

Inputs: `calls` (`ledgers.calls.CALLS_SCHEMA`) and `allocations` (`ledgers.allocation.
ALLOCATIONS_SCHEMA`). A call is a debit on its due date; a payment allocated to it, or left as
unallocated credit, a credit on its date; a returned direct debit a debit on its return date.
The running balance starts from the balance before the range: positive = owed by the company.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import xlsxwriter

from ledgers.allocation import Entry
from ledgers.calls import AMOUNT
from ledgers.periods import Period
from ledgers.tables import STATEMENT_LINES

__all__ = ["STATEMENT_SCHEMA", "account_statement", "write_statement_excel"]

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
    lines = pl.concat([_call_lines(calls, siren), _payment_lines(allocations, siren)])
    before = lines.filter(pl.col("date") < start)
    opening: Decimal = before.select(
        pl.col("debit").fill_null(0).sum() - pl.col("credit").fill_null(0).sum()
    ).item()
    in_range = lines.filter(pl.col("date").is_between(start, end)).sort(
        "date", "order", "contract_reference", "period_code", "key", nulls_last=True
    )
    opening_line = pl.DataFrame(
        {
            "date": [start],
            "label": [_OPENING.format(start)],
            "contract_reference": [None],
            "period_code": [None],
            "period": [None],
            "debit": [None],
            "credit": [None],
        },
        schema={k: v for k, v in STATEMENT_SCHEMA.items() if k != "balance"},
    )
    body = in_range.drop("order", "key")
    movement = (pl.col("debit").fill_null(0) - pl.col("credit").fill_null(0)).cum_sum()
    body = body.with_columns((movement + pl.lit(opening, dtype=AMOUNT)).alias("balance"))
    opening_line = opening_line.with_columns(pl.lit(opening, dtype=AMOUNT).alias("balance"))
    return pl.concat([opening_line.cast(STATEMENT_SCHEMA), body.cast(STATEMENT_SCHEMA)])


def _call_lines(calls: pl.DataFrame, siren: str) -> pl.DataFrame:
    rows = []
    for call in calls.filter(pl.col("siren") == siren).iter_rows(named=True):
        period = Period(call["period_start"], call["period_end"], call["period_code"]).label
        label = _CALL.format(period=period)
        if call["population"]:
            label += f" – population {call['population']}"
        declared: Decimal = call["declared"]
        rows.append(
            {
                "date": call["due_date"],
                "label": label if declared >= 0 else f"Régularisation de cotisations {period}",
                "contract_reference": call["contract_reference"],
                "period_code": call["period_code"],
                "period": period,
                "debit": declared if declared >= 0 else None,
                "credit": -declared if declared < 0 else None,
                "order": 0,
                "key": call["call_id"],
            }
        )
    return pl.DataFrame(rows, schema=_LINE_SCHEMA)


def _payment_lines(allocations: pl.DataFrame, siren: str) -> pl.DataFrame:
    rows = []
    for row in allocations.filter(pl.col("siren") == siren).iter_rows(named=True):
        amount: Decimal = row["amount"]
        period = Period.from_code(row["period_code"]).label if row["period_code"] else None
        label = _LABELS.get(row["entry"], _UNMATCHED_RETURN)
        if row["entry"] == Entry.CREDIT and amount < 0:
            label = _UNMATCHED_RETURN
        rows.append(
            {
                "date": row["date"],
                "label": label,
                "contract_reference": row["contract_reference"],
                "period_code": row["period_code"],
                "period": period,
                "debit": -amount if amount < 0 else None,
                "credit": amount if amount >= 0 else None,
                "order": 1,
                "key": row["allocation_id"],
            }
        )
    return pl.DataFrame(rows, schema=_LINE_SCHEMA)


_LINE_SCHEMA = pl.Schema(
    {
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
