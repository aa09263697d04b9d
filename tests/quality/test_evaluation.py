"""Precision and recall per rule against the generator's ground truth file."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from pipelines.cli import main
from quality.anomalies.evaluation import read_truth, score_rules
from quality.anomalies.lifecycle import update_register
from tests.quality.detections import detections, missing_affiliation
from warehouse.connections import connect

TRUTH_HEADER = [
    "code",
    "severity",
    "siren",
    "siret",
    "employee_key",
    "nir",
    "ntt",
    "last_name",
    "contract_start",
    "contract_number",
    "contract_reference",
    "month",
    "file_name",
    "detail",
    "known_from",
    "true_until",
]


def write_truth(folder: Path, *rows: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "anomalies.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, TRUTH_HEADER, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in TRUTH_HEADER})
    return folder


def expected(code: str, nir: str, reference: str = "CTR-SANTE-01", **more: str) -> dict[str, str]:
    return {
        "code": code,
        "siret": "73282932000074",
        "employee_key": nir,
        "contract_reference": reference,
        **more,
    }


FOUND = detections(
    missing_affiliation(nir="1850575123456"),
    missing_affiliation(nir="1111111111111"),  # a false alarm
    {
        "rule_code": "AFF006",
        "siret": "73282932000074",
        "employee_key": "NTT7",
        "detail": "NTT depuis 4 mois",
    },
    *[
        {
            "rule_code": "AFF012",
            "siret": "73282932000074",
            "employee_key": "1850575123456",
            "contract_reference": "CTR-SANTE-01",
            "period": month,
            "detail": "écart",
        }
        for month in (date(2026, 9, 1), date(2026, 10, 1))
    ],
)
TRUTH = (
    expected("AFF001", "1850575123456"),
    expected("AFF001", "2900133000111"),  # missed
    expected("AFF006", "NTT7", reference=""),
    expected("AFF012", "1850575123456", month="2026-09"),
    expected("AFF012", "1850575123456", month="2026-10"),
)


def test_scores_per_rule(tmp_path: Path) -> None:
    scores = {s.rule_code: s for s in score_rules(FOUND, read_truth(write_truth(tmp_path, *TRUTH)))}

    assert (scores["AFF001"].precision, scores["AFF001"].recall) == (0.5, 0.5)
    assert (scores["AFF006"].precision, scores["AFF006"].recall) == (1.0, 1.0)
    assert (scores["AFF012"].matched, scores["AFF012"].expected) == (2, 2)
    assert (scores["AFF015"].precision, scores["AFF015"].recall) == (None, None)
    assert scores["AFF015"].meets(0.99) and not scores["AFF001"].meets(0.99)


def test_dsnpipe_evaluate_fails_below_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with connect(warehouse, read_only=False) as connection:
        update_register(connection, FOUND, date(2026, 11, 20))
    truth = write_truth(tmp_path / "truth", *TRUTH)

    code = main(["anomalies", "evaluate", "--truth", str(truth), "--warehouse", str(warehouse)])
    assert code == 1
    assert "AFF001" in capsys.readouterr().err

    code = main(
        [
            "anomalies",
            "evaluate",
            "--truth",
            str(truth),
            "--warehouse",
            str(warehouse),
            "--min",
            "0.5",
            "--json",
        ]
    )
    assert code == 0
    by_rule = {s["rule_code"]: s for s in json.loads(capsys.readouterr().out)}
    assert by_rule["AFF001"]["recall"] == 0.5


def test_the_truth_format_is_the_generators() -> None:
    truth = pytest.importorskip("synthetic.truth")
    assert tuple(TRUTH_HEADER) == truth.TABLES["anomalies"]
