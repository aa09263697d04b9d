"""What the steward report shows, read from the anomaly register after a night run.

Shared by the HTML page and the Excel workbook so both always say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import duckdb
import polars as pl

from quality.anomalies.catalogue import RULES
from quality.anomalies.model import ACTIVE_STATUSES_SQL, SEVERITY_ORDER
from warehouse.connections import has_table
from warehouse.reference import contracts_without_parameters, reference_warnings

# Active anomalies, with the columns the report shows and the declaration they were seen in:
# its file and its line (a declaration's id is the line of its S20 block), most severe and
# oldest first.
_ACTIVE_QUERY = f"""
    SELECT a.anomaly_id, a.rule_code, a.severity, a.status, a.siren, a.siret, a.employee_key,
           a.employee_name, a.contract_reference, a.affiliation_date, a.period, a.detail,
           a.first_seen, a.last_seen, a.status_since, f.original_name AS source_file,
           a.declaration_id AS source_line
    FROM anomalies AS a
    LEFT JOIN registry.files AS f USING (file_id)
    WHERE a.status IN ({ACTIVE_STATUSES_SQL})
"""
# The same without the staging tables (a register filled by tests or by hand).
_ACTIVE_WITHOUT_SOURCE = f"""
    SELECT anomaly_id, rule_code, severity, status, siren, siret, employee_key, employee_name,
           contract_reference, affiliation_date, period, detail, first_seen, last_seen,
           status_since, NULL::VARCHAR AS source_file, NULL::BIGINT AS source_line
    FROM anomalies WHERE status IN ({ACTIVE_STATUSES_SQL})
"""
# The companies' names, as their contract parameters give them.
_COMPANY_NAMES_QUERY = """
    SELECT json_extract_string(document, '$.siren'),
           any_value(json_extract_string(document, '$.company_name'))
    FROM reference.contract_parameters GROUP BY 1
"""

_EVENT_COUNTS_QUERY = """
    SELECT a.rule_code,
           count(*) FILTER (WHERE e.event IN ('detected', 'reopened')) AS new_tonight,
           count(*) FILTER (WHERE e.event = 'resolved_by_data') AS resolved_by_data_tonight,
           count(*) FILTER (WHERE e.event IN ('resolved_by_steward', 'forced_affiliation',
                                              'forced_radiation')) AS resolved_by_steward_tonight
    FROM anomaly_events AS e JOIN anomalies AS a USING (anomaly_id)
    WHERE e.night = ?
    GROUP BY a.rule_code
"""

_NEW_TONIGHT_QUERY = """
    SELECT DISTINCT anomaly_id FROM anomaly_events
    WHERE night = ? AND event IN ('detected', 'reopened')
