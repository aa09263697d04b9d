"""A generated portfolio replayed night by night, each night scored against the generator's truth
as of that night (`synthetic.nightly`). Shared by the replay bench and its small default-suite
version."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.cli import main
from quality.anomalies.evaluation import RuleScore, score_rules
from quality.stoppages.catalogue import Signal
from synthetic import generate
from synthetic.nightly import truth_as_of

THRESHOLD = 0.99
SIGNAL_KEYS = ("code", "employee_key", "stoppage_first_day", "signal_date")
# A night's register: what is detected tonight (a resolved anomaly is no longer found).
_CURRENT = "status IN ('open', 'acknowledged')"


def small_portfolio(source: Path, *, fault_rate: float = 0.03) -> None:
    """The suite's small portfolio under `source`: 2 companies, 12 employees, 3 months from
    January 2024 (seed 2), a share `fault_rate` of its declarations faulty as the generator
    makes them (0.6: enough for every anomaly rule to have cases)."""
    generate(
        source,
        companies=2,
        employees=12,
        months=3,
        start=date(2024, 1, 1),
        seed=2,
        fault_rate=fault_rate,
    )


@dataclass(frozen=True)
class Score(RuleScore):
    """A rule's or signal's score on one night, with the items missed and found in excess."""

    night: date = date.min
    missing: tuple[tuple[str, ...], ...] = ()
    extra: tuple[tuple[str, ...], ...] = ()

    def line(self) -> str:
        def shown(value: float | None) -> str:
            return "  -  " if value is None else f"{value:.3f}"

        return (
            f"{self.night} {self.rule_code} attendus={self.expected:3d} trouvés={self.detected:3d} "
            f"précision={shown(self.precision)} rappel={shown(self.recall)}"
        )


def run_night(landing: Path, warehouse: Path, night: date) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        arguments = ["--landing", str(landing), "--warehouse", str(warehouse)]
        code = main(["run", *arguments, "--night", night.isoformat()])
    return code, out.getvalue()


def arrivals(source: Path) -> dict[date, list[Path]]:
    """The DSN and bank files of a generated portfolio by the night they land (their mtime)."""
    nights: dict[date, list[Path]] = defaultdict(list)
    for kind in ("dsn", "bank"):
        for path in sorted((source / kind).rglob("*")):
            if path.is_file():
                nights[date.fromtimestamp(path.stat().st_mtime)].append(path)
    return dict(sorted(nights.items()))


def land(source: Path, landing: Path, paths: list[Path]) -> None:
    """Deliver generated files into the landing directory, where the generator put them."""
    for path in paths:
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def land_insurer_files(source: Path, landing: Path) -> None:
    """Deliver the insurer's own files (contract parameters, portal exports): they are in the
    landing before the first night."""
    for kind in ("reference", "portal"):
        if (source / kind).exists():
            shutil.copytree(source / kind, landing / kind)


def replay(
    source: Path, landing: Path, warehouse: Path, only: set[date] | None = None
) -> Iterator[tuple[date, int, str]]:
    """Land the reference and portal files, then each night's files and run that night (or
    only the nights of `only`, the files of the others landing all the same)."""
    land_insurer_files(source, landing)
    for night, paths in arrivals(source).items():
        land(source, landing, paths)
        if only is None or night in only:
            code, out = run_night(landing, warehouse, night)
            yield night, code, out


def _text(frame: pl.DataFrame, columns: tuple[str, ...]) -> set[tuple[str, ...]]:
    return set(frame.select(pl.col(c).cast(pl.String).fill_null("") for c in columns).iter_rows())


def score_night(warehouse: Path, truth_folder: Path, night: date) -> list[Score]:
    """Every anomaly rule and stoppage signal of the night's results against the truth as of
    that night. The register and signals are read from the warehouse, which holds the keys the
    truth matches on (employment contract, first day off) that the portal rows do not all carry;
    the portal publishes the same rows when no company is held back."""
    truth = truth_as_of(truth_folder, night)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        anomalies = connection.sql(f"SELECT * FROM anomalies WHERE {_CURRENT}").pl()
        signals = connection.sql("SELECT * FROM stoppage.signals").pl()
    scores = [
        Score(s.rule_code, s.expected, s.detected, s.matched, night)
        for s in score_rules(anomalies, truth.anomalies)
    ]
    for code in Signal:
        found = _text(signals.filter(pl.col("code") == code.value), SIGNAL_KEYS)
        expected = _text(truth.signals.filter(pl.col("code") == code.value), SIGNAL_KEYS)
        scores.append(
            Score(
                code.value,
                len(expected),
                len(found),
                len(found & expected),
                night,
                tuple(sorted(expected - found)),
                tuple(sorted(found - expected)),
            )
        )
    return scores
