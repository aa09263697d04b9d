"""Nightly replay (`make bench`): a generated portfolio delivered night by night in the order
its files arrive (the generator stamps each file's arrival as its mtime: signalements before
their month's DSN, late and replaced declarations, bank files in between), each night run with
`dsnpipe run --night <arrival day>`. Every night must publish without holding a company back,
and the last night's portal must be the one a single run over all the files publishes.

Not yet: a per-night truth of the generator to score each night's anomalies and signals."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from synthetic import generate

# What depends on the night a result was first seen or a state changed, not on the data.
_NIGHT_DEPENDENT = ("night_id", "data_night_id", "first_seen", "last_seen", "status_since")
# The register's history has a row per night a state changed; the publication's own tables
# describe it (and count that history).
_HISTORY_TABLES = ("affiliation_follow_up", "publication", "publication_tables")


def _run(landing: Path, warehouse: Path, night: date) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        arguments = ["--landing", str(landing), "--warehouse", str(warehouse)]
        code = main(["run", *arguments, "--night", night.isoformat()])
    return code, out.getvalue()


def _portal(serving: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        tables = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'portal_v1' "
            "ORDER BY table_name"
        ).fetchall()
        portal = {}
        for (table,) in tables:
            if table in _HISTORY_TABLES:
                continue
            columns = [
                f'"{name}"'
                for (name,) in connection.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'portal_v1' "
                    "AND table_name = ? ORDER BY column_index",
                    [table],
                ).fetchall()
                if not any(part in name for part in _NIGHT_DEPENDENT)
            ]
            rows = connection.execute(
                f"SELECT {', '.join(columns)} FROM portal_v1.{table}"
            ).fetchall()
            portal[table] = sorted(map(repr, rows))
    return portal


@pytest.mark.bench
def test_a_portfolio_replayed_night_by_night_publishes_every_night_and_ends_as_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DSNPIPE_PSEUDONYM_KEY", "clé de test, pas un secret : " + "x" * 32)
    source = tmp_path / "source"
    generate(source, companies=3, employees=20, months=6, start=date(2024, 1, 1), seed=3)
    arrivals: dict[date, list[Path]] = defaultdict(list)
    for kind in ("dsn", "bank"):
        for path in sorted((source / kind).rglob("*")):
            if path.is_file():
                arrivals[date.fromtimestamp(path.stat().st_mtime)].append(path)
    landing = tmp_path / "landing"
    for kind in ("reference", "portal"):
        shutil.copytree(source / kind, landing / kind)
    nightly = tmp_path / "nuit_par_nuit"
    nightly.mkdir()
    for night, paths in sorted(arrivals.items()):
        for path in paths:
            target = landing / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        code, out = _run(landing, nightly / "entrepot.duckdb", night)
        assert code == 0, (night, out)
        assert "retenue" not in out, (night, out)
    last = max(arrivals)
    once = tmp_path / "une_fois"
    once.mkdir()
    assert _run(landing, once / "entrepot.duckdb", last)[0] == 0
    print(f"\n{len(arrivals)} nuits rejouées, {sum(map(len, arrivals.values()))} fichiers")
    assert _portal(nightly / "serving.duckdb") == _portal(once / "serving.duckdb")