"""


@dataclass(frozen=True)
class CompanyAnomalies:
    siren: str | None  # None: anomalies whose company could not be told
    name: str | None
    anomalies: pl.DataFrame  # active anomalies of the company, as in `StewardReport.active`


@dataclass(frozen=True)
class StewardReport:
    night: date
    previous_night: date | None
    per_rule: pl.DataFrame  # one row per catalogue rule: counts
    active: pl.DataFrame  # open and acknowledged anomalies, with `is_new` and `rule_label`
    oldest: pl.DataFrame  # the active anomalies seen first, oldest first
    companies: list[CompanyAnomalies] = field(default_factory=list)
    # night, anomalies the rules detected that night: the trend over the last nights
    trend: list[tuple[date, int]] = field(default_factory=list)
    # What the night lacked of the insurer's reference files (French), shown first: every
    # affiliation of a contract without parameters is AFF003 and its ledgers provisional.
    reference_warnings: list[str] = field(default_factory=list)
    contracts_without_parameters: list[str] = field(default_factory=list)
    # The stewards' decisions the night could not apply (source, row or line, reason in French):
    # a bad workbook row or JSON line, an unknown anomaly, a decision without effect.
    refused_decisions: list[tuple[str, int | None, str]] = field(default_factory=list)

    @property
    def new_tonight(self) -> pl.DataFrame:
        return self.active.filter(pl.col("is_new"))


def _catalogue_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rule_code": [r.code for r in RULES],
            "rule_label": [r.label for r in RULES],
            "explanation": [r.explanation for r in RULES],
            "severity": [r.severity.value for r in RULES],
        }
    )


def _severity_rank() -> pl.Expr:
    ranks = {s.value: i for i, s in enumerate(SEVERITY_ORDER)}
    return pl.col("severity").replace_strict(ranks, default=len(ranks), return_dtype=pl.Int32())


def read_report(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    company_names: Mapping[str, str] | None = None,
    oldest_count: int = 10,
) -> StewardReport:
    """The report of `night` from the register (its schema must exist)."""
    previous = connection.execute(
        "SELECT max(night) FROM anomaly_nights WHERE night < ?", [night]
    ).fetchall()[0][0]
    new_ids = [r[0] for r in connection.execute(_NEW_TONIGHT_QUERY, [night]).fetchall()]
    catalogue = _catalogue_frame()
    has_source = has_table(connection, "registry", "files")
    active = (
        connection.sql(_ACTIVE_QUERY if has_source else _ACTIVE_WITHOUT_SOURCE)
        .pl()
        .join(
            catalogue.select("rule_code", "rule_label", "explanation"), on="rule_code", how="left"
        )
        .with_columns(
            is_new=pl.col("anomaly_id").is_in(new_ids),
            rule_label=pl.col("rule_label").fill_null(pl.col("rule_code")),
            severity_rank=_severity_rank(),
        )
        .sort(["severity_rank", "first_seen", "siret", "anomaly_id"])
        .drop("severity_rank")
    )
    events = connection.sql(_EVENT_COUNTS_QUERY, params=[night]).pl()
    open_counts = active.group_by("rule_code").agg(
        active=pl.len().cast(pl.Int64()),
        acknowledged=(pl.col("status") == "acknowledged").sum().cast(pl.Int64()),
    )
    per_rule = (
        catalogue.join(open_counts, on="rule_code", how="full", coalesce=True)
        .join(events, on="rule_code", how="left")
        .with_columns(pl.col(pl.Int64, pl.UInt32).fill_null(0), severity_rank=_severity_rank())
        .sort(["severity_rank", "rule_code"])
        .drop("severity_rank")
    )
    names = dict(company_names) if company_names is not None else _company_names(connection)
    companies = [
        CompanyAnomalies(
            siren=group["siren"][0], name=names.get(group["siren"][0] or ""), anomalies=group
        )
        for group in active.sort("siren", nulls_last=True, maintain_order=True).partition_by(
            "siren", maintain_order=True
        )
    ]
    oldest = active.sort(["first_seen", "anomaly_id"]).head(oldest_count)
    trend = connection.execute(
        "SELECT night, detected FROM anomaly_nights WHERE night <= ? ORDER BY night DESC LIMIT ?",
        [night, TREND_NIGHTS],
    ).fetchall()
    return StewardReport(
        night=night,
        previous_night=previous,
        per_rule=per_rule,
        active=active,
        oldest=oldest,
        companies=companies,
        trend=sorted(trend),
        reference_warnings=reference_warnings(connection),
        contracts_without_parameters=contracts_without_parameters(connection),
        refused_decisions=_refused_decisions(connection, night),
    )


_OUTCOME_REASONS = {
    "unknown_anomaly": "anomalie inconnue du registre",
    "no_effect": "sans effet : l'anomalie avait déjà ce statut",
}


def _refused_decisions(
    connection: duckdb.DuckDBPyConnection, night: date
) -> list[tuple[str, int | None, str]]:
    """What the stewards decided that tonight could not apply, for them to correct."""
    rejected = connection.execute(
        "SELECT source, line_number, error FROM steward_decision_rejects WHERE rejected_on = ? "
        "ORDER BY source, line_number",
        [night],
    ).fetchall()
    without_effect = connection.execute(
        "SELECT source, outcome, anomaly_id FROM steward_decisions "
        "WHERE applied_on = ? AND outcome <> 'applied' ORDER BY source",
        [night],
    ).fetchall()
    return [(source, line, error) for source, line, error in rejected] + [
        (source, None, f"{_OUTCOME_REASONS.get(outcome, outcome)} ({anomaly_id})")
        for source, outcome, anomaly_id in without_effect
    ]


TREND_NIGHTS = 30


def _company_names(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not has_table(connection, "reference", "contract_parameters"):
        return {}
    return dict(connection.execute(_COMPANY_NAMES_QUERY).fetchall())
