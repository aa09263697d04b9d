"""AFF011: an affiliation whose end (S21.G00.70.015) precedes its start (S21.G00.70.014)."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext


def affiliation_end_before_start(context: DetectionContext) -> pl.DataFrame:
    return query(
        context.connection,
        """
        SELECT a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
            a.contract_start AS employment_start, a.contract_number AS employment_number,
            a.start_date AS affiliation_date, a.month AS period,
            'Affiliation du ' || strftime(a.start_date, '%d/%m/%Y') || ' terminée le '
                || strftime(a.end_date, '%d/%m/%Y') || ', avant son début' AS detail,
            a.file_id, a.declaration_id
        FROM aff_affiliations AS a LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE a.end_date < a.start_date
        """,
    )
