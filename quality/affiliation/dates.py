"""AFF011: an affiliation ended before the start an earlier declaration gave it.

Inside one S21.G00.70 block, an end (70.015) before the start (70.014) is the official control
S21.G00.70.015/CCH-11: the validator rejects the individual and the company hears of it in its
compte rendu. What no single block shows is left to the insurer: a start declared by one block,
then an end before it declared by another block of the same affiliation (a later month's DSN,
each block valid on its own), either as the affiliation's own end (70.015) or as the end of its
employment contract (S21.G00.62.001), which ends its affiliations.

An affiliation is followed from month to month by its natural keys (employee, employment
contract, adhésion, option and population codes): two blocks of one employment contract and one
adhésion with different option or population codes are two affiliations (S21.G00.70.013/CCH-12),
and a change of population ends one where the next starts without any inconsistency. Only starts
declared up to the month of the end count: an affiliation ended, then started again later, is
not an end before its start.
"""

from __future__ import annotations

import polars as pl

from quality.affiliation.sources import query
from quality.anomalies.detection import DetectionContext

_SQL = """
WITH starts AS (
    SELECT * FROM aff_affiliations WHERE start_date IS NOT NULL
),
-- 70.015 of one block against the starts the other blocks of the same affiliation declared.
own_ends AS (
    SELECT e.siren, e.siret, e.employee_key, e.contract_reference, e.contract_start,
        e.contract_number, s.start_date, e.month AS period,
        'Affiliation déclarée débutant le ' || strftime(s.start_date, '%d/%m/%Y')
            || ' (S21.G00.70.014), puis terminée le ' || strftime(e.end_date, '%d/%m/%Y')
            || ' (S21.G00.70.015), avant son début' AS detail,
        e.file_id, e.declaration_id
    FROM aff_affiliations AS e
    JOIN starts AS s
        ON s.siret = e.siret AND s.employee_key = e.employee_key
        AND s.contract_start = e.contract_start AND s.contract_number = e.contract_number
        AND s.oc_code IS NOT DISTINCT FROM e.oc_code
        AND s.contract_reference IS NOT DISTINCT FROM e.contract_reference
        AND s.option_code IS NOT DISTINCT FROM e.option_code
        AND s.population_code IS NOT DISTINCT FROM e.population_code
        AND s.month <= e.month
        AND NOT (s.file_id = e.file_id AND s.declaration_id = e.declaration_id
            AND s.instance_id = e.instance_id)
    WHERE e.end_date < s.start_date
),
-- The employment contract's end (a FCTU has no declared month: the month of the end date),
-- named by the declaration that last declared it.
contract_ends AS (
    SELECT s.siren, s.siret, s.employee_key, s.contract_reference, s.contract_start,
        s.contract_number, s.start_date,
        coalesce(x.month, CAST(date_trunc('month', x.end_date) AS DATE)) AS period,
        'Affiliation déclarée débutant le ' || strftime(s.start_date, '%d/%m/%Y')
            || ' (S21.G00.70.014), puis contrat de travail terminé le '
            || strftime(x.end_date, '%d/%m/%Y') || ' (S21.G00.62.001), avant ce début' AS detail,
        x.file_id, x.declaration_id
    FROM aff_contract_ends AS x
    JOIN starts AS s
        ON s.siret = x.siret AND s.employee_key = x.employee_key
        AND s.contract_start = x.contract_start AND s.contract_number = x.contract_number
        AND s.month <= coalesce(x.month, CAST(date_trunc('month', x.end_date) AS DATE))
    WHERE x.end_date < s.start_date
)
SELECT f.siren, f.siret, f.employee_key, n.employee_name, f.contract_reference,
    f.contract_start AS employment_start, f.contract_number AS employment_number,
    f.start_date AS affiliation_date, f.period, f.detail, f.file_id, f.declaration_id
FROM (SELECT * FROM own_ends UNION ALL SELECT * FROM contract_ends) AS f
LEFT JOIN aff_names AS n ON n.employee_key = f.employee_key
"""


def affiliation_end_before_start(context: DetectionContext) -> pl.DataFrame:
    return query(context.connection, _SQL)
