"""The ledgers recomputed only for the companies a night changed (`warehouse.changes`) are, after
every night, exactly the ledgers recomputed whole: a generated portfolio lands night by night
(late and replacement DSNs, signalements, bank files alone, returned direct debits), then a night
with nothing new, a night months later (dunning stages and late fees move with the date alone), a
night where a contract's late fee changes, then one where its company name does; each night's
`ledger.*` tables are compared with a whole recomputation of the same night on a copy of the
warehouse, and what each night recomputed is bounded: no company for a signalement, the companies
its movements pay for a bank file, those naming the contract for a late fee, for a mandate, a
name or a collection account the companies paid by the movements writing it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ledgers import store
from ledgers.store import LEDGER_TABLES, LedgerRefresh, ledger_scope, refresh_ledgers
from synthetic import generate
from synthetic.bank_files.camt import write_camt054
from synthetic.bank_files.model import BankAccount, BankMovement, MovementKind
from tests.pipelines.replay import arrivals, land
from tests.warehouse.helpers import AUGUST_2019, deliver, rows_differing, variant
from warehouse.connections import connect

VERSION = "v1"


def _tonight(warehouse: duckdb.DuckDBPyConnection, as_of: date) -> LedgerRefresh:
    """The ledgers as the nightly asset computes them."""
    return refresh_ledgers(warehouse, as_of, ledger_scope(warehouse, VERSION))


def _differences(warehouse: duckdb.DuckDBPyConnection, whole: Path) -> dict[str, int]:
    """Rows of each ledger table in one warehouse and not the other (both ways, duplicates
    counted)."""
    warehouse.execute(f"ATTACH '{whole}' AS whole (READ_ONLY)")
    try:
        return {
            table: n
            for table in LEDGER_TABLES
            if (n := rows_differing(warehouse, f"ledger.{table}", f"whole.ledger.{table}"))
        }
    finally:
        warehouse.execute("DETACH whole")


def _whole_recomputation(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path, as_of: date) -> Path:
    warehouse.execute("CHECKPOINT")
    copy = tmp_path / "whole.duckdb"
    shutil.copy(tmp_path / "warehouse.duckdb", copy)
    with connect(copy, read_only=False) as connection:
        refresh_ledgers(connection, as_of)
    return copy


def test_each_night_the_changed_companies_ledgers_equal_a_whole_recomputation(
    tmp_path: Path,
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
) -> None:
    source = tmp_path / "source"
    generate(
        source, companies=3, employees=18, months=4, start=date(2024, 1, 1), seed=5, fault_rate=0.6
    )
    shutil.copytree(source / "reference", landing / "reference")
    nights = arrivals(source)
    last = max(nights)
    # one company's monthly DSN held back: it arrives after everything else, late
    held_night, held = next(
        (day, paths[0])
        for day, paths in nights.items()
        if len(paths) == 1 and paths[0].name.startswith("DSN_01_")
    )
    del nights[held_night]
    contract = sorted((landing / "reference").glob("0*.json"))[0]
    changed_parameters = json.loads(contract.read_text())
    changed_parameters["late_fee"] = {"annual_rate_percent": "12.5", "flat_amount": "40.00"}
    renamed = {**changed_parameters, "company_name": "AUTRE RAISON SOCIALE"}
    quiet, late, date_only, parameters, name = (
        last + timedelta(days=d) for d in (1, 2, 75, 76, 77)
    )
    extra: list[tuple[date, Callable[[], object]]] = [  # what an arrival returns is unused
        (quiet, lambda: None),
        (late, lambda: land(source, landing, [held])),
        (date_only, lambda: None),  # due dates and dunning thresholds passed: the date alone
        (parameters, lambda: contract.write_text(json.dumps(changed_parameters))),
        (name, lambda: contract.write_text(json.dumps(renamed))),
    ]
    plan = [(day, lambda p=paths: land(source, landing, p)) for day, paths in nights.items()]
    refreshed: dict[date, LedgerRefresh] = {}
    paid_companies: dict[date, int] = {}  # the companies tonight's new movements pay
    for as_of, arrive in plan + extra:
        arrive()
        night()
        known = _movement_ids(warehouse)
        refreshed[as_of] = _tonight(warehouse, as_of)
        paid_companies[as_of] = _companies_paid_by(warehouse, _movement_ids(warehouse) - known)
        assert _differences(warehouse, _whole_recomputation(warehouse, tmp_path, as_of)) == {}, (
            as_of
        )
    companies = warehouse.execute("SELECT count(DISTINCT siren) FROM ledger.calls").fetchone()
    assert companies is not None and companies[0] == 3
    first = min(refreshed)
    assert refreshed[first].companies is None  # the first night: every company
    for day in (quiet, date_only):  # nothing new: no company, no payer identified again
        assert (refreshed[day].companies, refreshed[day].identified) == (0, 0), day
    movements = len(_movement_ids(warehouse))
    bank_only = [d for d, paths in nights.items() if all(p.parent.name == "bank" for p in paths)]
    # a bank file recomputes the companies its movements pay, not the others, and looks for the
    # payers of its own movements only
    assert any(paid_companies[day] < companies[0] for day in bank_only)
    for day in bank_only:
        assert refreshed[day].companies == paid_companies[day], day
        assert 0 < refreshed[day].identified < movements, day  # type: ignore[operator]
    # a signalement (stoppage, return, contract end) carries no contribution and no payment:
    # the company it marks keeps its ledger
    signalements = [
        day
        for day, paths in nights.items()
        if all(p.name.startswith(("DSN_02_", "DSN_04_", "DSN_05_", "DSN_07_")) for p in paths)
    ]
    assert len(signalements) >= 3
    for day in signalements[1:]:  # the first night computes every company
        assert (refreshed[day].companies, refreshed[day].identified) == (0, 0), day
    assert refreshed[late].companies == 1  # the late monthly DSN's company alone
    # a contract's late fee changed: the companies whose calls name it, not every company
    assert refreshed[parameters].companies == _companies_naming(warehouse, changed_parameters)
    # a company name recognises payers in the movements writing it, and the calls do not read
    # it: no movement writes the new name and the old one stays on the company's other contract,
    # so nothing is recomputed
    assert (refreshed[name].companies, refreshed[name].identified) == (0, 0)


def _companies_naming(warehouse: duckdb.DuckDBPyConnection, parameters: dict[str, Any]) -> int:
    row = warehouse.execute(
        "SELECT count(DISTINCT siren) FROM ledger.calls WHERE contract_reference = ?",
        [parameters["contract_reference"]],
    ).fetchone()
    return int(row[0])  # type: ignore[index]


def _movement_ids(warehouse: duckdb.DuckDBPyConnection) -> set[str]:
    return {m for (m,) in warehouse.execute("SELECT movement_id FROM ledger.movements").fetchall()}


def _companies_paid_by(warehouse: duckdb.DuckDBPyConnection, movements: set[str]) -> int:
    row = warehouse.execute(
        "SELECT count(DISTINCT siren) FROM ledger.allocations WHERE list_contains(?, movement_id)",
        [sorted(movements)],
    ).fetchone()
    return int(row[0])  # type: ignore[index]


DECLARED_IBAN = "FR7630001007941234567890185"  # S21.G00.20.004 of the keuwa employer
OTHER_IBAN = "FR8230003000701234567890380"


def _credit(reference: str, debtor_iban: str, remittance_text: str | None = None) -> BankMovement:
    return BankMovement(
        booking_date=date(2019, 9, 30),
        value_date=date(2019, 9, 30),
        amount=Decimal("47.00"),
        kind=MovementKind.SEPA_CREDIT_TRANSFER,
        account_servicer_reference=reference,
        debtor_name="Payeur",
        debtor_iban=debtor_iban,
        remittance_text=remittance_text,
    )


def _bank_file(landing: Path, movement: BankMovement) -> None:
    (landing / "bank").mkdir()
    write_camt054(
        landing / "bank" / "camt054.xml",
        BankAccount("FR7630003000701234567890391", "SOGEFRPP", "Assureur"),
        [movement],
        message_id="N1",
        created_at=datetime(2019, 10, 1),
    )


def test_a_movement_its_company_no_longer_recognises_leaves_that_company(
    tmp_path: Path,
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    _bank_file(landing, _credit("M1", DECLARED_IBAN))
    night()
    _tonight(warehouse, date(2019, 10, 5))
    rules = "SELECT payer_rule, siren FROM ledger.allocations"
    assert warehouse.execute(rules).fetchall() == [("iban_declare", "123456782")]
    # the August DSN replaced, paying from another account: the movement's payer is unknown
    replaced = variant(AUGUST_2019, declaration_type="03", order_number="2", built_on="15092019")
    deliver(
        landing, "aout_corrigee.dsn", replaced.replace(DECLARED_IBAN.encode(), OTHER_IBAN.encode())
    )
    night()
    as_of = date(2019, 10, 6)
    assert _tonight(warehouse, as_of).companies == 1
    assert _differences(warehouse, _whole_recomputation(warehouse, tmp_path, as_of)) == {}
    assert warehouse.execute(rules).fetchall() == [("payeur_inconnu", None)]


KEUWA_SIREN = "123456782"
OTHER_SIREN = "732000526"  # valid, and a valid SIRET with the keuwa establishment's NIC


def test_a_company_making_a_payer_rule_ambiguous_takes_the_movement_from_the_company_it_had(
    tmp_path: Path,
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
) -> None:
    """A transfer writes two SIRENs, one of a company the insurer knows: it is that company's.
    When the other company's first DSN arrives, the rule no longer tells which one paid and the
    money goes to suspense; when that DSN is cancelled, back to the first company. Each night
    the incremental ledgers equal a whole recomputation."""
    deliver(landing, "aout.dsn", AUGUST_2019)
    _bank_file(landing, _credit("M1", OTHER_IBAN, f"COTISATIONS {KEUWA_SIREN} {OTHER_SIREN}"))
    other = AUGUST_2019.read_bytes().replace(KEUWA_SIREN.encode(), OTHER_SIREN.encode())
    rules = "SELECT payer_rule, siren FROM ledger.allocations"
    steps: list[tuple[Callable[[], object], list[tuple[str, str | None]]]] = [
        (lambda: None, [("siren_libelle", KEUWA_SIREN)]),
        (lambda: deliver(landing, "autre.dsn", other), [("payeur_inconnu", None)]),
        (
            lambda: deliver(
                landing,
                "autre_annulee.dsn",
                other.replace(b"S20.G00.05.002,'01'", b"S20.G00.05.002,'04'"),
            ),
            [("siren_libelle", KEUWA_SIREN)],
        ),
    ]
    for day, (arrive, allocated) in enumerate(steps, start=5):
        arrive()
        night()
        as_of = date(2019, 10, day)
        _tonight(warehouse, as_of)
        assert _differences(warehouse, _whole_recomputation(warehouse, tmp_path, as_of)) == {}, (
            as_of
        )
        assert warehouse.execute(rules).fetchall() == allocated, as_of


def test_calls_built_a_few_companies_at_a_time_are_those_built_all_at_once(
    tmp_path: Path,
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "source"
    generate(source, companies=3, employees=12, months=3, start=date(2024, 1, 1), seed=8)
    shutil.copytree(source / "reference", landing / "reference")
    land(source, landing, [p for paths in arrivals(source).values() for p in paths])
    night()
    as_of = date(2024, 6, 1)
    whole = _whole_recomputation(warehouse, tmp_path, as_of)
    monkeypatch.setattr(store, "_CALLS_CHUNK_ROWS", 1)  # each company on its own
    refresh_ledgers(warehouse, as_of)
    assert warehouse.execute("SELECT count(DISTINCT siren) FROM ledger.calls").fetchone() == (3,)
    assert _differences(warehouse, whole) == {}


def test_a_contract_file_changing_what_the_lettrage_reads_recomputes_only_whom_it_reaches(
    tmp_path: Path,
    landing: Path,
    warehouse: duckdb.DuckDBPyConnection,
    night: Callable[[], None],
) -> None:
    """Contract files change what the lettrage reads of the contracts, one thing a night: a
    company's mandate claimed by another company's contract (two claimants: the mandate no
    longer tells the payer), a company renamed on all its contracts, a collection account no
    longer listed. Each night reads again only the movements writing that mandate, name or
    account, recomputes the companies they pay before and after, and equals a whole
    recomputation."""
    source = tmp_path / "source"
    generate(
        source, companies=4, employees=16, months=4, start=date(2024, 1, 1), seed=5, fault_rate=0.6
    )
    shutil.copytree(source / "reference", landing / "reference")
    land(source, landing, [p for paths in arrivals(source).values() for p in paths])
    night()
    as_of = date(2024, 7, 15)
    assert _tonight(warehouse, as_of).companies is None  # the first night: every company
    companies = _count(warehouse, "SELECT count(DISTINCT siren) FROM ledger.calls")
    assert companies == 4
    documents = {p: json.loads(p.read_text()) for p in sorted((landing / "reference").glob("0*"))}
    by_siren: dict[str, list[Path]] = {}
    for path, document in documents.items():
        by_siren.setdefault(document["siren"], []).append(path)
    mandated = next(p for p, d in documents.items() if d["sepa_mandates"])
    mandate = documents[mandated]["sepa_mandates"][0]["mandate_id"]
    claimant = next(
        p for s, ps in by_siren.items() for p in ps if s != documents[mandated]["siren"]
    )
    renamed = sorted(by_siren)[-1]
    old_name = documents[by_siren[renamed][0]]["company_name"]
    # the account whose movements pay the fewest companies
    account = min(
        sorted({a["iban"] for d in documents.values() for a in d["collection_accounts"]}),
        key=lambda iban: (
            len(_payers_of(warehouse, _movements_writing(warehouse, "account_iban = ?", iban)))
            or companies
        ),
    )

    def claim_mandate() -> None:
        _edit(
            claimant,
            lambda d: d["sepa_mandates"].append({**documents[mandated]["sepa_mandates"][0]}),
        )

    def rename() -> None:
        for path in by_siren[renamed]:
            _edit(path, lambda d: d.update(company_name="NOUVELLE RAISON SOCIALE"))

    def drop_account() -> None:
        for path in documents:
            _edit(
                path,
                lambda d: d.update(
                    collection_accounts=[
                        a for a in d["collection_accounts"] if a["iban"] != account
                    ]
                ),
            )

    changes = [
        (claim_mandate, "mandate_id = ?", mandate),
        (rename, "debtor_name = ?", old_name),
        (drop_account, "account_iban = ?", account),
    ]
    for day, (change, writes, value) in enumerate(changes, start=16):
        as_of = date(2024, 7, day)
        readers = _movements_writing(warehouse, writes, value)
        paid_before = _payers_of(warehouse, readers)
        change()
        night()
        refreshed = _tonight(warehouse, as_of)
        assert _differences(warehouse, _whole_recomputation(warehouse, tmp_path, as_of)) == {}, (
            as_of
        )
        paid = paid_before | _payers_of(warehouse, readers)
        assert 0 < len(readers) == refreshed.identified, as_of
        assert refreshed.companies is not None and len(paid) <= refreshed.companies < companies, (
            as_of
        )


def _edit(path: Path, change: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _count(warehouse: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = warehouse.execute(sql).fetchone()
    return int(row[0])  # type: ignore[index]


def _movements_writing(warehouse: duckdb.DuckDBPyConnection, writes: str, value: str) -> set[str]:
    """The movements the ledgers took in whose bank row has `writes` (a predicate on `value`)."""
    rows = warehouse.execute(
        f"SELECT movement_id FROM staging.bank_transactions WHERE {writes} "
        "INTERSECT SELECT movement_id FROM ledger.movements",
        [value],
    ).fetchall()
    return {m for (m,) in rows}


def _payers_of(warehouse: duckdb.DuckDBPyConnection, movements: set[str]) -> set[str]:
    rows = warehouse.execute(
        "SELECT DISTINCT siren FROM ledger.allocations "
        "WHERE list_contains(?, movement_id) AND siren IS NOT NULL",
        [sorted(movements)],
    ).fetchall()
    return {s for (s,) in rows}
