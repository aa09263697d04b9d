from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb

from tests.warehouse.helpers import AUGUST_2019, JUNE_2019, JUNE_2019_AGAIN, deliver, variant
from warehouse.registry import TERMINAL_STATUSES


def statuses(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(
        connection.execute("SELECT landing_path, status FROM registry.landing_status").fetchall()
    )


def test_the_same_content_under_two_names_is_loaded_once_and_recorded_as_duplicate(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "a.dsn", JUNE_2019)
    deliver(landing, "b.dsn", JUNE_2019_AGAIN)
    night()
    assert sorted(statuses(warehouse).values()) == ["duplicate", "loaded_with_diagnostics"]
    assert warehouse.execute("SELECT count(*) FROM staging.declarations").fetchone() == (1,)


def test_a_renamed_copy_arriving_a_later_night_is_a_duplicate(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "first.dsn", AUGUST_2019)
    night()
    deliver(landing, "renamed.dsn", AUGUST_2019)
    night()
    assert statuses(warehouse)["dsn/renamed.dsn"] == "duplicate"
    reason = warehouse.execute(
        "SELECT reason FROM registry.landing_status WHERE landing_path = 'dsn/renamed.dsn'"
    ).fetchone()
    assert reason is not None and "dsn/first.dsn" in reason[0]
    assert warehouse.execute("SELECT count(*) FROM staging.declarations").fetchone() == (1,)


def test_a_quarantined_file_fixed_and_delivered_again_is_loaded(
    landing: Path, tmp_path: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    broken = deliver(landing, "aout.dsn", b"S10.G00.00.001,'TRONQUE\n")
    night()
    assert statuses(warehouse)["dsn/aout.dsn"] == "quarantined"
    quarantined = list((tmp_path / "quarantine").glob("*aout.dsn"))
    assert len(quarantined) == 1
    note = quarantined[0].with_name(quarantined[0].name + ".motif.txt").read_text("utf-8")
    assert "Motif" in note and "déposer à nouveau" in note

    broken.write_bytes(AUGUST_2019.read_bytes())  # same name, corrected content
    os.utime(broken, (1, 1))
    night()
    current = warehouse.execute(
        "SELECT status FROM registry.files WHERE landing_path = 'dsn/aout.dsn' "
        "ORDER BY received_at DESC LIMIT 1"
    ).fetchone()
    assert current == ("loaded_with_diagnostics",)
    assert warehouse.execute("SELECT count(*) FROM staging.declarations").fetchone() == (1,)


def test_every_landing_file_ends_the_night_with_a_final_status(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    deliver(landing, "aout.dsn", AUGUST_2019)
    deliver(landing, "copie.dsn", AUGUST_2019)
    deliver(landing, "vide.dsn", b"")
    deliver(landing, "contrats.csv", b"contrat;option\n", kind="reference")
    deliver(landing, "demandes.csv", b"nir;date\n", kind="portal")
    (landing / "mystere.bin").write_bytes(b"\x00\x01\x02")
    (landing / "dsn" / "en_cours.dsn.part").write_bytes(b"S10")  # upload still in progress
    night()
    found = statuses(warehouse)
    assert set(found) == {
        "dsn/aout.dsn",
        "dsn/copie.dsn",
        "dsn/vide.dsn",
        "reference/contrats.csv",
        "portal/demandes.csv",
        "mystere.bin",
        "dsn/en_cours.dsn.part",
    }
    assert set(found.values()) <= TERMINAL_STATUSES
    assert found["dsn/en_cours.dsn.part"] == "ignored"
    assert found["mystere.bin"] == "quarantined"
    assert found["dsn/vide.dsn"] == "quarantined"
    assert found["reference/contrats.csv"] == "registered"


def test_a_file_whose_declarations_are_all_rejected_is_quarantined_with_the_codes(
    landing: Path, warehouse: duckdb.DuckDBPyConnection, night: Callable[[], None]
) -> None:
    rejected = variant(AUGUST_2019, built_on="99999999")  # not a date: the declaration fails
    deliver(landing, "rejetee.dsn", rejected)
    night()
    row = warehouse.execute(
        "SELECT status, reason FROM registry.files WHERE landing_path = 'dsn/rejetee.dsn'"
    ).fetchone()
    assert row is not None
    status, reason = row
    assert status == "quarantined"
    assert "rejetées" in reason and "CSL-" in reason
    # Its diagnostics are kept for the report; none of its data reaches staging or the core.
    assert warehouse.execute("SELECT count(*) FROM staging.diagnostics").fetchone() != (0,)
    assert warehouse.execute("SELECT count(*) FROM staging.declarations").fetchone() == (0,)
