"""Stoppages read from the warehouse: the core model decides which declaration is in force,
so a replaced monthly DSN (type 03) no longer speaks for the stoppage it carried."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from quality.stoppages.inputs import read_inputs
from quality.stoppages.pipeline import StoppageResults, build
from quality.stoppages.terms import ProvidentTerms
from tests.quality.stoppage_cases import (
    APR,
    ILLNESS,
    MAR,
    NIR,
    NTT,
    TERMS,
    Stoppage,
    monthly,
    parsed_file,
    signalement,
    signals_of,
)
from warehouse import batches, load, models
from warehouse.connections import connect


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "warehouse.duckdb", read_only=False) as connection:
        yield connection


def terms_given(
    connection: duckdb.DuckDBPyConnection, terms: list[ProvidentTerms]
) -> StoppageResults:
    """The results from the warehouse's core model, with these terms for the contracts."""
    return build(read_inputs(connection), terms)


def loaded(connection: duckdb.DuckDBPyConnection, *files: bytes) -> duckdb.DuckDBPyConnection:
    """Files written to staging, then the core model rebuilt, as a night does."""
    for data in files:
        parsed = parsed_file(data)
        load.insert_frame(connection, "declarations", parsed.declarations)
        for block, table in parsed.blocks.items():
            load.insert_frame(connection, batches.block_table_name(block), table)
    models.rebuild_core(connection)
    return connection


def test_replacing_the_monthly_that_carried_the_stoppage_keeps_only_the_replacement(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    announced = signalement("04", date(2024, 3, 12), ILLNESS)
    wrong = Stoppage("01", ILLNESS.last_day_worked, date(2024, 4, 20))
    original = monthly(MAR, wrong, built=date(2024, 4, 5))
    replacement = monthly(MAR, ILLNESS, built=date(2024, 4, 8), kind="03")
    april = Stoppage("01", ILLNESS.last_day_worked, date(2024, 4, 30))
    results = terms_given(
        loaded(warehouse, announced, replacement, original, monthly(APR, april)), [TERMS]
    )

    [episode] = results.episodes.iter_rows(named=True)
    # The original's 20 April is gone: 31 March (signalement, replacement) then 30 April.
    assert [(p["from"], p["to"]) for p in episode["prolongations"]] == [
        (date(2024, 3, 31), date(2024, 4, 30))
    ]
    assert len(episode["files"]) == 3
    assert episode["subrogation_end"] == ILLNESS.subrogation_end
    assert signals_of(results, "ARR002") == [date(2024, 4, 1)]


def test_a_replacement_without_the_stoppage_leaves_only_the_signalement(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    announced = signalement("04", date(2024, 3, 12), ILLNESS)
    original = monthly(MAR, ILLNESS, built=date(2024, 4, 5))
    replacement = monthly(MAR, built=date(2024, 4, 8), kind="03")
    results = terms_given(loaded(warehouse, announced, original, replacement), [TERMS])

    [episode] = results.episodes.iter_rows(named=True)
    assert not episode["in_monthly"]
    assert signals_of(results, "ARR008") == [date(2024, 3, 11)]


def test_a_replaced_signalement_gives_way_to_its_replacement_even_arriving_first(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    wrong = Stoppage("01", ILLNESS.last_day_worked, date(2024, 4, 7))
    original = signalement("04", date(2024, 3, 12), wrong)
    replacement = signalement("04", date(2024, 3, 14), ILLNESS, replaces=original)
    results = terms_given(loaded(warehouse, replacement, original, monthly(MAR, ILLNESS)), [TERMS])

    [episode] = results.episodes.iter_rows(named=True)
    assert episode["initial_planned_end"] == date(2024, 3, 31)
    assert episode["prolongation_count"] == 0
    assert signals_of(results, "ARR001") == [date(2024, 3, 11)]


def test_a_stoppage_declared_under_an_ntt_then_under_the_nir_is_one_episode(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    prolongation = replace(ILLNESS, planned_end=date(2024, 4, 30))
    results = terms_given(
        loaded(
            warehouse,
            monthly(MAR, ILLNESS, ntt=NTT, nir=None),
            monthly(APR, prolongation, ntt=NTT),  # the NIR arrives, the NTT declared alongside
        ),
        [TERMS],
    )

    [episode] = results.episodes.iter_rows(named=True)
    assert episode["employee_key"] == NIR
    assert episode["prolongation_count"] == 1
    assert set(results.signals.get_column("employee_key")) == {NIR}
