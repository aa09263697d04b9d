"""AFF010: the dependant counts of an affiliation (S21.G00.70.008 to .011) against its
S21.G00.73 blocks (type 01 adult, 02 child, 03 other).

70.007 (children *in the employee's charge*) is not compared: a child in charge need not be a
beneficiary of the cover, so it may differ from the 73 blocks without being wrong."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext


def dependant_counts_mismatch(context: DetectionContext) -> pl.DataFrame:
    return query(
        context.connection,
        """
        WITH blocks AS (
            SELECT file_id, affiliation_instance_id AS instance_id,
                coalesce(sum(dependants) FILTER (WHERE dependant_type = '01'), 0) AS adults,
                coalesce(sum(dependants) FILTER (WHERE dependant_type = '02'), 0) AS children,
                coalesce(sum(dependants) FILTER (WHERE dependant_type = '03'), 0) AS others,
                sum(dependants) AS total
            FROM core.dependants AS d
            WHERE EXISTS (
                SELECT 1 FROM aff_affiliations AS a
                WHERE a.file_id = d.file_id AND a.instance_id = d.affiliation_instance_id)
            GROUP BY ALL
        ),
        compared AS (
            SELECT a.*, coalesce(b.adults, 0) AS adults, coalesce(b.children, 0) AS kids,
                coalesce(b.others, 0) AS others, coalesce(b.total, 0) AS total
            FROM aff_affiliations AS a LEFT JOIN blocks AS b USING (file_id, instance_id)
        )
        SELECT c.siren, c.siret, c.employee_key, n.employee_name, c.contract_reference,
            c.contract_start AS employment_start, c.contract_number AS employment_number,
            c.month AS period,
            'Ayants droit déclarés (S21.G00.70.008 à .011) : adultes '
                || coalesce(CAST(c.adult_dependants AS VARCHAR), '-')
                || ', total ' || coalesce(CAST(c.dependants AS VARCHAR), '-')
                || ', autres ' || coalesce(CAST(c.other_dependants AS VARCHAR), '-')
                || ', enfants ' || coalesce(CAST(c.child_dependants AS VARCHAR), '-')
                || ' ; blocs S21.G00.73 : adultes ' || c.adults || ', total ' || c.total
                || ', autres ' || c.others || ', enfants ' || c.kids AS detail,
            c.file_id, c.declaration_id
        FROM compared AS c LEFT JOIN aff_names AS n ON n.employee_key = c.employee_key
        WHERE c.adult_dependants IS DISTINCT FROM c.adults AND c.adult_dependants IS NOT NULL
            OR c.dependants IS DISTINCT FROM c.total AND c.dependants IS NOT NULL
            OR c.other_dependants IS DISTINCT FROM c.others AND c.other_dependants IS NOT NULL
            OR c.child_dependants IS DISTINCT FROM c.kids AND c.child_dependants IS NOT NULL
        """,
    )
