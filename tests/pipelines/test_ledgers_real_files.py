"""The 27 real (pseudonymised) monthly DSNs of one employer through the ingestion and ledger
assets, with the contract parameter files written for its three quarterly contracts: the
declared contributions (059) and declared payments (S21.G00.55) per contract and quarter in
`ledger.balances` equal sums computed here straight from the raw lines."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ingestion.assets import INGESTION_ASSETS
from pipelines.ingestion.checks import INGESTION_CHECKS
from pipelines.ledgers.assets import LEDGER_ASSETS
from pipelines.ledgers.checks import LEDGER_CHECKS
from pipelines.resources import pipeline_resources
from pipelines.settings import Settings
from tests.pseudonym_key import use_test_pseudonym_key
from warehouse.connections import connect, connect_serving

FIXTURES = Path(__file__).parents[1] / "fixtures"
DSN_DIR = FIXTURES / "dsn" / "keuwa_dsn-parser_pseudonymized"
CONTRACTS = ("PR-1486", "PR-1486CC", "S-GBASE_BET")

Sums = dict[tuple[str, str], Decimal]


def _rubrics(path: Path) -> list[tuple[str, str]]:
    """(rubric, value) of every line: the value runs from the first `,'` to the last `'`."""
    lines = path.read_bytes().decode("latin-1").splitlines()
    return [
        (line[: line.index(",'")], line[line.index(",'") + 2 : line.rindex("'")]) for line in lines
    ]


def _quarter(ddmmyyyy: str) -> str:
    month = int(ddmmyyyy[2:4])
    return f"{ddmmyyyy[4:]}T{(month - 1) // 3 + 1:02d}"


def raw_sums(paths: list[Path]) -> tuple[Sums, Sums]:
    """Σ 059 per (contract, quarter of the declared month) and Σ 55.001 per (55.003, 55.004),
    following the technical ids inside each file: 81 under a 78 code 31 whose .005 is an
    affiliation 70.012, whose 70.013 is an adhésion 15.005, whose 15.001 is the contract."""
    due: Sums = defaultdict(Decimal)
    paid: Sums = defaultdict(Decimal)
    for path in paths:
        contract_of_adhesion: dict[str, str] = {}
        adhesion_of_affiliation: dict[str, str] = {}
        quarter = ""
        reference = affiliation = base_code = base_affiliation = component_contract = ""
        for rubric, value in _rubrics(path):
            match rubric:
                case "S20.G00.05.005":
                    quarter = _quarter(value)
                case "S21.G00.15.001":
                    reference = value
                case "S21.G00.15.005":
                    contract_of_adhesion[value] = reference
                case "S21.G00.70.012":
                    affiliation = value
                case "S21.G00.70.013":
                    adhesion_of_affiliation[affiliation] = value
                case "S21.G00.78.001":
                    base_code, base_affiliation = value, ""
                case "S21.G00.78.005":
                    base_affiliation = value
                case "S21.G00.81.001":
                    contribution_code = value
                case "S21.G00.81.004" if base_code == "31" and contribution_code == "059":
                    adhesion = adhesion_of_affiliation[base_affiliation]
                    due[(contract_of_adhesion[adhesion], quarter)] += Decimal(value)
                case "S21.G00.55.001":
                    amount = Decimal(value)
                case "S21.G00.55.003":
                    component_contract = value
                case "S21.G00.55.004":
                    paid[(component_contract, value)] += amount
    return dict(due), dict(paid)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("keuwa")
    landing = root / "landing"
    shutil.copytree(DSN_DIR, landing / "dsn")
    (landing / "reference").mkdir()
    for contract in CONTRACTS:
        name = f"keuwa_{contract}.json"
        shutil.copy(FIXTURES / "reference" / name, landing / "reference" / name)
    path = root / "entrepot.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        # Every check passes only on a night with its reference files and pseudonym key.
        use_test_pseudonym_key(patch)
        result = dg.materialize(
            [*INGESTION_ASSETS, *INGESTION_CHECKS, *LEDGER_ASSETS, *LEDGER_CHECKS],
            resources=pipeline_resources(Settings(landing, path, root / "quarantine")),
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    return path


def test_the_fixture_holds_27_monthly_files_of_three_quarterly_contracts() -> None:
    due, paid = raw_sums(sorted(DSN_DIR.glob("*.dsn")))
    assert len(list(DSN_DIR.glob("*.dsn"))) == 27
    assert {contract for contract, _ in due} == set(CONTRACTS)
    assert all("T" in quarter for _, quarter in paid)


def test_declared_contributions_and_payments_per_contract_and_quarter(warehouse: Path) -> None:
    due, paid = raw_sums(sorted(DSN_DIR.glob("*.dsn")))
    with connect(warehouse) as connection:
        rows = connection.execute(
            """
            SELECT contract_reference, period_code, declared, declared_paid
            FROM ledger.balances WHERE siren = '123456782'
            """
        ).fetchall()
        contracts = connection.execute(
            "SELECT DISTINCT contract_known FROM ledger.calls"
        ).fetchall()
    ledger_due = {(c, p): d for c, p, d, _ in rows if d != 0}
    ledger_paid = {(c, p): dp for c, p, _, dp in rows if dp != 0}
    # one row per contract and quarter the files declare anything for, even a payment alone
    assert {(c, p) for c, p, _, _ in rows} == set(due) | set(paid)
    assert ledger_due == due
    assert ledger_paid == {key: amount for key, amount in paid.items() if amount != 0}
    assert contracts == [(True,)]  # every contract has its parameter file


def test_quarterly_calls_fall_due_30_days_after_the_quarter(warehouse: Path) -> None:
    with connect(warehouse) as connection:
        rows = connection.execute(
            "SELECT period_code, period_start, period_end, due_date FROM ledger.calls "
            "WHERE contract_reference = 'PR-1486' AND period_code = '2020T04'"
        ).fetchall()
    assert rows == [("2020T04", date(2020, 10, 1), date(2020, 12, 31), date(2021, 1, 30))]


@pytest.fixture(scope="module")
def night_without_parameters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The same 27 files, alone in the landing directory (no `reference/`), through a whole
    night: the portal gets the ledgers the DSNs alone support."""
    from pipelines.cli import main

    root = tmp_path_factory.mktemp("keuwa_sans_parametres")
    shutil.copytree(DSN_DIR, root / "landing" / "dsn")
    arguments = ["run", "--landing", str(root / "landing"), "--warehouse", str(root / "w.duckdb")]
    with pytest.MonkeyPatch.context() as patch:
        use_test_pseudonym_key(patch)
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(arguments) == 0
    return root / "serving.duckdb", out.getvalue()


