"""The shape of a detected affiliation anomaly, its severity, status and identity.

A rule returns a frame of `DETECTION_SCHEMA` (one row per situation it finds); `identify` adds
the anomaly identity and the detail fingerprint the register needs (`IDENTIFIED_SCHEMA`).

Identity. An anomaly is the same from one night to the next when its rule and the keys that
identify its situation are the same. Which detection columns identify the situation is declared
per rule in the catalogue (`AnomalyRule.identity`); the id is a SHA-256 of the rule code and those
values. Columns left out of a rule's identity (the name, the detail, the period for most rules,
the file it was seen in) may change without making it a new anomaly. Consequence worth knowing:
an employee declared under an NTT who later gets a NIR is a new employee key, so NTT-keyed
anomalies resolve by data and NIR-keyed ones open.

Fingerprint. A steward's resolution holds until the data of the anomaly changes; "the data" is
the detail text, whose SHA-256 is the fingerprint. Rules must therefore describe the situation in
the detail (what is wrong and with which values), never when it was seen (the period and the
seen dates have their own columns), or every new month would reopen resolved anomalies.

Personal data: `employee_key` (NIR or NTT) and `employee_name` live in the warehouse and the
steward's internal report only; never log them (see `mask_employee_key`).
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

import polars as pl

from dsn_parser.masking import mask_personal


class AnomalySeverity(StrEnum):
    """The same three levels as the rest of the project (and the generator's ground truth).

    - error: the employee's cover is wrong now (not covered, covered by a contract or an option
      the insurer does not know, radiated but declared); handled first;
    - warning: cover or contributions go wrong unless the company corrects its next DSN;
    - info: worth knowing, nothing to correct (no anomaly rule uses it today).
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_LABELS: dict[AnomalySeverity, str] = {
    AnomalySeverity.ERROR: "Bloquante",
    AnomalySeverity.WARNING: "À corriger",
    AnomalySeverity.INFO: "Information",
}

# Most severe first: the order of report sections and of sorting.
SEVERITY_ORDER: tuple[AnomalySeverity, ...] = (
    AnomalySeverity.ERROR,
    AnomalySeverity.WARNING,
    AnomalySeverity.INFO,
)


class AnomalyStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # a steward is working on it
    RESOLVED_BY_DATA = "resolved_by_data"  # no longer detected
    RESOLVED_BY_STEWARD = "resolved_by_steward"  # closed by a decision; holds until data change


STATUS_LABELS: dict[AnomalyStatus, str] = {
    AnomalyStatus.OPEN: "Ouverte",
    AnomalyStatus.ACKNOWLEDGED: "Prise en charge",
    AnomalyStatus.RESOLVED_BY_DATA: "Résolue par les données",
    AnomalyStatus.RESOLVED_BY_STEWARD: "Résolue par un gestionnaire",
}

ACTIVE_STATUSES: tuple[AnomalyStatus, ...] = (AnomalyStatus.OPEN, AnomalyStatus.ACKNOWLEDGED)
# The same, as the SQL list of the register's queries: status IN (...).
ACTIVE_STATUSES_SQL = ", ".join(f"'{status.value}'" for status in ACTIVE_STATUSES)


def severity_label(code: str) -> str:
    """French label of a severity code of the register (e.g. error: Bloquante)."""
    return SEVERITY_LABELS[AnomalySeverity(code)]


def status_label(code: str) -> str:
    """French label of a status code of the register (e.g. acknowledged: Prise en charge)."""
    return STATUS_LABELS[AnomalyStatus(code)]


# What a rule returns: one row per situation found. Only rule_code and detail are mandatory;
# a rule leaves the other columns null when they do not apply to it.
DETECTION_SCHEMA: dict[str, pl.DataType] = {
    "rule_code": pl.String(),  # a code of the catalogue
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),  # NIR (S21.G00.30.001), else NTT (30.020): personal
    "employee_name": pl.String(),  # "NOM Prénoms": personal
    "contract_reference": pl.String(),  # the OC contract (S21.G00.15.001)
    # The employment contract, when the situation is about one: S21.G00.40.001 and .009.
    "employment_start": pl.Date(),
    "employment_number": pl.String(),
    # A rule-specific discriminator when the keys above do not tell two situations apart
    # (e.g. the option code declared, the other establishment); documented per rule.
    "situation": pl.String(),
    "affiliation_date": pl.Date(),
    "period": pl.Date(),  # the declaration month the situation was seen in (1st of the month)
    "detail": pl.String(),  # French, for the steward and the company
    "file_id": pl.String(),  # SHA-256 of the file it was seen in
    "declaration_id": pl.UInt32(),  # the S20.G00.05 instance in that file
}

