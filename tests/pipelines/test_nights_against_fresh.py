"""Night after night on one warehouse, with the inputs missing then arriving late as they do in
production, every published output (warehouse results, portal snapshot, analysts' copy and
exports, comptes rendus, steward workbook) is what a fresh night on a copy of the same landing
publishes: the incremental stages (reference files read when changed, dimensions refreshed per
touched key, ledgers per contract key, the analysts' copy and exports per company) leave nothing
stale behind. The nights: DSN without any contract parameter file and with a month missing
whose bank file is there; the parameter files landed; the missing month landed; a rate changed
in a parameter file; a correction (annule et remplace) of the first month; a parameter file
withdrawn. The analysts read the exports with Polars and find each employee under the same
pseudonym night after night."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.landings import correction
from tests.pipelines.replay import arrivals, land, run_night, small_portfolio
from tests.pseudonym_key import use_test_pseudonym_key

PROVISIONAL = "appels, échéances et recouvrement provisoires"


def _rate_changed(parameters: Path) -> None:
    document = json.loads(parameters.read_text(encoding="utf-8"))
    document["rates"][0]["rate_percent"] = "2.10"
    parameters.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _seen_by_users(warehouse: Path) -> set[tuple[object, ...]]:
    """The open anomalies and the contribution calls: what each night's event must move."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return set(
            connection.execute(
                "SELECT rule_code, contract_reference, employee_key, detail FROM anomalies "
                "WHERE status = 'open' UNION ALL SELECT contract_reference, period_code, "
                "population, concat_ws(' ', declared, expected, contract_known) FROM ledger.calls"
            ).fetchall()
        )


def _pseudonyms(exports: Path) -> set[str]:
    """The employees' pseudonyms of the analysts' exports, read as the README shows."""
    files = str(exports / "employee_months" / "**" / "*.parquet")
    frame = pl.scan_parquet(files, hive_partitioning=True).select("employee_pseudonym").collect()
    return set(frame["employee_pseudonym"])


def test_every_night_publishes_what_a_fresh_night_on_the_same_landing_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source, landing = tmp_path / "source", tmp_path / "landing"
    small_portfolio(source, fault_rate=0.6)
    files = [p for paths in arrivals(source).values() for p in paths]
    first = sorted(p for p in files if p.name.startswith("DSN_01_609137187"))
    missing = first[1]  # the bank files paying this month land all the same
    parameters = sorted((source / "reference").glob("0*.json"))
    rated, withdrawn = "000002_S405.json", "000001_S966.json"  # contracts with affiliations
    outputs = Outputs(tmp_path / "nuits" / "entrepot.duckdb")
    day = max(arrivals(source))

    seen: set[tuple[object, ...]] = set()
    pseudonyms: set[str] = set()

    def night(what: str) -> str:
        nonlocal day, seen, pseudonyms
        day += timedelta(days=1)
        code, out = run_night(landing, outputs.warehouse, day)
        assert code == 0, (what, out)
        fresh = fresh_night(landing, tmp_path / "fraiche", day)
        assert differences(outputs, fresh) == {}, what
        assert _seen_by_users(outputs.warehouse) != seen, what  # the night did change things
        seen = _seen_by_users(outputs.warehouse)
        # an employee keeps his pseudonym from night to night: analysts follow him by it
        assert pseudonyms <= _pseudonyms(outputs.folder / "exports"), what
        pseudonyms = _pseudonyms(outputs.folder / "exports")
        return out

    (landing / "reference").mkdir(parents=True)
    shutil.copy2(source / "reference" / "pmss.json", landing / "reference")
    shutil.copytree(source / "portal", landing / "portal")
    land(source, landing, [p for p in files if p != missing])
    out = night("DSN seules, un mois manquant")
    assert "Aucune fiche de paramétrage de contrat chargée" in out and PROVISIONAL in out

    for path in parameters:
        shutil.copy2(path, landing / "reference")
    night("les fiches de paramétrage arrivent")
    land(source, landing, [missing])
    night("le mois manquant arrive")
    _rate_changed(landing / "reference" / rated)
    night("un taux change")
    correction(first[0], landing)
    night("une correction du premier mois")
    (landing / "reference" / withdrawn).unlink()
    out = night("une fiche de paramétrage retirée")
    assert withdrawn.removesuffix(".json").replace("_", "/") in out and PROVISIONAL in out