def test_without_parameters_the_portal_puts_contributions_and_payments_on_one_quarter_row(
    night_without_parameters: tuple[Path, str],
) -> None:
    """No parameter file: the periodicity is the one the company declares in S21.G00.55.004
    (quarters), so each quarter's 059 and 55 are on the same portal row, to the cent, marked
    provisional."""
    due, paid = raw_sums(sorted(DSN_DIR.glob("*.dsn")))
    with connect_serving(night_without_parameters[0]) as portal:
        rows = portal.execute(
            """
            SELECT contract_reference, period_code, declared, declared_paid, provisional
            FROM portal_v1.contribution_periods WHERE siren = '123456782'
            """
        ).fetchall()
    assert {(c, p) for c, p, *_ in rows} == set(due) | set(paid)
    assert {(c, p): d for c, p, d, _, _ in rows if d != 0} == due
    assert {(c, p): dp for c, p, _, dp, _ in rows if dp != 0} == {
        key: amount for key, amount in paid.items() if amount != 0
    }
    both = set(due) & set(paid)
    assert len(both) == 16  # quarters declaring both, on separate rows when calls were monthly
    assert {provisional for *_, provisional in rows} == {True}


def test_without_parameters_no_call_goes_beyond_the_information_stage(
    night_without_parameters: tuple[Path, str],
) -> None:
    with connect_serving(night_without_parameters[0]) as portal:
        stages = portal.execute(
            "SELECT DISTINCT stage, provisional, notice_date FROM portal_v1.dunning"
        ).fetchall()
    assert {stage for stage, _, _ in stages} <= {"a_jour", "non_echu", "en_retard"}
    assert {(provisional, notice) for _, provisional, notice in stages} == {(True, None)}
