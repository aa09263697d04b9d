"""Small hand-built frames for the ledger tests: contracts, contributions, bank movements and
declared payments, in the shapes the ledger modules document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from contracts.parameters import LegalRegime
from ledgers.allocation import AllocationResult, Lettrage
from ledgers.balances import balances_by_company, bank_identity_breaks, company_identity_breaks
from ledgers.calls import CONTRIBUTIONS_SCHEMA, build_calls
from ledgers.contract_terms import ContractTerms, LateFeeRule
from ledgers.periods import DayOfFollowingMonth, DueDateRule, Periodicity

ACME = "123456782"  # valid SIRENs (Luhn)
BETA = "987654308"
ACME_IBAN = "FR7630001007941234567890185"
BETA_IBAN = "FR7630004000031234567890143"


BY_THE_15TH = DayOfFollowingMonth(15)


def d(text: str) -> Decimal:
    return Decimal(text)


def terms(
    contract: str = "C1",
    siren: str = ACME,
    *,
    periodicity: Periodicity = Periodicity.MONTHLY,
    rule: DueDateRule = BY_THE_15TH,
    regime: LegalRegime = LegalRegime.ENTREPRISE_ASSURANCE,
    late_fee: LateFeeRule | None = None,
    name: str = "ACME INDUSTRIE",
    organisme: str = "P0942",
) -> ContractTerms:
    return ContractTerms(
        contract_reference=contract,
        organisme_code=organisme,
        siren=siren,
        company_name=name,
        legal_regime=regime,
        periodicity=periodicity,
        due_date_rule=rule,
        late_fee=late_fee,
    )


def contributions(*rows: tuple[str, str, str, date, str]) -> pl.DataFrame:
    """(siren, contract, population, month, 059 amount) rows, no bases declared."""
    return pl.DataFrame(
        [
            {
                "siren": siren,
                "contract_reference": contract,
                "population": population,
                "option": None,
                "month": month,
                "amount": Decimal(amount),
            }
            for siren, contract, population, month, amount in rows
        ],
        schema={
            k: v
            for k, v in CONTRIBUTIONS_SCHEMA.items()
            if k not in ("tranche_a", "tranche_b", "pmss")
        },
    ).with_columns(
        pl.lit(None, dtype=pl.Decimal(18, 2)).alias(c) for c in ("tranche_a", "tranche_b", "pmss")
    )


def monthly_calls(
    amounts: dict[date, str], contract: str = "C1", siren: str = ACME, **kwargs: Any
) -> pl.DataFrame:
    rows = [(siren, contract, "CAD", month, amount) for month, amount in amounts.items()]
    return build_calls(contributions(*rows), [terms(contract, siren, **kwargs)])


# The columns of `payment_files.transactions_frame` the allocation reads.
MOVEMENT_SCHEMA = pl.Schema(
    {
        "movement_id": pl.String(),
        "file_id": pl.String(),
        "account_iban": pl.String(),
        "amount": pl.Decimal(18, 2),
        "value_date": pl.Date(),
        "booking_date": pl.Date(),
        "status": pl.String(),
        "end_to_end_id": pl.String(),
        "mandate_id": pl.String(),
        "creditor_reference": pl.String(),
        "remittance_lines": pl.List(pl.String()),
        "debtor_name": pl.String(),
        "debtor_iban": pl.String(),
        "is_return": pl.Boolean(),
        "reversal": pl.Boolean(),
    }
)


def movement(
    movement_id: str,
    amount: str,
    value_date: date | None,
    **fields: Any,
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(MOVEMENT_SCHEMA)
    row.update(
        movement_id=movement_id,
        file_id="F1",
        amount=Decimal(amount),
        value_date=value_date,
        booking_date=value_date,
        status="BOOK",
        remittance_lines=[],
        reversal=False,
        is_return=Decimal(amount) < 0,
    )
    row.update(fields)
    return row


def movements(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=MOVEMENT_SCHEMA)


def declared_payments(*rows: tuple[str, str, str, str, str, str, str]) -> pl.DataFrame:
    """(payment id, siren, iban, total, contract, period code, amount) per S21.G00.55 component."""
    return pl.DataFrame(
        [
            {
                "declared_payment_id": pid,
                "siren": siren,
                "iban": iban,
                "payment_total": Decimal(total),
                "payment_date": None,
                "contract_reference": contract,
                "population": "CAD",
                "period_code": period,
                "amount": Decimal(amount),
            }
            for pid, siren, iban, total, contract, period, amount in rows
        ],
        schema={
            "declared_payment_id": pl.String,
            "siren": pl.String,
            "iban": pl.String,
            "payment_total": pl.Decimal(18, 2),
            "payment_date": pl.Date,
            "contract_reference": pl.String,
            "population": pl.String,
            "period_code": pl.String,
            "amount": pl.Decimal(18, 2),
        },
    )


def paid_by_call(result: AllocationResult) -> dict[str, Decimal]:
    rows = result.allocations.filter(pl.col("call_id").is_not_null())
    totals = rows.group_by("call_id").agg(pl.col("amount").sum())
    return {r["call_id"]: r["amount"] for r in totals.iter_rows(named=True) if r["amount"] != 0}


def assert_identities(calls: pl.DataFrame, result: AllocationResult) -> None:
    companies = balances_by_company(calls, result.allocations)
    assert company_identity_breaks(calls, result.allocations, companies).is_empty()
    assert bank_identity_breaks(result.movements, result.allocations).is_empty()
    total = result.movements["amount"].sum()
    assert result.allocations["amount"].sum() == total


def allocate(
    calls: pl.DataFrame,
    movements: pl.DataFrame,
    *,
    declared_payments: pl.DataFrame | None = None,
    mandates: pl.DataFrame | None = None,
    companies: pl.DataFrame | None = None,
    creditor_accounts: pl.DataFrame | None = None,
) -> AllocationResult:
    """Every movement posted, as the night's lettrage posts them on a whole recomputation."""
    return Lettrage(
        calls,
        movements,
        declared_payments=declared_payments,
        mandates=mandates,
        companies=companies,
        creditor_accounts=creditor_accounts,
    ).post()
