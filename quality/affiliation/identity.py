"""Who the employee is: AFF006 (NTT without NIR beyond the delay), AFF007 (NIR changed without
S21.G00.31), AFF008 (same NIR declared by two establishments in one month)."""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext


def ntt_without_nir(context: DetectionContext) -> pl.DataFrame:
    """Declared under an NTT only for a month at least `ntt_without_nir_months` after the month
    the NTT was first used (the hiring month, or the first month declared when earlier).

    The employee key is his current one: once a NIR replaces the NTT, the anomaly (a situation
    that did happen) is known under the NIR."""
    months = context.settings.ntt_without_nir_months
    return query(
        context.connection,
        """
        WITH ntt_months AS (
            SELECT *, least(
                    min(month) OVER (PARTITION BY siret, warehouse_key),
                    date_trunc('month', min(contract_start) OVER (
                        PARTITION BY siret, warehouse_key))) AS ntt_since
            FROM aff_contract_months WHERE warehouse_key LIKE 'NTT:%'
        )
        SELECT m.siren, m.siret, m.employee_key, n.employee_name,
            m.contract_start AS employment_start, m.contract_number AS employment_number,
            m.month AS period,
            'Déclaré avec un NTT sans NIR depuis ' || strftime(m.ntt_since, '%m/%Y')
                || ' (délai admis : ' || ? || ' mois)' AS detail,
            m.file_id, m.declaration_id
        FROM ntt_months AS m LEFT JOIN aff_names AS n ON n.employee_key = m.employee_key
        WHERE m.month >= m.ntt_since + to_months(CAST(? AS INTEGER))
        """,
        [str(months), months],
    )


def nir_change_without_identity_block(context: DetectionContext) -> pl.DataFrame:
    """The same employment contract (establishment, start date, number) declared under one NIR,
    then under another, with no S21.G00.31 naming the old NIR (which would link the two)."""
    return query(
        context.connection,
        """
        WITH spans AS (
            SELECT siren, siret, contract_start, contract_number, employee_key,
                min(month) AS first_month, max(month) AS last_month,
                arg_min(file_id, month) AS file_id, arg_min(declaration_id, month)
                    AS declaration_id
            FROM aff_contract_months WHERE warehouse_key NOT LIKE 'NTT:%'
            GROUP BY ALL
        )
        SELECT new.siren, new.siret, new.employee_key, n.employee_name,
            new.contract_start AS employment_start, new.contract_number AS employment_number,
            old.employee_key AS situation, new.first_month AS period,
            'NIR différent de celui déclaré jusqu''en ' || strftime(old.last_month, '%m/%Y')
                || ' sur le même contrat de travail, sans bloc S21.G00.31' AS detail,
            new.file_id, new.declaration_id
        FROM spans AS new
        JOIN spans AS old
            ON old.siret = new.siret AND old.contract_start = new.contract_start
            AND old.contract_number = new.contract_number
            AND old.employee_key <> new.employee_key
            AND old.last_month < new.first_month
        LEFT JOIN aff_names AS n ON n.employee_key = new.employee_key
        """,
    )


def same_nir_in_two_establishments(context: DetectionContext) -> pl.DataFrame:
    """A NIR declared by two establishments in their monthly DSNs for the same month (whether
    or not both affiliate him: the double declaration is the anomaly). The `siret` reported is
    the one he is seen in for fewer months (the unusual one); no contract is named."""
    return query(
        context.connection,
        """
        WITH per_siret AS (
            SELECT siren, employee_key, siret, month, file_id, declaration_id,
                count(DISTINCT month) OVER (PARTITION BY employee_key, siret) AS months_seen
            FROM aff_contract_months WHERE warehouse_key NOT LIKE 'NTT:%'
        ),
        -- The doubles are found first, then their SIRETs listed: an ordered `string_agg` on
        -- every employee's month cost 0.25 s of the rule's 0.3 s at 20,000 employees.
        doubles AS (
            SELECT employee_key, month FROM per_siret
            GROUP BY ALL HAVING count(DISTINCT siret) > 1
        ),
        listed AS (
            SELECT employee_key, month,
                string_agg(DISTINCT siret, '+' ORDER BY siret) AS sirets,
                -- fewest months first, then the smallest SIRET: a stable choice
                arg_min(siret, lpad(CAST(months_seen AS VARCHAR), 6, '0') || siret)
                    AS unusual_siret
            FROM per_siret SEMI JOIN doubles USING (employee_key, month)
            GROUP BY ALL
        )
        SELECT DISTINCT ON (d.employee_key, d.month)
            p.siren, d.unusual_siret AS siret, d.employee_key, n.employee_name,
            d.sirets AS situation, d.month AS period,
            'Déclaré le même mois par les établissements ' || replace(d.sirets, '+', ' et ')
                AS detail,
            p.file_id, p.declaration_id
        FROM listed AS d
        JOIN per_siret AS p
            ON p.employee_key = d.employee_key AND p.month = d.month
            AND p.siret = d.unusual_siret
        LEFT JOIN aff_names AS n ON n.employee_key = d.employee_key
        """,
    )