# Columns a rule's identity may use.
IDENTITY_COLUMNS: tuple[str, ...] = (
    "siren",
    "siret",
    "employee_key",
    "contract_reference",
    "employment_start",
    "employment_number",
    "situation",
    "affiliation_date",
    "period",
)

IDENTIFIED_SCHEMA: dict[str, pl.DataType] = {
    "anomaly_id": pl.String(),
    **DETECTION_SCHEMA,
    "severity": pl.String(),
    "detail_fingerprint": pl.String(),
}

ANOMALY_ID_LENGTH = 16  # hex characters: 64 bits, no collision in any plausible register
_FINGERPRINT_LENGTH = 16
_UNIT_SEPARATOR = "\x1f"  # between identity values; never in DSN values (printable Latin-1)
_NULL_MARK = "\x00"  # a null identity value, distinct from an empty string


def empty_detections() -> pl.DataFrame:
    return pl.DataFrame(schema=DETECTION_SCHEMA)


def anomaly_id(rule_code: str, identity_values: list[str | None]) -> str:
    """The stable id of an anomaly: its rule code and the values of its identity columns."""
    parts = [rule_code, *(_NULL_MARK if v is None else v for v in identity_values)]
    digest = hashlib.sha256(_UNIT_SEPARATOR.join(parts).encode("utf-8")).hexdigest()
    return digest[:ANOMALY_ID_LENGTH]


def detail_fingerprint(detail: str) -> str:
    return hashlib.sha256(detail.encode("utf-8")).hexdigest()[:_FINGERPRINT_LENGTH]


def mask_employee_key(key: str | None) -> str:
    """What logs and default CLI output may show of a NIR or NTT (`dsn_parser.masking`)."""
    if not key:
        return ""
    return mask_personal(key)


def conform(frame: pl.DataFrame, rule_code: str) -> pl.DataFrame:
    """A rule's output checked and brought to `DETECTION_SCHEMA` (missing columns as nulls).

    A rule may return only the columns it fills, in any type that converts without loss (an
    Int64 declaration id from SQL); a column that does not convert, an unknown column, an empty
    detail or another rule's code is a programming error and raises.
    """
    unknown = set(frame.columns) - set(DETECTION_SCHEMA)
    if unknown:
        raise ValueError(f"Règle {rule_code} : colonnes inconnues {sorted(unknown)}")
    if "rule_code" not in frame.columns:
        frame = frame.with_columns(rule_code=pl.lit(rule_code, dtype=pl.String()))
    try:
        frame = frame.select(
            [
                pl.col(name).cast(dtype, strict=True)
                if name in frame.columns
                else pl.lit(None, dtype).alias(name)
                for name, dtype in DETECTION_SCHEMA.items()
            ]
        )
    except pl.exceptions.PolarsError as error:
        raise TypeError(f"Règle {rule_code} : colonne de type inattendu ({error})") from error
    other_codes = frame.filter(pl.col("rule_code") != rule_code)["rule_code"].unique().to_list()
    if other_codes:
        raise ValueError(f"Règle {rule_code} : lignes d'une autre règle {sorted(other_codes)}")
    if frame.filter(pl.col("detail").is_null() | (pl.col("detail") == "")).height:
        raise ValueError(f"Règle {rule_code} : détail vide")
    return frame


def identify(
    detections: pl.DataFrame, identity: tuple[str, ...], severity: AnomalySeverity
) -> pl.DataFrame:
    """Detections of ONE rule with their anomaly id, severity and detail fingerprint.

    The same situation seen several times in one night (two declarations, a replaced one...)
    is one anomaly: the row of the latest period, then the latest file, then the first detail
    (so that the same files give the same detail every night), is kept.
    """
    if detections.is_empty():
        return pl.DataFrame(schema=IDENTIFIED_SCHEMA)
    if not identity:
        raise ValueError("Une règle sans colonnes d'identité ne peut pas suivre ses anomalies")
    key_frame = detections.select([pl.col(c).cast(pl.String()) for c in identity])
    rule_codes = detections["rule_code"].to_list()
    ids = [
        anomaly_id(code, list(values))
        for code, values in zip(rule_codes, key_frame.iter_rows(), strict=True)
    ]
    fingerprints = [detail_fingerprint(d) for d in detections["detail"].to_list()]
    identified = detections.with_columns(
        anomaly_id=pl.Series(ids, dtype=pl.String()),
        severity=pl.lit(severity.value, dtype=pl.String()),
        detail_fingerprint=pl.Series(fingerprints, dtype=pl.String()),
    ).select(list(IDENTIFIED_SCHEMA))
    return (
        identified.sort(
            ["anomaly_id", "period", "file_id", "declaration_id", "detail"],
            descending=[False, True, True, True, False],
            nulls_last=True,
        )
        .unique(subset="anomaly_id", keep="first", maintain_order=True)
        .sort("anomaly_id")
    )
