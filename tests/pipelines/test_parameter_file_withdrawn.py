"""A contract parameter file withdrawn from the landing, night after night: the portal's
follow-up stops showing the affiliations of that contract (the warehouse's history keeps what
the earlier nights said); a withdrawal taking most of the register's affiliations with it is
refused by the row-count gate with a French reason naming the table, the counts and what to
do, the portal keeping its night; the file put back, the next night publishes what a fresh night
on the same landing publishes."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from serving.snapshot import published_night_id
from tests.pipelines.fresh_night import Outputs, differences, fresh_night
from tests.pipelines.replay import arrivals, land, land_insurer_files, run_night, small_portfolio
from tests.pseudonym_key import use_test_pseudonym_key

# Of the generated portfolio's parameter files: a small contract and the one most employees
# are affiliated to.
SMALL, LARGE = "000001_S966.json", "000002_S405.json"


def _contracts(database: Path, table: str) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            f"SELECT contract_reference, count(*) FROM {table} GROUP BY ALL"
        ).fetchall()
    return dict(rows)


def _published_first_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, date]:
    """A small portfolio's landing, its first night published: the landing, the warehouse, the
    night."""
    use_test_pseudonym_key(monkeypatch)
    source, landing = tmp_path / "source", tmp_path / "landing"
    small_portfolio(source, fault_rate=0.6)
    land_insurer_files(source, landing)
    land(source, landing, [p for paths in arrivals(source).values() for p in paths])
    warehouse = tmp_path / "nuits" / "entrepot.duckdb"
    day = max(arrivals(source)) + timedelta(days=1)
    assert run_night(landing, warehouse, day)[0] == 0
    return landing, warehouse, day


def test_a_withdrawn_parameter_file_leaves_the_follow_up_and_a_large_one_is_refused_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, warehouse, day = _published_first_night(tmp_path, monkeypatch)
    serving = warehouse.parent / "serving.duckdb"
    states = _contracts(serving, "portal_v1.affiliation_states")
    small, large = (n.removesuffix(".json").replace("_", "/") for n in (SMALL, LARGE))
    assert states[small] > 0 and states[large] > sum(states.values()) / 2

    (landing / "reference" / SMALL).rename(tmp_path / SMALL)
    day += timedelta(days=1)
    assert run_night(landing, warehouse, day)[0] == 0
    assert small not in _contracts(serving, "portal_v1.affiliation_follow_up")
    assert small in _contracts(warehouse, "core.affiliation_history")  # what was said stays

    shutil.move(landing / "reference" / LARGE, tmp_path / LARGE)
    published = published_night_id(serving)
    day += timedelta(days=1)
    code, out = run_night(landing, warehouse, day)
    assert code == 1
    said = " ".join(out.split())  # as the operator reads it, whatever the terminal's width
    remaining = sum(states.values()) - states[small] - states[large]
    assert (
        f"affiliation_states : {remaining} ligne(s) ce soir contre "
        f"{sum(states.values()) - states[small]} à la dernière publication" in said
    )
    assert "fiche de paramétrage de contrat retirée" in said
    # The operator reads what failed and what did not run in French, without Dagster's internals.
    assert "Stack Trace" not in out and "Not executing" not in out
    assert "Contrôles bloquants en échec : portal_candidate" in said
    assert "Étapes non exécutées" in said and "serving_snapshot" in said
    assert "--accepter-baisse affiliation_follow_up,affiliation_states" in said
    assert published_night_id(serving) == published

    shutil.move(tmp_path / LARGE, landing / "reference" / LARGE)
    code, out = run_night(landing, warehouse, day)
    assert code == 0, out
    assert published_night_id(serving) != published
    assert large in _contracts(serving, "portal_v1.affiliation_follow_up")
    fresh = fresh_night(landing, tmp_path / "fraiche", day)
    assert differences(Outputs(warehouse), fresh) == {}


def test_a_drop_the_operator_accepts_is_published_for_that_night_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, warehouse, day = _published_first_night(tmp_path, monkeypatch)
    serving = warehouse.parent / "serving.duckdb"
    large = LARGE.removesuffix(".json").replace("_", "/")
    (landing / "reference" / LARGE).unlink()  # withdrawn on purpose: the contract has ended
    day += timedelta(days=1)
    assert run_night(landing, warehouse, day)[0] == 1
    refused = published_night_id(serving)

    arguments = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    with pytest.raises(SystemExit):  # a table the portal has not: argparse's refusal, in French
        main([*arguments, "--accepter-baisse", "affiliations"])
    refusal = " ".join(capsys.readouterr().err.split())
    assert "table(s) du portail inconnue(s) : affiliations" in refusal
    tables = "affiliation_follow_up,affiliation_states"
    assert main([*arguments, "--night", day.isoformat(), "--accepter-baisse", tables]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert "Volume de affiliation_states accepté sans borne cette nuit" in said
    assert published_night_id(serving) != refused
    assert large not in _contracts(serving, "portal_v1.affiliation_follow_up")

    # The next night, without the option, is measured against the accepted publication.
    day += timedelta(days=1)
    code, out = run_night(landing, warehouse, day)
    assert code == 0, out
