"""Rules plug into the night run: registration, output checks, anomaly identity."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from quality.affiliation.rules import AFFILIATION_RULES
from quality.anomalies.catalogue import RULES, RULES_BY_CODE
from quality.anomalies.detection import DetectionContext, detect_all
from quality.anomalies.model import IDENTIFIED_SCHEMA, conform, identify, mask_employee_key
from quality.stoppages.catalogue import Signal
from tests.quality.detections import detections, missing_affiliation

NIGHT = date(2026, 11, 20)


def test_detect_all_runs_each_rule_and_identifies_its_rows() -> None:
    def missing(context: DetectionContext) -> pl.DataFrame:
        # A rule written in SQL: integer columns come back as Int64, and it may omit columns.
        return context.connection.sql(
            "SELECT '73282932000074' AS siret, '1850575123456' AS employee_key, "
            "'CTR-SANTE-01' AS contract_reference, 12 AS declaration_id, "
            "'Aucune affiliation' AS detail"
        ).pl()

    def off_rate(context: DetectionContext) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "siret": ["73282932000074"] * 2,
                "period": [date(2026, 9, 1), date(2026, 10, 1)],
                "detail": ["écart 1,00 €", "écart 2,00 €"],
            }
        )

    with duckdb.connect() as connection:
        found = detect_all(
            DetectionContext(connection, NIGHT), {"AFF001": missing, "AFF012": off_rate}
        )

    assert found.schema == pl.Schema(IDENTIFIED_SCHEMA)
    assert sorted(found["rule_code"].to_list()) == ["AFF001", "AFF012", "AFF012"]
    assert found["anomaly_id"].n_unique() == 3  # AFF012 is one anomaly per month
    assert set(found["severity"]) == {"error", "warning"}


def test_the_identity_ignores_what_may_change_without_making_a_new_anomaly() -> None:
    first = detections(missing_affiliation(detail="avant", period=date(2026, 9, 1)))
    later = detections(
        {
            **missing_affiliation(detail="après", period=date(2026, 10, 1)),
            "employee_name": "DUPONT Jean-Marie",
            "file_id": "0" * 64,
        }
    )
    other_employee = detections(missing_affiliation(nir="2900133000111"))

    assert first["anomaly_id"].item() == later["anomaly_id"].item()
    assert first["detail_fingerprint"].item() != later["detail_fingerprint"].item()
    assert first["anomaly_id"].item() != other_employee["anomaly_id"].item()


def test_a_null_key_and_an_empty_key_are_different_situations() -> None:
    rule = RULES_BY_CODE["AFF006"]
    frame = conform(
        pl.DataFrame({"siret": [None, ""], "employee_key": ["NTT1", "NTT1"], "detail": ["x", "x"]}),
        "AFF006",
    )
    assert identify(frame, rule.identity, rule.severity)["anomaly_id"].n_unique() == 2


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"detail": ["x"], "nir": ["1850575123456"]}), "colonnes inconnues"),
        (pl.DataFrame({"detail": [""]}), "détail vide"),
        (pl.DataFrame({"detail": ["x"], "rule_code": ["AFF002"]}), "autre règle"),
        (pl.DataFrame({"detail": ["x"], "period": ["octobre"]}), "type inattendu"),
    ],
)
def test_a_faulty_rule_output_is_refused(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        conform(frame, "AFF001")


def test_every_catalogue_rule_has_one_detector_and_no_detector_is_outside_it() -> None:
    assert list(AFFILIATION_RULES) == [rule.code for rule in RULES]
    assert len(set(AFFILIATION_RULES.values())) == len(AFFILIATION_RULES)


def test_a_detector_under_a_code_outside_the_catalogue_is_refused() -> None:
    with duckdb.connect() as connection, pytest.raises(KeyError, match="inconnue"):
        detect_all(DetectionContext(connection, NIGHT), {"AFF999": lambda _: pl.DataFrame()})


def test_no_registered_rule_means_no_night_run() -> None:
    with duckdb.connect() as connection, pytest.raises(RuntimeError, match="Aucune règle"):
        detect_all(DetectionContext(connection, NIGHT), {})


def test_every_category_of_the_domain_has_a_rule_with_a_french_label() -> None:
    assert [r.code for r in RULES] == [f"AFF{n:03d}" for n in range(1, 16)]
    for rule in RULES:
        assert rule.label and rule.explanation and rule.identity


def test_codes_and_severities_match_the_generator_ground_truth() -> None:
    truth = pytest.importorskip("synthetic.truth")
    assert {code: rule.severity.value for code, rule in RULES_BY_CODE.items()} == {
        str(code): severity for code, severity in truth.ANOMALIES.items()
    }
    assert {str(signal) for signal in truth.Signal} == {str(signal) for signal in Signal}


def test_masked_employee_keys_give_nothing_away() -> None:
    assert mask_employee_key("1850575123456") == "1" + "*" * 12  # dsn_parser.masking
    assert mask_employee_key(None) == ""
