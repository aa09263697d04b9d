"""The insurer's reference files in the warehouse: what a stage reads back of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

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
from warehouse import reference


def parameters(reference_: str, siren: str, cover: Cover) -> ContractParameters:
    return ContractParameters(
        contract_reference=reference_,
        organisme_code="P0942",
        legal_regime=LegalRegime.INSTITUTION_PREVOYANCE,
        cover=cover,
        siren=siren,
        company_name=f"ENTREPRISE {siren}",
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
        payment_periodicity=Periodicity.MONTHLY,
        due_date_rule=DueDateRule(days_after_period_end=15),
        provident_franchise_days=90 if cover is Cover.PREVOYANCE else None,
    )


def write(landing: Path, *contracts: ContractParameters) -> None:
    folder = landing / reference.REFERENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for contract in contracts:
        name = contract.contract_reference.replace("/", "_") + ".json"
        (folder / name).write_text(contract.model_dump_json(indent=2), encoding="utf-8")


def test_a_stage_reads_back_the_contracts_of_its_companies_and_cover_only(
    landing: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    contracts = [
        parameters("000001/P1", "111111111", Cover.PREVOYANCE),
        parameters("000001/S1", "111111111", Cover.SANTE),
        parameters("000002/P1", "222222222", Cover.PREVOYANCE),
        parameters("000003/P1", "333333333", Cover.PREVOYANCE),
    ]
    write(landing, *contracts)
    reference.load_reference_files(warehouse, landing)

    assert reference.contract_parameters(warehouse) == contracts
    narrowed = reference.contract_parameters(
        warehouse, {"111111111", "333333333"}, Cover.PREVOYANCE
    )
    assert narrowed == [contracts[0], contracts[3]]
    assert reference.contract_parameters(warehouse, {"111111111"}) == contracts[:2]
    assert reference.contract_parameters(warehouse, set()) == []
