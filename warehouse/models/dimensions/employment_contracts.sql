-- Natural key: (employee, 40.001 start date, 40.009 number).
WITH ends AS (
    SELECT employee_key, contract_start, contract_number,
        arg_max(end_date, (month, file_id, instance_id)) AS end_date,
        arg_max(end_reason, (month, file_id, instance_id)) AS end_reason
    FROM core.contract_ends
    GROUP BY ALL
)
SELECT c.employee_key, c.contract_start, c.contract_number,
    arg_max(c.siret, (c.month, c.file_id, c.instance_id)) AS siret,
    arg_max(c.category, (c.month, c.file_id, c.instance_id)) AS category,
    arg_max(c.contract_nature, (c.month, c.file_id, c.instance_id)) AS contract_nature,
    min(c.month) AS first_month,
    max(c.month) AS last_month,
    any_value(e.end_date) AS end_date,
    any_value(e.end_reason) AS end_reason
FROM core.contract_months AS c
LEFT JOIN ends AS e
    ON e.employee_key = c.employee_key
    AND e.contract_start IS NOT DISTINCT FROM c.contract_start
    AND e.contract_number IS NOT DISTINCT FROM c.contract_number
GROUP BY c.employee_key, c.contract_start, c.contract_number
