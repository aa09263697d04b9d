"""Provident terms read from the insurer's contract parameter files (fiche de paramétrage)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from contracts.parameters import (
    Base,
    ContractParameters,
    Cover,
    DueDateRule,
    LegalRegime,
    Periodicity,
    Population,
    Rate,
)
from quality.stoppages.terms import FranchiseMode, cover_table, provident_terms, terms_of


def parameters(reference: str, cover: Cover, franchise: int | None) -> ContractParameters:
    return ContractParameters(
        contract_reference=reference,
        organisme_code="P0942",
        legal_regime=LegalRegime.INSTITUTION_PREVOYANCE,
        cover=cover,
        siren="732829320",
        company_name="EXEMPLE",
        effective_from=date(2024, 1, 1),
        options=[],
        populations=[Population(code="NC", label="Non cadres", categories=["04"])],
        rates=[
            Rate(
                option=None,
                population="NC",
                base=Base.TRANCHE_A,
                rate_percent=Decimal("0.80"),
                effective_from=date(2024, 1, 1),
            )
        ],
        payment_periodicity=Periodicity.QUARTERLY,
        due_date_rule=DueDateRule(days_after_period_end=15),
        provident_franchise_days=franchise,
        reference_salary_months=12 if franchise else None,
    )


def test_only_provident_contracts_give_terms_with_their_franchise_and_population(
    tmp_path: Path,
) -> None:
    files = []
    for contract in (
        parameters("000001/P110", Cover.PREVOYANCE, 60),
        parameters("000001/S1", Cover.SANTE, None),
    ):
        path = tmp_path / f"{contract.contract_reference.replace('/', '_')}.json"
        path.write_text(contract.model_dump_json(indent=2), encoding="utf-8")
        files.append(path)

    [terms] = provident_terms(
        ContractParameters.model_validate_json(path.read_text(encoding="utf-8")) for path in files
    )
    assert (terms.contract_reference, terms.franchise_days) == ("000001/P110", 60)
    assert terms.franchise_mode is FranchiseMode.CONTINUOUS
    assert terms.reference_salary_months == 12
    assert cover_table([terms]).rows() == [("732829320", "04", "000001/P110")]


def test_the_franchise_mode_reasons_allowance_and_salary_window_come_from_the_file() -> None:
    contract = parameters("000001/P110", Cover.PREVOYANCE, 90).model_copy(
        update={
            "provident_franchise_mode": FranchiseMode.CUMULATED_12_MONTHS,
            "provident_franchise_reasons": ["01", "04"],
            "provident_allowance_percent": Decimal("80"),
            "reference_salary_months": 3,
        }
    )
    # read back from JSON, as the pipeline reads the landing's files
    terms = terms_of(ContractParameters.model_validate_json(contract.model_dump_json()))
    assert terms is not None
    assert terms.franchise_mode is FranchiseMode.CUMULATED_12_MONTHS
    assert terms.franchise_reasons == {"01", "04"}
    assert (terms.allowance_percent, terms.reference_salary_months) == (Decimal("80"), 3)


def test_a_file_without_the_optional_fields_gets_the_defaults() -> None:
    terms = terms_of(parameters("000001/P110", Cover.PREVOYANCE, 90))
    assert terms is not None
    assert terms.franchise_mode is FranchiseMode.CONTINUOUS
    assert terms.franchise_reasons == {"01", "04", "05", "06"}
    assert terms.allowance_percent == Decimal("75")
