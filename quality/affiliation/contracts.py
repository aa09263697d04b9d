"""Affiliations the contract parameters do not know: AFF003 (unknown contract), AFF004
(option code not in the contract's fiche de paramétrage), AFF005 (population code not in it)."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext

_AFFILIATION_KEYS = """
    a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
    a.contract_start AS employment_start, a.contract_number AS employment_number,
    coalesce(a.start_date, a.contract_start) AS affiliation_date, a.month AS period,
    a.file_id, a.declaration_id
"""


def unknown_contract(context: DetectionContext) -> pl.DataFrame:
    """The adhésion of the affiliation names a contract no fiche de paramétrage of the company
    describes (or the affiliation points to no adhésion of its declaration)."""
    return query(
        context.connection,
        f"""
        SELECT {_AFFILIATION_KEYS},
            CASE WHEN a.contract_reference IS NULL
                THEN 'Affiliation rattachée à aucune adhésion (S21.G00.70.013) de la déclaration'
                ELSE 'Contrat ' || a.contract_reference || ' (organisme '
                    || coalesce(a.oc_code, '?') || ') inconnu des fiches de paramétrage'
            END AS detail
        FROM aff_affiliations AS a LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE NOT EXISTS (
            SELECT 1 FROM reference.oc_contracts AS oc
            WHERE oc.contract_reference = a.contract_reference AND oc.siren = a.siren)
        """,
    )


def unknown_option(context: DetectionContext) -> pl.DataFrame:
    """A declared option code (S21.G00.70.004) the known contract does not offer."""
    return query(
        context.connection,
        f"""
        SELECT {_AFFILIATION_KEYS}, a.option_code AS situation,
            'Code option ' || a.option_code || ' absent de la fiche de paramétrage du contrat'
                AS detail
        FROM aff_affiliations AS a
        JOIN reference.oc_contracts AS oc
            ON oc.contract_reference = a.contract_reference AND oc.siren = a.siren
        LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE a.option_code IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM reference.oc_contract_options AS o
            WHERE o.contract_reference = a.contract_reference AND o.option_code = a.option_code)
        """,
    )


def unknown_population(context: DetectionContext) -> pl.DataFrame:
    """A declared population code (S21.G00.70.005) the known contract does not cover."""
    return query(
        context.connection,
        f"""
        SELECT {_AFFILIATION_KEYS}, a.population_code AS situation,
            'Code population ' || a.population_code
                || ' absent de la fiche de paramétrage du contrat' AS detail
        FROM aff_affiliations AS a
        JOIN reference.oc_contracts AS oc
            ON oc.contract_reference = a.contract_reference AND oc.siren = a.siren
        LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE a.population_code IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM reference.oc_contract_populations AS p
            WHERE p.contract_reference = a.contract_reference
                AND p.population_code = a.population_code)
        """,
    )
