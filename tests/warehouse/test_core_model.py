from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.helpers import (
    AUGUST_2019,
    MARCH_2019_REPLACEMENT,
    OCTOBER_2019,
    SEPTEMBER_2019,
    core_snapshot,
    deliver,
    variant,
)
from warehouse import models
from warehouse.connections import connect

# August 2019 as first sent (type 01, order 0, built 14/09/2019, contribution 47.00), then
# replaced (type 03, order 1, built 20/09/2019) with a corrected contribution.
AUGUST_REPLACED = variant(
    AUGUST_2019,
    declaration_type="03",
    order_number="1",
    built_on="20092019",
    contribution_059="52.00",
)
AUGUST_CANCELLED = variant(
    AUGUST_2019, declaration_type="04", order_number="2", built_on="25092019"
)
# The original of the real March replacement: type 01, order 0, built earlier, other amounts.
MARCH_ORIGINAL = variant(
    MARCH_2019_REPLACEMENT, declaration_type="01", order_number="0", built_on="05042019"
)


def contributions_by_month(connection: duckdb.DuckDBPyConnection) -> dict[str, Decimal]:
    rows = connection.execute(
        "SELECT strftime(month, '%Y-%m'), sum(amount) FROM core.contributions GROUP BY 1"
    ).fetchall()
    return dict(rows)


def test_a_replacement_puts_its_version_in_force_and_keeps_the_original_as_history(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    assert contributions_by_month(warehouse) == {"2019-08": Decimal("47.00")}

    deliver(landing, "aout_remplace.dsn", AUGUST_REPLACED)
    night()
    assert contributions_by_month(warehouse) == {"2019-08": Decimal("52.00")}
    versions = warehouse.execute(
        """
        SELECT type, version_rank, in_force, superseded_by_file_id IS NOT NULL
        FROM core.declaration_versions ORDER BY version_rank
        """
    ).fetchall()
    assert versions == [("01", 1, False, True), ("03", 2, True, False)]
    # Only the version in force feeds the facts: one employee-month, not two.
    assert warehouse.execute("SELECT count(*) FROM core.employee_months").fetchone() == (1,)


def test_a_replacement_arriving_before_its_original_still_wins(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "mars_remplace.dsn", MARCH_2019_REPLACEMENT)
    night()
    deliver(landing, "mars_original_en_retard.dsn", MARCH_ORIGINAL)
    night()
    in_force = warehouse.execute(
        "SELECT type, order_number FROM core.declarations_in_force"
    ).fetchall()
    assert in_force == [("03", "1")]
    assert warehouse.execute("SELECT count(*) FROM core.declaration_versions").fetchone() == (2,)


def test_a_cancellation_removes_the_month_from_the_facts_but_not_from_history(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    night()
    deliver(landing, "aout_annule.dsn", AUGUST_CANCELLED)
    night()
    assert contributions_by_month(warehouse) == {"2019-09": Decimal("47.00")}
    august = warehouse.execute(
        "SELECT type, in_force, cancelled FROM core.declaration_versions "
        "WHERE month = DATE '2019-08-01' ORDER BY version_rank"
    ).fetchall()
    assert august == [("01", False, True), ("04", False, True)]


def test_the_core_model_links_affiliations_to_adhesions_and_contributions_to_affiliations(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    night()
    row = warehouse.execute(
        """
        SELECT a.adhesion_key, c.amount, c.adhesion_key = a.adhesion_key, ad.oc_code
        FROM core.contributions AS c
        JOIN core.affiliations AS a
            ON a.file_id = c.file_id AND a.instance_id = c.affiliation_instance_id
        JOIN core.adhesions AS ad ON ad.adhesion_key = a.adhesion_key
        """
    ).fetchall()
    assert len(row) == 1
    adhesion_key, amount, same_adhesion, oc_code = row[0]
    assert amount == Decimal("47.00") and same_adhesion and oc_code == "P1020"
    assert adhesion_key.startswith("P1020|")
    assert warehouse.execute("SELECT count(*) FROM core.companies").fetchone() == (1,)
    assert warehouse.execute(
        "SELECT count(*) FROM core.affiliations WHERE adhesion_key IS NULL"
    ).fetchone() == (0,)


DELIVERIES = {
    "aout.dsn": AUGUST_2019.read_bytes(),
    "aout_remplace.dsn": AUGUST_REPLACED,
    "septembre.dsn": SEPTEMBER_2019.read_bytes(),
    "octobre.dsn": OCTOBER_2019.read_bytes(),
    "mars_remplace.dsn": MARCH_2019_REPLACEMENT.read_bytes(),
    "mars_original.dsn": MARCH_ORIGINAL,
}


def run_nights(tmp_path: Path, nights: list[list[str]]) -> dict[str, list[tuple[object, ...]]]:
    """Deliver the named files night after night into a fresh warehouse; snapshot its core."""
    from datetime import datetime

    from warehouse import load, registry

    landing = tmp_path / "landing"
    with connect(tmp_path / "w.duckdb", read_only=False) as connection:
        for names in nights:
            for name in names:
                deliver(landing, name, DELIVERIES[name])
            registry.register_deliveries(connection, landing, datetime.now())
            load.load_received_dsn_files(connection, landing, tmp_path / "q")
            models.refresh_core(connection)
        return core_snapshot(connection)


@pytest.fixture(scope="module")
def all_at_once(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    return run_nights(tmp_path_factory.mktemp("all_at_once"), [sorted(DELIVERIES)])


@pytest.mark.parametrize("seed", [1, 2])
def test_arrival_order_does_not_change_the_core_model(
    tmp_path: Path, seed: int, all_at_once: dict[str, list[tuple[object, ...]]]
) -> None:
    reference = all_at_once
    names = list(DELIVERIES)
    random.Random(seed).shuffle(names)
    one_per_night = run_nights(tmp_path / f"shuffled_{seed}", [[name] for name in names])
    assert one_per_night == reference
    assert reference["contributions"]  # the comparison is not between two empty models


def test_running_the_same_night_again_changes_nothing(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    for name, content in DELIVERIES.items():
        deliver(landing, name, content)
    night()
    before = core_snapshot(warehouse)
    night()
    assert core_snapshot(warehouse) == before


def test_a_night_recomputes_only_the_groups_its_files_touch(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "septembre.dsn", SEPTEMBER_2019)
    night()
    # Rows of the untouched group (September) must survive the next night as they are: mark
    # them, then check the mark is still there after October arrives.
    warehouse.execute(
        "UPDATE core.employee_months SET last_name = 'INCHANGE' WHERE month = '2019-09-01'"
    )
    deliver(landing, "octobre.dsn", OCTOBER_2019)
    night()
    marks = warehouse.execute(
        "SELECT strftime(month, '%m'), last_name = 'INCHANGE' FROM core.employee_months ORDER BY 1"
    ).fetchall()
    assert marks == [("08", False), ("09", True), ("10", False)]


def test_a_rebuild_gives_the_same_core_model_as_the_nights(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    names = sorted(DELIVERIES)
    for first, second in zip(names[::2], names[1::2], strict=True):
        deliver(landing, first, DELIVERIES[first])
        deliver(landing, second, DELIVERIES[second])
        night()
    nightly = core_snapshot(warehouse)
    models.rebuild_core(warehouse)
    assert core_snapshot(warehouse) == nightly
