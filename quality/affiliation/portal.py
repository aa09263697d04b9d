"""The portal against the DSN: AFF013 (an affiliation request never seen in a DSN), AFF014
(declared affiliated but exempted at the OC), AFF015 (declared affiliated but radiated at the
OC, on the portal or by a steward's forced radiation)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext


def portal_request_not_in_dsn(context: DetectionContext) -> pl.DataFrame:
    """A request older than the admitted delay, whose establishment has sent a monthly DSN for
    the hiring month or later, while no monthly DSN of the company declares the person (by
    NIR, or by name and birth date when the employer did not know the NIR). A person declared
    without the affiliation is AFF001's; a person exempted since is not expected.

    The NIR and the name are looked for in two NOT EXISTS, not one with an OR: DuckDB joins
    an OR of correlated conditions row by row (44 s at 100,000 employees, 0.35 s as two)."""
    asked_before = context.night - timedelta(days=context.settings.portal_request_delay_days)
    return query(
        context.connection,
        """
        SELECT r.siren, r.siret, r.nir AS employee_key,
            trim(coalesce(r.last_name, '') || ' ' || coalesce(r.first_names, ''))
                AS employee_name,
            r.contract_reference, r.hired_on AS affiliation_date,
            'Demande d''affiliation ' || r.request_id || ' du '
                || strftime(r.requested_on, '%d/%m/%Y') || ' (embauche le '
                || coalesce(strftime(r.hired_on, '%d/%m/%Y'), '?')
                || ') sans affiliation au contrat dans les DSN reçues' AS detail
        FROM aff_requests AS r
        WHERE r.requested_on <= ?
        AND NOT EXISTS (
            SELECT 1 FROM from_portal.exemptions AS x
            WHERE x.nir = r.nir AND x.contract_reference = r.contract_reference)
        AND EXISTS (
            SELECT 1 FROM aff_monthly AS d
            WHERE d.siret = r.siret
                AND d.month >= date_trunc('month', coalesce(r.hired_on, r.requested_on)))
        AND NOT EXISTS (
            SELECT 1 FROM aff_contract_months AS c
            WHERE c.siren = r.siren AND c.employee_key = r.nir)
        AND NOT EXISTS (
            SELECT 1 FROM aff_contract_months AS c
            JOIN aff_names AS n ON n.employee_key = c.employee_key
            WHERE c.siren = r.siren AND n.last_name = r.last_name
                AND n.birth_date = strftime(r.birth_date, '%d%m%Y'))
        """,
        [asked_before],
    )


def declared_but_exempted(context: DetectionContext) -> pl.DataFrame:
    """Affiliated in a month's DSN while an exemption for that contract covers the month."""
    return query(
        context.connection,
        """
        SELECT a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
            a.contract_start AS employment_start, a.contract_number AS employment_number,
            x.start_date AS affiliation_date, a.month AS period,
            'Dispensé depuis le ' || strftime(x.start_date, '%d/%m/%Y') || ' (motif '
                || coalesce(x.reason_code, '?') || ') mais déclaré affilié' AS detail,
            a.file_id, a.declaration_id
        FROM aff_affiliations AS a
        JOIN from_portal.exemptions AS x
            ON x.nir = a.employee_key AND x.contract_reference = a.contract_reference
            AND x.start_date <= last_day(a.month)
            AND (x.end_date IS NULL OR x.end_date >= a.month)
        LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        """,
    )


def declared_but_radiated(context: DetectionContext) -> pl.DataFrame:
    """Affiliated in the DSN of a month starting after his radiation from that contract."""
    return query(
        context.connection,
        """
        SELECT a.siren, a.siret, a.employee_key, n.employee_name, a.contract_reference,
            a.contract_start AS employment_start, a.contract_number AS employment_number,
            r.radiation_date AS affiliation_date, a.month AS period,
            'Radié le ' || strftime(r.radiation_date, '%d/%m/%Y') || ' (' || r.source
                || ') mais déclaré affilié' AS detail,
            a.file_id, a.declaration_id
        FROM aff_affiliations AS a
        JOIN aff_oc_radiations AS r
            ON r.employee_key = a.employee_key AND r.contract_reference = a.contract_reference
        LEFT JOIN aff_names AS n ON n.employee_key = a.employee_key
        WHERE a.month > r.radiation_date
        """,
    )
