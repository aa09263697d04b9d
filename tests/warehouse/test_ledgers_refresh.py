"""The ledgers in the warehouse without Dagster: reference files read at ingestion (bad ones
reported), the ledger tables recomputed from the declarations in force, the identities on the
written tables."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from ledgers.store import ledger_identity_breaks, read_contract_terms, refresh_ledgers
from tests.warehouse.helpers import AUGUST_2019, FIXTURES, SEPTEMBER_2019, deliver, variant
from warehouse.reference import load_reference_files

CONTRACT_FILE = FIXTURES / "reference" / "keuwa_S-GBASE_BET.json"
AS_OF = date(2019, 12, 31)


def test_contract_files_are_read_and_bad_ones_reported(
    landing: Path, warehouse: duckdb.DuckDBPyConnection
) -> None:
    reference = landing / "reference"
    reference.mkdir()
    shutil.copy(CONTRACT_FILE, reference / "contrat.json")
    (reference / "pmss.json").write_text(
        json.dumps({"format_version": 1, "pmss_by_year": {}, "assumed_years": []})
    )
    (reference / "tronque.json").write_text('{"contract_reference": "X"')
    broken = json.loads(CONTRACT_FILE.read_text())
    broken["payment_periodicity"] = "hebdomadaire"
    (reference / "periodicite.json").write_text(json.dumps(broken))
    loaded = load_reference_files(warehouse, landing)
    assert [t.contract_reference for t in read_contract_terms(warehouse)] == ["S-GBASE_BET"]
    reasons = {r.source_file: r.error for r in loaded.rejects}
    # the PMSS table is no contract
    assert set(reasons) == {"reference/tronque.json", "reference/periodicite.json"}
    assert (
        "json_invalid" in reasons["reference/tronque.json"]
        or "JSON" in reasons["reference/tronque.json"]
    )
    assert "payment_periodicity" in reasons["reference/periodicite.json"]
    recorded = warehouse.execute("SELECT source_file FROM registry.rejected_lines").fetchall()
    assert sorted(recorded) == [("reference/periodicite.json",), ("reference/tronque.json",)]


def test_collection_accounts_come_from_the_contract_files_and_bad_ibans_are_masked(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    good, bad = "FR8230003000701234567890380", "FR7630003000701234567890380"
    contract = json.loads(CONTRACT_FILE.read_text())
    contract["collection_accounts"] = [
        {"iban": good, "bic": "SOGEFRPP", "purpose": "virement"},
        {"iban": bad, "bic": "SOGEFRPP", "purpose": "prelevement"},
    ]
    (landing / "reference").mkdir(parents=True, exist_ok=True)
    (landing / "reference" / "contrat.json").write_text(json.dumps(contract))
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    refresh = refresh_ledgers(warehouse, AS_OF)
    assert refresh.contracts == 1  # the contract is kept, only its bad account is refused
    [(where, reason)] = refresh.rejected_accounts
    assert where == "S-GBASE_BET" and "compte d'encaissement invalide" in reason
    assert bad not in reason and good not in reason


def _calls(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str, Decimal]]:
    return connection.execute(
        "SELECT contract_reference, period_code, declared FROM ledger.calls ORDER BY ALL"
    ).fetchall()


def test_the_ledgers_follow_the_declarations_in_force_and_a_rerun_replaces_them(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    deliver(landing, "contrat.json", CONTRACT_FILE, kind="reference")
    night()
    refresh = refresh_ledgers(warehouse, AS_OF)
    assert refresh.contracts == 1 and refresh.rejected_accounts == []
    # each file declares one 059 of 47.00 on S-GBASE_BET, a quarterly contract
    assert _calls(warehouse) == [("S-GBASE_BET", "2019T03", Decimal("94.00"))]
    deliver(
        landing,
        "septembre_corrigee.dsn",
        variant(
            SEPTEMBER_2019,
            declaration_type="03",
            order_number="2",
            built_on="15102019",
            contribution_059="50.00",
        ),
    )
    night()
    refresh_ledgers(warehouse, AS_OF)
    assert _calls(warehouse) == [("S-GBASE_BET", "2019T03", Decimal("97.00"))]
    due = warehouse.execute("SELECT due_date, stage FROM ledger.dunning").fetchall()
    assert due == [(date(2019, 10, 30), "resiliation")]  # nothing paid, long overdue by AS_OF
    assert all(b.is_empty() for b in ledger_identity_breaks(warehouse).values())


def test_without_bank_files_every_call_stays_open(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    refresh = refresh_ledgers(warehouse, AS_OF)
    assert refresh.rows["movements"] == 0 and refresh.rows["allocations"] == 0
    balances = warehouse.execute(
        "SELECT siren, due, paid, balance FROM ledger.company_balances"
    ).fetchall()
    assert balances == [("123456782", Decimal("47.00"), Decimal("0.00"), Decimal("47.00"))]
    known = warehouse.execute("SELECT DISTINCT contract_known FROM ledger.calls").fetchall()
    assert known == [(False,)]  # no parameter file: called monthly, flagged unknown
    assert all(b.is_empty() for b in ledger_identity_breaks(warehouse).values())


def test_a_balance_or_a_payment_row_altered_after_the_write_breaks_its_identity(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    refresh_ledgers(warehouse, AS_OF)
    warehouse.execute("UPDATE ledger.company_balances SET balance = balance + 1")
    warehouse.execute(
        "INSERT INTO ledger.allocations (allocation_id, movement_id, entry, siren, amount) "
        "VALUES ('inconnu#1', 'inconnu', 'credit_non_affecte', '123456782', 10.00)"
    )
    company = ledger_identity_breaks(warehouse, ["entreprise"])
    assert list(company) == ["entreprise"]
    assert company["entreprise"].select("siren", "gap").rows() == [("123456782", Decimal("-1.00"))]
    bank = ledger_identity_breaks(warehouse)["banque"]
    assert bank.select("movement_id", "gap").rows() == [("inconnu", Decimal("-10.00"))]
