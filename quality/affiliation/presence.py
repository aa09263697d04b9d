"""Who is declared, and whether he should be: AFF001 (declared without affiliation where his
population is covered), AFF002 (affiliated, then absent without a contract end), AFF009
(still declared after the end of his contract)."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.affiliation.states import Status
from quality.anomalies.detection import DetectionContext


def declared_without_affiliation(context: DetectionContext) -> pl.DataFrame:
    """A monthly DSN declares the employee on an establishment whose adhésion names one of our
    contracts covering his category, but no affiliation of his links him to that contract and
    he holds no exemption for it."""
    return query(
        context.connection,
        """
        SELECT c.siren, c.siret, c.employee_key, n.employee_name, ad.contract_reference,
            c.contract_start AS employment_start, c.contract_number AS employment_number,
            c.contract_start AS affiliation_date, c.month AS period,
            'Catégorie ' || c.category || ' couverte par la population '
                || p.population_code || ' du contrat, sans affiliation (S21.G00.70) déclarée'
                AS detail,
            c.file_id, c.declaration_id
        FROM aff_contract_months AS c
        JOIN aff_adhesions AS ad USING (file_id, declaration_id)
        JOIN reference.oc_contracts AS oc
            ON oc.contract_reference = ad.contract_reference AND oc.siren = c.siren
        JOIN reference.oc_contract_populations AS p
            ON p.contract_reference = ad.contract_reference AND p.category = c.category
        LEFT JOIN aff_names AS n ON n.employee_key = c.employee_key
        WHERE NOT EXISTS (
            SELECT 1 FROM aff_affiliations AS a
            WHERE a.file_id = c.file_id AND a.declaration_id = c.declaration_id
                AND a.warehouse_key = c.warehouse_key
                AND a.contract_start = c.contract_start
                AND a.contract_number = c.contract_number
                AND a.contract_reference = ad.contract_reference)
        AND NOT EXISTS (
            SELECT 1 FROM from_portal.exemptions AS x
            WHERE x.nir = c.employee_key AND x.contract_reference = ad.contract_reference
                AND x.start_date <= last_day(c.month)
                AND (x.end_date IS NULL OR x.end_date >= c.month))
        """,
    )


def absent_without_contract_end(context: DetectionContext) -> pl.DataFrame:
    """Affiliated, then absent from a monthly DSN of his establishment (same fraction) that
    arrived after the last month he was declared in, with no end declared for the employment
    contracts of that month. "Affiliated" is the insurer's register as of the previous night
    (its history, since tonight may be a rerun), not the month before's S21.G00.70: declared
    without affiliation in between (AFF001) or in a month whose DSN never arrived, he stays
    affiliated until something ends it. An employee the register has not seen yet (the first
    night, files arriving together) is affiliated when a monthly DSN declared him so. The same
    employment contract declared under another key (a NIR change) is not an absence."""
    return query(
        context.connection,
        f"""
        WITH register AS (
            SELECT siren, siret, employee_key, contract_reference, status
            FROM core.affiliation_history WHERE night < ?
            QUALIFY row_number() OVER (
                PARTITION BY siren, employee_key, contract_reference ORDER BY night DESC) = 1
        ),
        declared AS (
            SELECT siren, siret, employee_key, contract_reference
            FROM aff_affiliations WHERE contract_reference IS NOT NULL
            QUALIFY row_number() OVER (
                PARTITION BY siren, employee_key, contract_reference
                ORDER BY month DESC, siret DESC) = 1
        ),
        affiliated AS (
            SELECT siren, siret, employee_key, contract_reference FROM register
            WHERE status = '{Status.AFFILIATED}'
            UNION
            SELECT * FROM declared AS d
            WHERE NOT EXISTS (
                SELECT 1 FROM register AS r
                WHERE r.siren = d.siren AND r.employee_key = d.employee_key
                    AND r.contract_reference = d.contract_reference)
        ),
        employments AS (
            SELECT DISTINCT siret, employee_key, contract_start, contract_number
            FROM aff_contract_months
        ),
        -- His months in the establishment, his employment contracts' under any key included.
        seen AS (
            SELECT siret, employee_key, month, fraction FROM aff_contract_months
            UNION ALL
            SELECT e.siret, e.employee_key, p.month, p.fraction
            FROM employments AS e
            JOIN aff_contract_months AS p USING (siret, contract_start, contract_number)
        ),
        last_seen AS (
            SELECT siret, employee_key, max(month) AS last_month,
                arg_max(fraction, month) AS fraction
            FROM seen GROUP BY ALL
        ),
        last_employments AS (
            SELECT c.siret, c.employee_key, c.contract_start, c.contract_number
            FROM aff_contract_months AS c
            JOIN last_seen AS l
                ON l.siret = c.siret AND l.employee_key = c.employee_key
                AND l.last_month = c.month
        ),
        absences AS (
            SELECT a.*, d.month AS absent_month, d.file_id, d.declaration_id
            FROM affiliated AS a
            JOIN last_seen AS l USING (siret, employee_key)
            JOIN aff_monthly AS d
                ON d.siret = a.siret AND d.fraction = l.fraction AND d.month > l.last_month
            QUALIFY row_number() OVER (
                PARTITION BY a.siren, a.employee_key, a.contract_reference
                ORDER BY d.month) = 1
        )
        SELECT a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
            e.contract_start AS employment_start, e.contract_number AS employment_number,
            a.absent_month AS period,
            'Affilié au contrat, absent de la DSN mensuelle de l''établissement, '
                || 'sans fin de contrat de travail déclarée' AS detail,
            a.file_id, a.declaration_id
        FROM absences AS a
        JOIN (
            SELECT * FROM last_employments
            QUALIFY row_number() OVER (
                PARTITION BY siret, employee_key ORDER BY contract_start DESC, contract_number
            ) = 1
        ) AS e USING (siret, employee_key)
        LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE NOT EXISTS (
            SELECT 1 FROM aff_contract_ends AS x
            JOIN last_employments AS le
                ON le.siret = x.siret AND le.employee_key = x.employee_key
                AND le.contract_start = x.contract_start
                AND le.contract_number = x.contract_number
            WHERE x.siret = a.siret AND x.employee_key = a.employee_key
                AND x.end_date <= last_day(a.absent_month))
        """,
        [context.night],
    )


def declared_after_contract_end(context: DetectionContext) -> pl.DataFrame:
    """Declared in a monthly DSN for a month after the one his employment contract ended in."""
    return query(
        context.connection,
        """
        SELECT c.siren, c.siret, c.employee_key, n.employee_name,
            c.contract_start AS employment_start, c.contract_number AS employment_number,
            c.month AS period,
            'Contrat de travail terminé le ' || strftime(e.end_date, '%d/%m/%Y')
                || ' (motif ' || coalesce(e.end_reason, '?') || '), salarié toujours déclaré'
                AS detail,
            c.file_id, c.declaration_id
        FROM aff_contract_months AS c
        JOIN aff_contract_ends AS e
            ON e.siret = c.siret AND e.employee_key = c.employee_key
            AND e.contract_start = c.contract_start AND e.contract_number = c.contract_number
        LEFT JOIN aff_names AS n ON n.employee_key = c.employee_key
        WHERE c.month > e.end_date
        """,
    )
