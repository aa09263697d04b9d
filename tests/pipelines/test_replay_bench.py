"""Nightly replay (`make bench`): a generated portfolio delivered night by night in the order
its files arrive (the generator stamps each file's arrival as its mtime: signalements before
their month's DSN, late and replaced declarations, bank files in between), each night run with
`dsnpipe run --night <arrival day>`. Every night must publish without holding a company back,
score at least 0.99 in precision and recall for every anomaly rule and stoppage signal against
the generator's truth as of that night (`synthetic.nightly`), and the last night's portal must
be the one a single run over all the files publishes.

Two portfolios: one with many faults; one where a company's contracts have no parameter file
and two companies pay quarterly, whose provisional results and dunning are checked too.
The figures (per night and rule: support, precision, recall; wall time of the nights against
the one-shot run) are printed."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from synthetic import generate
from tests.pipelines.replay import THRESHOLD, Score, replay, run_night, score_night
from tests.pseudonym_key import use_test_pseudonym_key

# What depends on the night a result was first seen or a state changed, not on the data.
_NIGHT_DEPENDENT = ("night_id", "data_night_id", "first_seen", "last_seen", "status_since")
# The register's history has a row per night a state changed; the publication's own tables
# describe it (and count that history).
_HISTORY_TABLES = ("affiliation_follow_up", "publication", "publication_tables")
# Dunning stages that only inform: a contract whose terms are unknown never goes further.
_INFORMATION_STAGES = {"a_jour", "non_echu", "en_retard"}

PORTFOLIOS = {
    "fautes": {"companies": 3, "employees": 40, "months": 5, "seed": 7, "fault_rate": 0.5},
    "trimestriel_sans_parametres": {
        "companies": 3,
        "employees": 20,
        "months": 4,
        "seed": 4,
        "fault_rate": 0.3,
        "quarterly": 2,
        "without_parameters": 1,
    },
}


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


def _provisional_contracts(truth: Path) -> set[tuple[str, str]]:
    """The contracts without parameter file: a company's without any, and the contracts unknown
    to the insurer that payroll declares anyway (AFF003)."""
    contributions = pl.read_csv(truth / "contributions.csv", infer_schema=False)
    anomalies = pl.read_csv(truth / "anomalies.csv", infer_schema=False)
    without_file = contributions.filter(pl.col("provisional") == "1")
    unknown = anomalies.filter(pl.col("code") == "AFF003")
    return {
        row
        for frame in (without_file, unknown)
        for row in frame.select("siren", "contract_reference").iter_rows()
    }


def _check_provisional(serving: Path, provisional: set[tuple[str, str]]) -> list[str]:
    """Provisional exactly on the contracts without parameters; their dunning only informs."""
    with duckdb.connect(str(serving), read_only=True) as portal:
        flagged = set(
            portal.execute(
                "SELECT DISTINCT siren, contract_reference FROM portal_v1.contribution_periods "
                "WHERE provisional"
            ).fetchall()
        )
        called = set(
            portal.execute(
                "SELECT DISTINCT siren, contract_reference FROM portal_v1.contribution_periods"
            ).fetchall()
        )
        stages = portal.execute(
            "SELECT siren, contract_reference, stage, provisional FROM portal_v1.dunning"
        ).fetchall()
    problems = []
    if flagged != provisional & called:
        problems.append(f"provisoires {sorted(flagged)} ≠ attendus {sorted(provisional & called)}")
    for siren, contract, stage, is_provisional in stages:
        if ((siren, contract) in provisional) != is_provisional:
            problems.append(f"relance {siren} {contract} provisoire={is_provisional}")
        if (siren, contract) in provisional and stage not in _INFORMATION_STAGES:
            problems.append(f"relance {siren} {contract} au stade {stage}")
    return problems


@pytest.mark.bench
@pytest.mark.parametrize("name", PORTFOLIOS)
def test_a_portfolio_replayed_night_by_night_is_right_every_night_and_ends_as_one_run(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_test_pseudonym_key(monkeypatch)
    source = tmp_path / "source"
    generate(source, start=date(2024, 1, 1), **PORTFOLIOS[name])  # type: ignore[arg-type]
    truth = source / "truth"
    provisional = _provisional_contracts(truth)
    nightly = tmp_path / "nuit_par_nuit"
    failures: list[str] = []
    scored: list[Score] = []
    started = time.perf_counter()
    last = date.min
    nights = 0
    for night, code, out in replay(source, tmp_path / "landing", nightly / "entrepot.duckdb"):
        assert code == 0, (night, out)
        assert "retenue" not in out, (night, out)
        scores = score_night(nightly / "entrepot.duckdb", truth, night)
        scored += scores
        failures += [
            f"{s.line()} manquants={s.missing} en trop={s.extra}"
            for s in scores
            if not s.meets(THRESHOLD)
        ]
        failures += [
            f"{night} {p}" for p in _check_provisional(nightly / "serving.duckdb", provisional)
        ]
        last, nights = night, nights + 1
    replay_seconds = time.perf_counter() - started
    once = tmp_path / "une_fois"
    started = time.perf_counter()
    assert run_night(tmp_path / "landing", once / "entrepot.duckdb", last)[0] == 0
    once_seconds = time.perf_counter() - started

    print(
        f"\n{name} : {nights} nuits rejouées ; "
        f"nuits / passage unique = {replay_seconds / once_seconds:.1f}"
    )
    for score in scored:
        if score.expected or score.detected:
            print(score.line())
    supports = {s.rule_code: 0 for s in scored}
    for score in scored:
        supports[score.rule_code] = max(supports[score.rule_code], score.expected)
    print("support maximal par règle :", supports)
    assert sum(supports.values()) > 10, "too few expected items to measure anything"
    assert failures == []
    assert _portal(nightly / "serving.duckdb") == _portal(once / "serving.duckdb")
