"""Who is declared, and whether he should be: AFF001 (declared without affiliation where his
population is covered), AFF002 (affiliated, then absent without a contract end), AFF009
(still declared after the end of his contract)."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
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
    """Affiliated in one month's DSN of the establishment (same fraction), absent from the next
    one that arrived, with no end of that employment contract declared before that month ends.
    The same employment contract declared under another key (a NIR change) is not an absence."""
    return query(
        context.connection,
        """
        WITH affiliated AS (
            SELECT DISTINCT siren, siret, fraction, month, employee_key, warehouse_key,
                contract_start, contract_number, contract_reference
            FROM aff_affiliations WHERE contract_reference IS NOT NULL
        ),
        absences AS (
            SELECT a.*, d.month AS absent_month, d.file_id, d.declaration_id
            FROM affiliated AS a
            JOIN aff_monthly AS d
                ON d.siret = a.siret AND d.fraction = a.fraction
                AND d.month = a.month + INTERVAL 1 MONTH
            WHERE NOT EXISTS (
                SELECT 1 FROM aff_contract_months AS p
                WHERE p.siret = a.siret AND p.month = d.month
                    AND (p.employee_key = a.employee_key
                        OR (p.contract_start = a.contract_start
                            AND p.contract_number = a.contract_number)))
            AND NOT EXISTS (
                SELECT 1 FROM aff_contract_ends AS e
                WHERE e.siret = a.siret AND e.employee_key = a.employee_key
                    AND e.contract_start = a.contract_start
                    AND e.contract_number = a.contract_number
                    AND e.end_date <= last_day(d.month))
        )
        SELECT a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
            a.contract_start AS employment_start, a.contract_number AS employment_number,
            a.absent_month AS period,
            'Affilié au contrat puis absent de la DSN mensuelle suivante de l''établissement, '
                || 'sans fin de contrat de travail déclarée' AS detail,
            a.file_id, a.declaration_id
        FROM absences AS a LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        """,
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
