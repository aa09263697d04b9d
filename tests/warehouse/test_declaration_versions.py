"""The versioning rules of the core model, on declaration rows written straight into staging
(what the reader would load), for cases the sample files do not contain."""

from __future__ import annotations

from datetime import date

import duckdb

from warehouse import models

SIRET = "12345678200010"


def declare(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    *,
    nature: str,
    type_: str,
    built_on: date,
    order: str,
    month: date | None = None,
    fraction: str = "11",
    replaces: str | None = None,
) -> None:
    connection.execute(
        """
        INSERT INTO staging.declarations
            (file_id, envoi_id, declaration_id, norm, nature, type, fraction, order_number,
             month, replaced_id, built_on, siren, siret, status)
        VALUES (?, 1, 20, 'P25V01', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
        """,
        [name, nature, type_, fraction, order, month, replaces, built_on, SIRET[:9], SIRET],
    )
    connection.execute("INSERT INTO core.pending_groups VALUES (?, ?)", [SIRET, month])


def versions(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[bool, bool, int]]:
    rows = connection.execute(
        "SELECT file_id, in_force, cancelled, versions FROM core.declaration_versions"
    ).fetchall()
    return {file_id: (in_force, cancelled, count) for file_id, in_force, cancelled, count in rows}


def test_a_chain_of_fctu_replacement_then_cancellation_leaves_nothing_in_force(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    declare(warehouse, "fctu", nature="07", type_="01", built_on=date(2025, 8, 11), order="62")
    declare(
        warehouse,
        "fctu_remplacee",
        nature="07",
        type_="03",
        built_on=date(2025, 8, 15),
        order="63",
        replaces="1108202562",
    )
    declare(
        warehouse,
        "fctu_annulee",
        nature="07",
        type_="04",
        built_on=date(2025, 8, 20),
        order="64",
        replaces="1508202563",
    )
    declare(
        warehouse, "autre_fctu", nature="07", type_="01", built_on=date(2025, 8, 12), order="70"
    )
    models.refresh_core(warehouse)
    assert versions(warehouse) == {
        "fctu": (False, True, 3),
        "fctu_remplacee": (False, True, 3),
        "fctu_annulee": (False, True, 3),
        "autre_fctu": (True, False, 1),
    }


def test_each_fraction_of_a_month_has_its_own_declaration_in_force(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    month = date(2025, 3, 1)
    for fraction in ("21", "22"):
        declare(
            warehouse,
            f"fraction_{fraction}",
            nature="01",
            type_="01",
            month=month,
            fraction=fraction,
            built_on=date(2025, 4, 5),
            order="1",
        )
    declare(
        warehouse,
        "fraction_22_remplacee",
        nature="01",
        type_="03",
        month=month,
        fraction="22",
        built_on=date(2025, 4, 9),
        order="2",
    )
    models.refresh_core(warehouse)
    assert versions(warehouse) == {
        "fraction_21": (True, False, 1),
        "fraction_22": (False, False, 2),
        "fraction_22_remplacee": (True, False, 2),
    }


def test_the_order_number_decides_between_two_files_built_the_same_day(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    month = date(2025, 3, 1)
    declare(
        warehouse,
        "ordre_10",
        nature="01",
        type_="03",
        month=month,
        built_on=date(2025, 4, 5),
        order="10",
    )
    declare(
        warehouse,
        "ordre_9",
        nature="01",
        type_="01",
        month=month,
        built_on=date(2025, 4, 5),
        order="9",
    )  # 9 < 10 numerically, not as text
    models.refresh_core(warehouse)
    assert versions(warehouse)["ordre_10"] == (True, False, 2)
