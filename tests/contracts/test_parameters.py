"""The contract-parameter file model: files without the fields added to format 1 read with
their documented defaults; the due-date rule's two kinds."""

from __future__ import annotations

from datetime import date

from contracts.parameters import ContractParameters, DueDateKind, DueDateRule, FranchiseMode


def test_a_parameter_file_without_the_new_fields_reads_with_documented_defaults() -> None:
    old = {
        "contract_reference": "000001/P123",
        "organisme_code": "P0942",
        "legal_regime": "institution_prevoyance",
        "cover": "prevoyance",
        "siren": "552100554",
        "company_name": "EXEMPLE",
        "effective_from": "2020-01-01",
        "options": [],
        "populations": [],
        "rates": [],
        "payment_periodicity": "mensuelle",
        "due_date_rule": {"days_after_period_end": 15},
        "provident_franchise_days": 90,
        "reference_salary_months": 12,
    }
    contract = ContractParameters.model_validate(old)
    assert contract.provident_franchise_mode is FranchiseMode.CONTINUOUS
    assert contract.provident_franchise_reasons == ["01", "04", "05", "06"]
    assert contract.provident_allowance_percent is None
    assert contract.late_fee is None and contract.dunning_days is None
    assert contract.collection_accounts == [] and contract.sepa_mandates == []
    assert contract.due_date_rule.due_date(date(2025, 3, 31)) == date(2025, 4, 15)


def test_due_on_a_day_of_the_next_month_or_its_last_day() -> None:
    rule = DueDateRule(kind=DueDateKind.DAY_OF_NEXT_MONTH, day_of_next_month=31)
    assert rule.due_date(date(2025, 1, 31)) == date(2025, 2, 28)
    assert rule.due_date(date(2024, 1, 31)) == date(2024, 2, 29)
    assert rule.due_date(date(2025, 12, 31)) == date(2026, 1, 31)
    fifteenth = DueDateRule(kind=DueDateKind.DAY_OF_NEXT_MONTH, day_of_next_month=15)
    assert fifteenth.due_date(date(2025, 6, 30)) == date(2025, 7, 15)
