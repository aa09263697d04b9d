"""Where rules register and how the night's detections are gathered.

Adding a rule: in its family's module under `quality/affiliation/`, write a function that takes
the `DetectionContext` and returns a Polars frame of `model.DETECTION_SCHEMA` columns (only those
it fills), decorate it with `@detector("CODE")` where CODE is in the catalogue, and import the
module from `quality/affiliation/__init__.py`. `detect_all` then runs it every night.
"""

from __future__ import annotations

import importlib
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
    portal_request_delay_days: int = 45  # a request must appear in a DSN within this delay


@dataclass(frozen=True)
class DetectionContext:
    connection: duckdb.DuckDBPyConnection  # the warehouse, core tables up to date
    night: date
    settings: RuleSettings = field(default_factory=RuleSettings)


Detector = Callable[[DetectionContext], pl.DataFrame]

_DETECTORS: dict[str, Detector] = {}
RULE_PACKAGE = "quality.affiliation"  # its __init__ imports every rule module


def detector(code: str) -> Callable[[Detector], Detector]:
    """Register the decorated function as the detector of catalogue rule `code`."""
    rule(code)  # an unknown code fails at import time, not at night

    def register(function: Detector) -> Detector:
        if code in _DETECTORS and _DETECTORS[code] is not function:
            raise ValueError(f"La règle {code} a déjà un détecteur : {_DETECTORS[code].__name__}")
        _DETECTORS[code] = function
        return function

    return register


def registered_detectors() -> dict[str, Detector]:
    return dict(_DETECTORS)


def detect_all(
    context: DetectionContext, detectors: Mapping[str, Detector] | None = None
) -> pl.DataFrame:
    """Every registered rule's detections, identified (`IDENTIFIED_SCHEMA`), sorted by id.

    Without explicit `detectors`, the rule modules are imported here so that their detectors are
    registered: a night run with no rules would mark every open anomaly as resolved.
    """
    if detectors is None:
        importlib.import_module(RULE_PACKAGE)
        detectors = _DETECTORS
    if not detectors:
        raise RuntimeError("Aucune règle d'anomalie enregistrée : détection abandonnée")
    frames = [pl.DataFrame(schema=IDENTIFIED_SCHEMA)]
    for code, function in sorted(detectors.items()):
        catalogue_rule = rule(code)
        detections = conform(function(context), code)
        frames.append(identify(detections, catalogue_rule.identity, catalogue_rule.severity))
    return pl.concat(frames).sort("anomaly_id")
