"""The affiliation register against a generated portfolio's ground truth (`truth/affiliations.csv`
of the synthetic generator): for evaluation and tests only, the pipeline never reads truth/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

TRUTH_FILE = "affiliations.csv"
_KEY = ["employee_key", "contract_reference"]


@dataclass(frozen=True)
class StateComparison:
    expected: int
    computed: int
    same_status: int
    same_status_since: int
    mismatches: pl.DataFrame  # key, expected and computed status, for every disagreement

    @property
    def all_statuses_equal(self) -> bool:
        return self.mismatches.is_empty()


def read_truth_states(folder: Path) -> pl.DataFrame:
    return pl.read_csv(folder / TRUTH_FILE, infer_schema=False)


def compare_states(states: pl.DataFrame, truth: pl.DataFrame) -> StateComparison:
    """Status per (employee, contract) of the register against the truth; a row missing on one
    side is a mismatch (status null on that side)."""
    expected = truth.select(
        *_KEY,
        pl.col("status").alias("expected_status"),
        pl.col("status_since").alias("expected_since"),
    )
    computed = states.select(
        *_KEY,
        pl.col("status").alias("computed_status"),
        pl.col("status_since").cast(pl.String()).alias("computed_since"),
    )
    both = expected.join(computed, on=_KEY, how="full", coalesce=True)
    same = both.filter(pl.col("expected_status") == pl.col("computed_status"))
    mismatches = both.filter(pl.col("expected_status").ne_missing(pl.col("computed_status"))).sort(
        _KEY
    )
    return StateComparison(
        expected=expected.height,
        computed=computed.height,
        same_status=same.height,
        same_status_since=same.filter(pl.col("expected_since") == pl.col("computed_since")).height,
        mismatches=mismatches,
    )
