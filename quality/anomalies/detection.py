"""What a rule receives and how the night's detections are gathered.

The rules themselves are listed explicitly, by catalogue code, in
`quality.affiliation.rules.AFFILIATION_RULES`, which the night passes to `detect_all`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb
import polars as pl

from quality.anomalies.catalogue import rule
from quality.anomalies.model import IDENTIFIED_SCHEMA, conform, identify


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds the business may tune (DOMAIN.md marks them as configurable)."""

    ntt_without_nir_months: int = 3
    contribution_tolerance: Decimal = Decimal("0.05")  # euros, per employee, contract and month
    # A request past its pending days (the portal shows it « à relancer ») is overdue once the
    # monthly DSN of the hiring month is in without the person: no further delay to wait.
    portal_request_delay_days: int = 8


@dataclass(frozen=True)
class DetectionContext:
    connection: duckdb.DuckDBPyConnection  # the warehouse, core tables up to date
    night: date
    settings: RuleSettings = field(default_factory=RuleSettings)


Detector = Callable[[DetectionContext], pl.DataFrame]


def detect_all(context: DetectionContext, detectors: Mapping[str, Detector]) -> pl.DataFrame:
    """Every rule's detections, identified (`IDENTIFIED_SCHEMA`), sorted by id.

    A night run with no rules would mark every open anomaly as resolved: refused.
    """
    if not detectors:
        raise RuntimeError("Aucune règle d'anomalie enregistrée : détection abandonnée")
    frames = [pl.DataFrame(schema=IDENTIFIED_SCHEMA)]
    for code, function in sorted(detectors.items()):
        catalogue_rule = rule(code)
        detections = conform(function(context), code)
        frames.append(identify(detections, catalogue_rule.identity, catalogue_rule.severity))
    return pl.concat(frames).sort("anomaly_id")
