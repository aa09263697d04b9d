"""Precision and recall of the anomaly rules against a generated portfolio's ground truth.

The synthetic generator writes what it injected to `anomalies.csv` (one row per expected
anomaly: code, siret, employee_key, contract_reference, month, contract_start, contract_number,
... as text). A detected anomaly and an expected one are the same when they agree on the rule's
match keys below: the anomaly identity restricted to what the truth knows (it does not know the
option code of AFF004, nor which of the two SIRETs of AFF008 is "the other one").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from quality.anomalies.catalogue import RULES

TRUTH_FILE = "anomalies.csv"

# detection column -> truth column
_TRUTH_COLUMNS = {
    "siret": "siret",
    "employee_key": "employee_key",
    "contract_reference": "contract_reference",
    "period": "month",
    "employment_start": "contract_start",
    "employment_number": "contract_number",
}
_EMPLOYEE_ON_CONTRACT = ("siret", "employee_key", "contract_reference")
MATCH_KEYS: dict[str, tuple[str, ...]] = {
    # The truth names only the health contract of an absent employee; the rule reports the
    # absence on each contract he was affiliated to (a radiation is forced per contract).
    "AFF002": ("siret", "employee_key"),
    "AFF006": ("siret", "employee_key"),  # an NTT has no contract of its own
    "AFF007": ("siret", "employee_key"),
    "AFF008": ("employee_key",),
    "AFF009": ("siret", "employee_key", "employment_start", "employment_number"),
    "AFF012": (*_EMPLOYEE_ON_CONTRACT, "period"),
}


@dataclass(frozen=True)
class RuleScore:
    rule_code: str
    expected: int
    detected: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.detected if self.detected else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None

    def meets(self, threshold: float) -> bool:
        """A rule with nothing expected and nothing found is fine; otherwise both scores count."""
        return all(score is None or score >= threshold for score in (self.precision, self.recall))


def read_truth(folder: Path) -> pl.DataFrame:
    return pl.read_csv(folder / TRUTH_FILE, infer_schema=False)


def _as_text(column: str) -> pl.Expr:
    """A detection column written the way the truth writes it (ISO dates, months YYYY-MM)."""
    if column == "period":
        return pl.col(column).dt.strftime("%Y-%m").fill_null("")
    if column == "employment_start":
        return pl.col(column).dt.strftime("%Y-%m-%d").fill_null("")
    return pl.col(column).cast(pl.String()).fill_null("")


def score_rules(detected: pl.DataFrame, truth: pl.DataFrame) -> list[RuleScore]:
    """One score per catalogue rule; `detected` has the detection columns (e.g. the register)."""
    scores = []
    for rule in RULES:
        keys = MATCH_KEYS.get(rule.code, _EMPLOYEE_ON_CONTRACT)
        found = set(
            detected.filter(pl.col("rule_code") == rule.code)
            .select([_as_text(k).alias(k) for k in keys])
            .iter_rows()
        )
        expected = set(
            truth.filter(pl.col("code") == rule.code)
            .select([pl.col(_TRUTH_COLUMNS[k]).fill_null("").alias(k) for k in keys])
            .iter_rows()
        )
        scores.append(RuleScore(rule.code, len(expected), len(found), len(found & expected)))
    return scores
