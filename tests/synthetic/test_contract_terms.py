"""Contract terms in the parameter files (franchise, due dates, late fees, dunning, accounts,
mandates): varied across the portfolio, and what the truth and the bank files say agrees with
them."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from pathlib import Path

from contracts.parameters import (
    AccountPurpose,
    ContractParameters,
    Cover,
    DueDateKind,
    FranchiseMode,
)
from synthetic.expectations import allowances_start
from synthetic.ledger import period_end_of
from tests.synthetic.truth_files import read_truth


def contracts(root: Path) -> dict[str, ContractParameters]:
    found = {}
    for path in sorted((root / "reference").glob("0*.json")):
        contract = ContractParameters.model_validate_json(path.read_text(encoding="utf-8"))
        found[contract.contract_reference] = contract
    return found


def test_generated_terms_vary(portfolio: Path) -> None:
    every = list(contracts(portfolio).values())
    provident = [c for c in every if c.cover is Cover.PREVOYANCE]
    assert {c.provident_franchise_mode for c in provident} == set(FranchiseMode)
    assert {c.due_date_rule.kind for c in every} == set(DueDateKind)
    assert any(c.late_fee for c in every) and any(c.late_fee is None for c in every)
    assert any(c.dunning_days for c in every)
    assert all(c.provident_allowance_percent for c in provident)
    assert len({tuple(c.provident_franchise_reasons) for c in provident}) > 1


def test_contribution_due_dates_follow_each_contracts_rule(portfolio: Path) -> None:
    terms = contracts(portfolio)
    rows = read_truth(portfolio, "contributions")
    assert rows
    for row in rows:
        rule = terms[row["contract_reference"]].due_date_rule
        end = period_end_of(row["period"])
        if rule.kind is DueDateKind.DAY_OF_NEXT_MONTH:
            assert rule.day_of_next_month is not None
            year, month = (end.year, end.month + 1) if end.month < 12 else (end.year + 1, 1)
            last = calendar.monthrange(year, month)[1]
            expected = date(year, month, min(rule.day_of_next_month, last))
        else:
            expected = end + timedelta(days=rule.days_after_period_end)
        assert row["due_date"] == expected.isoformat(), row


def test_accounts_and_mandates_are_those_the_bank_files_show(portfolio: Path) -> None:
    terms = contracts(portfolio)
    bank_text = "".join(
        path.read_text(encoding="latin-1") for path in sorted((portfolio / "bank").iterdir())
    )
    mandates_in_bank = set(re.findall(r"<MndtId>([^<]+)</MndtId>", bank_text))
    mandates_in_bank |= set(re.findall(r"RUM(RUM\d{9}\w{4})", bank_text))
    assert mandates_in_bank
    declared_mandates = {m.mandate_id for c in terms.values() for m in c.sepa_mandates}
    assert mandates_in_bank <= declared_mandates
    for contract in terms.values():
        purposes = {a.purpose for a in contract.collection_accounts}
        assert purposes == set(AccountPurpose), contract.contract_reference
        for account in contract.collection_accounts:
            if account.purpose is AccountPurpose.DIRECT_DEBIT and contract.sepa_mandates:
                assert account.iban in bank_text.replace(" ", "")


def test_franchise_continuous_counts_the_stoppage_alone() -> None:
    first = date(2025, 3, 1)
    assert allowances_start((first, date(2025, 6, 30)), 30, []) == date(2025, 3, 31)
    assert allowances_start((first, date(2025, 3, 30)), 30, []) is None


def test_franchise_cumulated_adds_earlier_days_off_within_a_year() -> None:
    # 20 days off in January (1st to 20th), then a new stoppage from 1 March: 30-day franchise.
    earlier = [(date(2025, 1, 1), date(2025, 1, 20))]
    assert allowances_start((date(2025, 3, 1), date(2025, 6, 30)), 30, earlier) == date(2025, 3, 11)
    # The same January stoppage a year and more before counts no longer.
    old = [(date(2024, 1, 1), date(2024, 1, 20))]
    assert allowances_start((date(2025, 3, 1), date(2025, 6, 30)), 30, old) == date(2025, 3, 31)


def test_franchise_signals_only_for_the_reasons_their_contract_counts(portfolio: Path) -> None:
    terms = contracts(portfolio)
    reasons = {
        (r["employee_key"], r["first_day_off"]): r["reason"]
        for r in read_truth(portfolio, "stoppages")
    }
    signals = [r for r in read_truth(portfolio, "signals") if r["code"] == "ARR004"]
    assert signals
    for row in signals:
        contract = terms[row["contract_reference"]]
        reason = reasons[(row["employee_key"], row["stoppage_first_day"])]
        assert reason in contract.provident_franchise_reasons, row
        assert contract.provident_franchise_days is not None
        first = date.fromisoformat(row["stoppage_first_day"])
        signal = date.fromisoformat(row["signal_date"])
        if contract.provident_franchise_mode is FranchiseMode.CONTINUOUS:
            assert signal == first + timedelta(days=contract.provident_franchise_days), row
        else:
            assert first <= signal <= first + timedelta(days=contract.provident_franchise_days)
