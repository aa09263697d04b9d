"""Small hand-made detections for the register tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import polars as pl
import pytest

from quality.anomalies.catalogue import rule
from quality.anomalies.model import IDENTIFIED_SCHEMA, conform, identify


def detections(*rows: dict[str, Any]) -> pl.DataFrame:
    """Rows of several rules, identified as the night run does (one rule at a time)."""
    frames = []
    for code in sorted({r["rule_code"] for r in rows}):
        catalogue_rule = rule(code)
        raw = pl.DataFrame([r for r in rows if r["rule_code"] == code], infer_schema_length=None)
        frames.append(
            identify(conform(raw, code), catalogue_rule.identity, catalogue_rule.severity)
        )
    return pl.concat([pl.DataFrame(schema=IDENTIFIED_SCHEMA), *frames])


def missing_affiliation(
    nir: str = "1850575123456",
    siret: str = "73282932000074",
    detail: str = "Catégorie 04 (non-cadre) couverte par la population NC, aucune affiliation",
    period: date = date(2026, 10, 1),
) -> dict[str, Any]:
    return {
        "rule_code": "AFF001",
        "siren": siret[:9],
        "siret": siret,
        "employee_key": nir,
        "employee_name": "DUPONT Jean",
        "contract_reference": "CTR-SANTE-01",
        "affiliation_date": date(2026, 9, 1),
        "period": period,
        "detail": detail,
        "file_id": "f" * 64,
        "declaration_id": 12,
    }


@pytest.fixture
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as con:
        yield con
