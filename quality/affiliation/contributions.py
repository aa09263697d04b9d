"""AFF012: the employee's contribution (S21.G00.81 code 059) against the contract's rate ×
base (S21.G00.79 components), beyond a tolerance.

The bases come from the declared components (11 tranche A, 13 tranche B, 18 the month's
ceiling), as the company computed them; when a rate needs a base the DSN does not carry, it
is derived from the gross salary (component 10) and the PMSS. Rate × base is summed over the
rate lines that apply (option, population, date) and rounded to the cent once. Where no rate
line applies (unknown contract, option or population: AFF003 to AFF005 say so) nothing is
compared."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext


def contribution_off_rate(context: DetectionContext) -> pl.DataFrame:
    return query(
        context.connection,
        """
        WITH declared AS (
            SELECT c.siren, c.siret, c.month, c.file_id, c.declaration_id, c.instance_id,
                c.employee_key, ad.contract_reference, c.option_code, c.population_code,
                c.amount
            FROM aff_contributions AS c
            JOIN aff_adhesions AS ad
                ON ad.file_id = c.file_id AND ad.declaration_id = c.declaration_id
                AND ad.adhesion_key = c.adhesion_key
        ),
        components AS (
            SELECT file_id, contribution_instance_id AS instance_id,
                sum(amount) FILTER (WHERE component_type = '10') AS gross,
                sum(amount) FILTER (WHERE component_type = '11') AS tranche_a,
                sum(amount) FILTER (WHERE component_type = '13') AS tranche_b,
                sum(amount) FILTER (WHERE component_type = '18') AS ceiling
            FROM core.contribution_components AS k
            WHERE EXISTS (
                SELECT 1 FROM aff_contributions AS c
                WHERE c.file_id = k.file_id AND c.instance_id = k.contribution_instance_id)
            GROUP BY ALL
        ),
        bases AS (
            SELECT d.*, coalesce(c.tranche_a, least(c.gross, p.amount)) AS tranche_a,
                coalesce(c.tranche_b, least(greatest(c.gross - p.amount, 0), 3 * p.amount))
                    AS tranche_b,
                coalesce(c.ceiling, p.amount) AS pmss
            FROM declared AS d
            LEFT JOIN components AS c USING (file_id, instance_id)
            LEFT JOIN reference.pmss AS p ON p.year = year(d.month)
        ),
        expected AS (
            SELECT b.file_id, b.instance_id,
                round(sum(CASE r.base WHEN 'tranche_a' THEN b.tranche_a
                    WHEN 'tranche_b' THEN b.tranche_b WHEN 'pmss' THEN b.pmss END
                    * r.rate_percent * 0.01), 2) AS expected,
                bool_or(CASE r.base WHEN 'tranche_a' THEN b.tranche_a
                    WHEN 'tranche_b' THEN b.tranche_b WHEN 'pmss' THEN b.pmss END IS NULL)
                    AS base_missing
            FROM bases AS b
            JOIN reference.oc_contract_rates AS r
                ON r.contract_reference = b.contract_reference
                AND r.population_code = b.population_code
                AND (r.option_code IS NULL OR r.option_code = b.option_code)
                AND r.effective_from <= b.month
                AND (r.effective_to IS NULL OR b.month <= r.effective_to)
            GROUP BY ALL
        )
        SELECT b.siren, b.siret, b.employee_key, n.employee_name, b.contract_reference,
            b.month AS period,
            'Cotisation déclarée ' || CAST(b.amount AS VARCHAR) || ' €, attendue '
                || CAST(e.expected AS VARCHAR) || ' € (taux × assiette)' AS detail,
            b.file_id, b.declaration_id
        FROM bases AS b
        JOIN expected AS e USING (file_id, instance_id)
        LEFT JOIN aff_names AS n ON n.employee_key = b.employee_key
        WHERE NOT e.base_missing AND abs(b.amount - e.expected) > ?
        """,
        [context.settings.contribution_tolerance],
    )
