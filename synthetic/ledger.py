"""What each company owes and what it declared it pays, summed per contract and period.

Only sums are kept (per company, contract and period; one record per declared payment), so the
ledger stays small whatever the number of employees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from contracts.parameters import ContractParameters, DueDateKind, DueDateRule
from synthetic.calendar import add_months, days, month_end, month_of


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
        self.without_parameters: set[str] = set()

    def add_contract(self, contract: ContractParameters, *, parameters: bool = True) -> None:
        """`parameters=False`: the insurer has no parameter file for the contract, so its
        expected amounts and due dates are unknown and its results provisional."""
        self._due_rules[contract.contract_reference] = contract.due_date_rule
        if not parameters:
            self.without_parameters.add(contract.contract_reference)

    def add_due(
        self, siren: str, reference: str, period: str, declared: Decimal, expected: Decimal
    ) -> None:
        self.declared[(siren, reference, period)] += declared
        self.expected[(siren, reference, period)] += expected

    def add_payment(self, payment: PaymentDue) -> None:
        self.payments.append(payment)

    def due_date(self, reference: str, period_end: date) -> date:
        return contract_due_date(self._due_rules[reference], period_end)


def contract_due_date(rule: DueDateRule, period_end: date) -> date:
    """When the contributions of a period ending on `period_end` are due under `rule`, worked
    out here from the rule's fields as FORMATS.md defines them, not with the model's
    `DueDateRule.due_date`: that method is what the pipeline's ledgers apply, and a truth
    computed with it could not catch its mistakes."""
    if rule.kind is DueDateKind.DAYS_AFTER_PERIOD_END:
        return period_end + days(rule.days_after_period_end)
    assert rule.day_of_next_month is not None  # the model requires it for this kind
    month = add_months(month_of(period_end), 1)
    return month.replace(day=min(rule.day_of_next_month, month_end(month).day))


def period_end_of(period: str) -> date:
    """Last day of a 55.004-style period (2025M03, 2025T01)."""
    year, kind, number = int(period[:4]), period[4], int(period[5:])
    last_month = number if kind == "M" else 3 * number
    return add_months(date(year, last_month, 1), 1) - days(1)
