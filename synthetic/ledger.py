"""What each company owes and what it declared it pays, summed per contract and period.

Only sums are kept (per company, contract and period; one record per declared payment), so the
ledger stays small whatever the number of employees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.parameters import ContractParameters, DueDateRule
from synthetic.calendar import add_months, days


@dataclass(frozen=True)
class PaymentDue:
    """A declared payment (S21.G00.20) the company is expected to honour at the bank."""

    siren: str
    siret: str
    fraction: str
    organisme: str
    period: str  # 2025M03 / 2025T01
    period_end: date
    due_date: date
    mode: str  # 05 direct debit, 02 transfer
    amount: Decimal
    components: dict[tuple[str, str], Decimal]  # (contract reference, period) -> amount
    payer_name: str
    payer_iban: str
    payer_bic: str


class Ledger:
    def __init__(self) -> None:
        self.declared: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self.expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self.payments: list[PaymentDue] = []
        self._due_rules: dict[str, DueDateRule] = {}

    def add_contract(self, contract: ContractParameters) -> None:
        self._due_rules[contract.contract_reference] = contract.due_date_rule

    def add_due(
        self, siren: str, reference: str, period: str, declared: Decimal, expected: Decimal
    ) -> None:
        self.declared[(siren, reference, period)] += declared
        self.expected[(siren, reference, period)] += expected

    def add_payment(self, payment: PaymentDue) -> None:
        self.payments.append(payment)

    def due_date(self, reference: str, period_end: date) -> date:
        return self._due_rules[reference].due_date(period_end)


def period_end_of(period: str) -> date:
    """Last day of a 55.004-style period (2025M03, 2025T01)."""
    year, kind, number = int(period[:4]), period[4], int(period[5:])
    last_month = number if kind == "M" else 3 * number
    return add_months(date(year, last_month, 1), 1) - days(1)
