"""The portal snapshot a night publishes, its core dimensions rebuilt only for what the night's
files touched, is night after night what the same night publishes from a core model rebuilt
whole on a copy of the warehouse: the portfolio but for its signalements and a monthly DSN, then
that monthly DSN with a first signalement, then signalements alone (most of them about one
employee of a company of many), a night later each time."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from serving.gates import HoldBack, run_gates
from serving.snapshot import build_candidate
from serving.spec import NIGHT_ID_COLUMN, SCHEMA
from serving.tables import PORTAL_TABLES
from tests.pipelines.replay import land, run_night
from tests.pseudonym_key import use_test_pseudonym_key
from tests.quality.incremental_nights import BIG, signalement_nights
from warehouse import models
from warehouse.connections import connect

# Which night's rows a table shows, not what they say.
_NIGHT_COLUMNS = {NIGHT_ID_COLUMN, "data_night_id"}


def _portal(serving: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every portal table's rows, sorted, without the columns naming the night."""
    with duckdb.connect(str(serving), read_only=True) as connection:
        tables = {}
        for spec in PORTAL_TABLES:
            columns = ", ".join(f'"{c}"' for c in spec.column_names if c not in _NIGHT_COLUMNS)
            rows = connection.execute(f"SELECT {columns} FROM {SCHEMA}.{spec.name}").fetchall()
            tables[spec.name] = sorted(rows, key=repr)
    return tables


def _published_whole(warehouse: Path, served_before: Path, work: Path, day: date) -> Path:
    """What the night publishes from a copy of `warehouse` whose core model is rebuilt whole
    (companies failing their gates held back on `served_before`)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(warehouse, work / "entier.duckdb")
    with connect(work / "entier.duckdb", read_only=False) as connection:
        models.rebuild_core(connection)
    candidate = build_candidate(
        work / "entier.duckdb", work / "serving.duckdb", day, f"{day.isoformat()}-0000cafe"
    )
    run_gates(candidate.path, PORTAL_TABLES, {}, hold_back=HoldBack(served_before, day))
    return candidate.path


def test_each_night_publishes_what_a_whole_core_rebuild_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    late = signalement_nights(tmp_path)
    warehouse = tmp_path / "w" / "entrepot.duckdb"
    serving, before = warehouse.parent / "serving.duckdb", tmp_path / "servi_la_veille.duckdb"
    nights = [[late.signalements[0], late.held_back], *[[s] for s in late.signalements[1:3]]]
    assert any(BIG in s.name for [s] in nights[1:])
    code, out = run_night(late.landing, warehouse, late.day)
    assert code == 0, out
    for offset, files in enumerate(nights, start=1):
        shutil.copy(serving, before)
        land(late.source, late.landing, files)
        day = late.day + timedelta(days=offset)
        code, out = run_night(late.landing, warehouse, day)
        assert code == 0, out
        whole = _published_whole(warehouse, before, tmp_path / "entier", day)
        assert _portal(serving) == _portal(whole), [f.name for f in files]
