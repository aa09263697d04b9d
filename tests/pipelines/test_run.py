"""`dsnpipe run`: the Dagster assets materialised in process on temporary directories."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.pseudonym_key import use_test_pseudonym_key
from tests.warehouse.helpers import (
    AUGUST_2019,
    FIXTURES,
    JUNE_2019,
    JUNE_2019_AGAIN,
    SEPTEMBER_2019,
    core_snapshot,
    deliver,
    registry_snapshot,
)
from warehouse.connections import connect


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The night ends with the analysts' exports, which production keys with this secret."""
    use_test_pseudonym_key(monkeypatch)


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    path = tmp_path / "landing"
    deliver(path, "aout.dsn", AUGUST_2019)
    deliver(path, "septembre.dsn", SEPTEMBER_2019)
    deliver(path, "juin.dsn", JUNE_2019)
    deliver(path, "juin_renvoye.dsn", JUNE_2019_AGAIN)
    deliver(path, "tronque.dsn", b"S10.G00.00.001,'TRONQUE'\n")
    camt = next((FIXTURES / "payments" / "camt053").glob("*.xml"))
    deliver(path, camt.name, camt, kind="bank")
    return path


def test_a_night_loads_the_landing_directory_and_prints_the_summary_in_french(
    landing: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSNPIPE_DATA_DOCS", "0")  # whatever the developer's environment says
    warehouse = tmp_path / "entrepot.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "Bilan de la nuit" in out
    assert "Doublons (contenu déjà reçu)" in out and "Fichiers en quarantaine" in out
    assert str(tmp_path / "quarantine") in out
    # Where the night's time went, step by step (what `make bench` reads for its stage shares).
    assert "Durée par étape" in out
    assert re.search(r"dsn_staging\W+\d+\.\d s\W+\d+ %", out)
    # With the process's peak memory as each step ended: where the night's peak was reached.
    assert "mémoire max du processus" in out
    peaks = [int(mb) for mb in re.findall(r"^\W*[a-z_]+\W+\d+\.\d s\W+\d+ %\W+(\d+) Mo", out, re.M)]
    assert len(peaks) == len(re.findall(r"^\W*[a-z_]+\W+\d+\.\d s\b", out, re.M)) > 1
    assert all(peak > 0 for peak in peaks)
    # Without the Data Docs site (`DSNPIPE_DATA_DOCS=0`, as the suite's nights run), the gates
    # judge and the night publishes all the same.
    assert (tmp_path / "serving.duckdb").is_file() and not (tmp_path / "data_docs").exists()
    with connect(warehouse) as connection:
        statuses = dict(
            connection.execute(
                "SELECT landing_path, status FROM registry.landing_status"
            ).fetchall()
        )
        in_force = connection.execute("SELECT count(*) FROM core.declarations_in_force").fetchone()
    assert statuses["dsn/juin_renvoye.dsn"] == "duplicate"
    assert statuses["dsn/tronque.dsn"] == "quarantined"
    assert statuses["bank/" + next(p.name for p in (landing / "bank").iterdir())].startswith(
        "loaded"
    )
    assert in_force == (3,)


def test_running_the_same_night_twice_changes_nothing(landing: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "entrepot.duckdb"
    arguments = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    assert main(arguments) == 0
    with connect(warehouse) as connection:
        before = (core_snapshot(connection), registry_snapshot(connection))
    assert main(arguments) == 0
    with connect(warehouse) as connection:
        assert (core_snapshot(connection), registry_snapshot(connection)) == before


def test_a_missing_landing_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--landing", str(tmp_path / "absent")]) == 2
    assert "Répertoire d'arrivée introuvable" in capsys.readouterr().out
