"""The pipeline on a small portfolio from the synthetic generator, checked against the ground
truth it writes (truth/, which the pipeline itself never reads)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import load, models, registry
from warehouse.connections import connect
from warehouse.registry import TERMINAL_STATUSES


def truth(landing: Path, name: str) -> list[dict[str, str]]:
    with (landing / "truth" / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def portfolio(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, duckdb.DuckDBPyConnection]]:
    from synthetic import generate

    root = tmp_path_factory.mktemp("portfolio")
    landing = root / "landing"
    # This seed and size give replacements (type 03), stoppages and an employee whose NIR
    # changes (checked by the tests below, in case the generator's choices move).
    generate(landing, companies=3, employees=30, months=12, seed=3)
    with connect(root / "w.duckdb", read_only=False) as connection:
        registry.register_deliveries(connection, landing, datetime.now())
        load.register_files_of_other_domains(connection, landing, root / "quarantine")
        load.load_received_dsn_files(connection, landing, root / "quarantine")
        load.load_received_bank_files(connection, landing, root / "quarantine")
        models.refresh_core(connection)
    with connect(root / "w.duckdb") as reader:
        yield landing, reader


def test_every_delivered_file_has_a_final_status_and_truth_is_never_read(
    portfolio: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    landing, connection = portfolio
    expected = {f"{row['folder']}/{row['file_name']}" for row in truth(landing, "files.csv")}
    found = dict(
        connection.execute("SELECT landing_path, status FROM registry.landing_status").fetchall()
    )
    assert expected <= set(found)
    assert not any(path.startswith("truth/") for path in found)
    assert set(found.values()) <= TERMINAL_STATUSES


def test_replaced_and_cancelled_declarations_are_history_and_replacements_in_force(
    portfolio: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    landing, connection = portfolio
    replacing = [row for row in truth(landing, "files.csv") if row["replaces_file"]]
    assert replacing, "the portfolio was chosen to contain replacements"

    def in_force(file_name: str) -> set[bool]:
        rows = connection.execute(
            """
            SELECT DISTINCT v.in_force
            FROM core.declaration_versions AS v JOIN registry.files AS f USING (file_id)
            WHERE f.original_name = ?
            """,
            [file_name],
        ).fetchall()
        return {value for (value,) in rows}

    for row in replacing:
        assert in_force(row["replaces_file"]) == {False}, row
        # A lot may carry other declarations too: the replacing one is among those in force.
        assert (True in in_force(row["file_name"])) == (row["type"] != "04"), row


def test_every_stoppage_of_the_truth_is_in_the_core_model(
    portfolio: tuple[Path, duckdb.DuckDBPyConnection],
) -> None:
    landing, connection = portfolio
    expected = {
        (row["employee_key"], row["contract_start"], row["last_day_worked"], row["reason"])
        for row in truth(landing, "stoppages.csv")
    }
    # A stoppage declared under an employee's former NIR is found through the identity link.
    found = {
        (key, str(start), str(last_day), reason)
        for key, start, last_day, reason in connection.execute(
            """
            SELECT coalesce(l.employee_key, s.employee_key), s.contract_start,
                s.last_day_worked, s.reason
            FROM core.stoppages AS s
            LEFT JOIN core.employee_links AS l ON l.previous_key = s.employee_key
            """
        ).fetchall()
    }
    assert expected and expected <= found
