"""Small hand-made detections for the register and report tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

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


# A small portfolio of anomalies over two nights, for the report tests.
REPORT_NIGHT = date(2026, 11, 21)
COMPANIES = {"732829320": "BOULANGERIE DU PORT", "552100554": "TRANSPORTS LEROUX"}


def report_detections(night: int) -> pl.DataFrame:
    """Night 1: three anomalies; night 2: one gone, two stay, two new (one <script> detail)."""
    stays: list[dict[str, Any]] = [
        missing_affiliation(nir="1850575123456", siret="73282932000074"),
        {
            "rule_code": "AFF012",
            "siren": "552100554",
            "siret": "55210055400013",
            "employee_key": "2900133000111",
            "employee_name": "LÉGER Anaïs",
            "contract_reference": "PREV-2020-7",
            "period": date(2026, 10, 1),
            "detail": "Cotisation 059 déclarée 41,20 €, attendue 46,33 € (1,20 % × 3 861,00 €)",
        },
    ]
    gone: dict[str, Any] = {
        "rule_code": "AFF006",
        "siren": "552100554",
        "siret": "55210055400013",
        "employee_key": "NTT55210055400000007",
        "employee_name": "MARTIN Paul",
        "detail": "Déclaré sous NTT sans NIR depuis 4 mois",
    }
    new: list[dict[str, Any]] = [
        {
            "rule_code": "AFF015",
            "siren": "732829320",
            "siret": "73282932000082",
            "employee_key": "1780299000222",
            "employee_name": "D'ARTAGNAN Charles",
            "contract_reference": "CTR-SANTE-01",
            "affiliation_date": date(2025, 1, 1),
            "detail": "Radié le 31/08/2026 (fin de contrat 059) mais affilié en octobre 2026",
        },
        {
            "rule_code": "AFF010",
            "siren": "552100554",
            "siret": "55210055400013",
            "employee_key": "1690699000333",
            "employee_name": "<script>alert(1)</script>",
            "contract_reference": "PREV-2020-7",
            "detail": "2 enfants déclarés en 70.008, 1 bloc S21.G00.73 de type 02",
        },
    ]
    return detections(*stays, gone) if night == 1 else detections(*stays, *new)
