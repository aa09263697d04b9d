-- Natural key: (employee, 40.001 start date, 40.009 number). Latest by month, a signalement
-- (no month: FCTU 07, arrêt 04) before any month, then by build date; ties by content.
WITH ends AS (
    SELECT e.employee_key, e.contract_start, e.contract_number,
        arg_max(e.end_date, (coalesce(e.month, '-infinity'::DATE), v.built_on, e.file_id,
            e.instance_id)) AS end_date,
        arg_max(e.end_reason, (coalesce(e.month, '-infinity'::DATE), v.built_on, e.file_id,
            e.instance_id)) AS end_reason
    FROM core.contract_ends AS e
    JOIN core.declaration_versions AS v USING (file_id, declaration_id)
    WHERE {scope}
    GROUP BY ALL
),
months AS (
    SELECT c.*, (coalesce(c.month, '-infinity'::DATE), v.built_on, c.file_id, c.instance_id)
        AS recency
    FROM core.contract_months AS c
    JOIN core.declaration_versions AS v USING (file_id, declaration_id)
    WHERE {scope}
)
SELECT c.employee_key, c.contract_start, c.contract_number,
    arg_max(c.siret, c.recency) AS siret,
    arg_max(c.category, c.recency) AS category,
    arg_max(c.contract_nature, c.recency) AS contract_nature,
    min(c.month) AS first_month,
    max(c.month) AS last_month,
    any_value(e.end_date) AS end_date,
    any_value(e.end_reason) AS end_reason
FROM months AS c
LEFT JOIN ends AS e
    ON e.employee_key = c.employee_key
    AND e.contract_start IS NOT DISTINCT FROM c.contract_start
    AND e.contract_number IS NOT DISTINCT FROM c.contract_number
GROUP BY c.employee_key, c.contract_start, c.contract_number
