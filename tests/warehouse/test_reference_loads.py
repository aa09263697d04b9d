"""The insurer's reference files in the warehouse: what a stage reads back of them."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

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
from tests.quality.dsn_cases import SIREN, Portal
from warehouse import reference
from warehouse.connections import connect


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


_RESULT_TABLES = (
    "reference.contract_parameters",
    "reference.oc_contracts",
    "reference.oc_contract_options",
    "reference.oc_contract_populations",
    "reference.oc_contract_rates",
    "reference.pmss",
    "from_portal.affiliation_requests",
    "registry.rejected_lines",
)


def contents(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: connection.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in _RESULT_TABLES
    }


def whole_load(landing: Path, path: Path) -> dict[str, list[tuple[object, ...]]]:
    """The tables a first load of tonight's files gives, on a warehouse of its own."""
    with connect(path, read_only=False) as fresh:
        reference.load_reference_files(fresh, landing)
        return contents(fresh)


def marked(connection: duckdb.DuckDBPyConnection, since: int) -> set[str]:
    rows = connection.execute(
        "SELECT siren FROM core.company_changes WHERE change_id > ?", [since]
    ).fetchall()
    return {siren or "toutes" for (siren,) in rows}


def last_change(connection: duckdb.DuckDBPyConnection) -> int:
    [(change,)] = connection.execute(
        "SELECT coalesce(max(change_id), 0) FROM core.company_changes"
    ).fetchall()
    return int(change)


class CountingParameters:
    """`ContractParameters` counting the files parsed."""

    parsed = 0

    @classmethod
    def model_validate_json(cls, data: bytes | str) -> ContractParameters:
        cls.parsed += 1
        return ContractParameters.model_validate_json(data)


def test_a_night_parses_only_the_changed_reference_files_and_ends_as_a_whole_load(
    landing: Path,
    tmp_path: Path,
    warehouse: duckdb.DuckDBPyConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reference, "ContractParameters", CountingParameters)
    folder = landing / reference.REFERENCE_DIR
    kept = [parameters(f"00000{n}/P1", f"{n}" * 9, Cover.PREVOYANCE) for n in range(1, 7)]
    write(landing, *kept)
    (folder / "casse.json").write_text("{", encoding="utf-8")
    Portal().request(date(2025, 1, 10), date(2025, 1, 13)).write(landing)

    def night(expected_parsed: int, expected_marked: set[str]) -> None:
        CountingParameters.parsed, before = 0, last_change(warehouse)
        reference.load_reference_files(warehouse, landing)
        assert CountingParameters.parsed == expected_parsed
        assert marked(warehouse, before) == expected_marked
        assert contents(warehouse) == whole_load(landing, tmp_path / f"whole{before}.duckdb")

    night(7, {f"{n}" * 9 for n in range(1, 7)} | {SIREN})

    night(0, set())  # nothing changed: nothing parsed, nothing marked

    changed = kept[1].model_copy(
        update={"company_name": "AUTRE NOM", "provident_franchise_days": 30}
    )
    write(landing, changed)  # a contract's terms change
    write(landing, parameters("000007/S1", "777777777", Cover.SANTE))  # a new contract
    (folder / "000003_P1.json").unlink()  # a contract withdrawn
    os.utime(folder / "000004_P1.json", (1, 1))  # touched: same content, other time
    # fixed, the broken file now holds a contract, and wins over its earlier file
    (folder / "casse.json").write_text(kept[4].model_dump_json(), encoding="utf-8")
    night(3, {"222222222", "333333333", "555555555", "777777777"})

    # a later file of the same contract wins over an earlier one, and its removal brings the
    # earlier one back without its bytes having changed
    later = kept[5].model_copy(update={"delegate_code": "D1"})
    (folder / "zz_later.json").write_text(later.model_dump_json(), encoding="utf-8")
    night(1, {"666666666"})
    (folder / "zz_later.json").unlink()
    night(1, {"666666666"})
