"""Provident terms read from the insurer's contract parameter files (fiche de paramétrage)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from quality.stoppages.terms import FranchiseMode, cover_table, load_terms
from synthetic.reference_formats import (
    Base,
    ContractParameters,
    Cover,
    DueDateRule,
    LegalRegime,
    Periodicity,
    Population,
    Rate,
)


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

    [terms] = load_terms(files)
    assert (terms.contract_reference, terms.franchise_days) == ("000001/P110", 60)
    assert terms.franchise_mode is FranchiseMode.CONTINUOUS
    assert terms.reference_salary_months == 12
    assert cover_table([terms]).rows() == [("732829320", "04", "000001/P110")]
