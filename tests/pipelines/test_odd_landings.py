"""Night after night on one warehouse, the landing directory does what real landings do: a
file already loaded is moved and renamed (same bytes, new path), a file lands twice under two
names, a file lands truncated and its full version replaces it the next night, a night brings
nothing new, a night's only new file is unreadable. After each night every published output is
what a fresh night on a copy of the same landing publishes, and every file of the landing is in
a known state (loaded, with diagnostics, registered for its domain, duplicate, or quarantined
with its reason in French).

Slow (seven nights, each beside a fresh one: about 3 min on the shared 2-core machine):
`make bench`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.replay import arrivals, land, land_insurer_files, run_night, small_portfolio
from tests.pseudonym_key import use_test_pseudonym_key
from warehouse.registry import FileStatus

_KNOWN = {
    FileStatus.LOADED,
    FileStatus.LOADED_WITH_DIAGNOSTICS,
    FileStatus.REGISTERED,
    FileStatus.DUPLICATE,
    FileStatus.QUARANTINED,
}


def _states(warehouse: Path, landing: Path) -> dict[str, tuple[str, str | None]]:
    """Every file now in the landing (its path in it) with its status and reason."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT landing_path, status, reason FROM registry.landing_status "
            "QUALIFY row_number() OVER (PARTITION BY landing_path ORDER BY seen_at DESC) = 1"
        ).fetchall()
    known = {path: (status, reason) for path, status, reason in rows}
    return {
        path: known.get(path, ("absent du registre", None))
        for path in (p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())
    }


def _reported_names(serving: Path) -> set[str]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        rows = connection.execute("SELECT file_name FROM portal_v1.declaration_reports").fetchall()
    return {name for (name,) in rows}


def _diagnostics_of_quarantined(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(count,)] = connection.execute(
            "SELECT count(*) FROM staging.diagnostics JOIN registry.files USING (file_id) "
            "WHERE status = ?",
            [FileStatus.QUARANTINED],
        ).fetchall()
    return int(count)


@pytest.mark.bench
def test_every_odd_landing_night_publishes_what_a_fresh_night_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source, landing = tmp_path / "source", tmp_path / "landing"
    small_portfolio(source)
    files = [p for paths in arrivals(source).values() for p in paths]
    monthly = sorted(p for p in files if p.name.startswith("DSN_01_"))
    moved, truncated, late = monthly[0], monthly[-2], monthly[-1]  # the last two: one company
    outputs = Outputs(tmp_path / "nuits" / "entrepot.duckdb")
    day = max(arrivals(source))
    # Once a file is renamed, its declaration's report and compte rendu keep the name the
    # company sent it under, which a fresh night cannot know.
    history: frozenset[str] = frozenset()
    # A file quarantined then replaced keeps its diagnostics in staging: why it was refused.
    kept: dict[str, int] = {}

    def night(what: str) -> dict[str, tuple[str, str | None]]:
        nonlocal day
        day += timedelta(days=1)
        code, out = run_night(landing, outputs.warehouse, day)
        assert code == 0, (what, out)
        fresh = fresh_night(landing, tmp_path / "fraiche", day)
        assert differences(outputs, fresh, history) == kept, what
        states = _states(outputs.warehouse, landing)
        assert {s for s, _ in states.values()} <= _KNOWN, (what, states)
        return states

    land_insurer_files(source, landing)
    land(source, landing, [p for p in files if p not in (late, truncated)])
    night("première nuit")

    new_path = landing / "dsn" / "reclasse" / f"renomme-{moved.name}"
    new_path.parent.mkdir()
    (landing / moved.relative_to(source)).rename(new_path)
    history = frozenset({"file_name", "fichier"})
    states = night("un fichier chargé déplacé et renommé")
    assert states[new_path.relative_to(landing).as_posix()][0] == FileStatus.DUPLICATE
    assert _reported_names(outputs.folder / "serving.duckdb") >= {moved.name}

    land(source, landing, [late])
    twice = landing / "dsn" / f"bis-{late.name}"
    twice.write_bytes(late.read_bytes())
    states = night("le même fichier sous deux noms")
    both = (late.relative_to(source).as_posix(), twice.relative_to(landing).as_posix())
    assert sorted(states[p][0] for p in both) == [FileStatus.DUPLICATE, FileStatus.LOADED]

    cut = landing / truncated.relative_to(source)
    cut.parent.mkdir(parents=True, exist_ok=True)
    content = truncated.read_bytes()
    cut.write_bytes(content[: len(content) // 2])
    states = night("un fichier tronqué")
    status, reason = states[cut.relative_to(landing).as_posix()]
    assert status == FileStatus.QUARANTINED and reason and "STR-ENVOI-INCOMPLETE" in reason
    kept = {"entrepôt : staging.diagnostics": _diagnostics_of_quarantined(outputs.warehouse)}
    cut.write_bytes(content)
    night("sa version complète le remplace")

    night("rien de nouveau")

    garbage = landing / "dsn" / "illisible.dsn"
    garbage.write_bytes(b"\x00\xff ceci n'est pas une DSN \x00")
    states = night("un seul fichier nouveau, illisible")
    status, reason = states["dsn/illisible.dsn"]
    assert status == FileStatus.QUARANTINED and reason
