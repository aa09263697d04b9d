-- The employee as the latest declaration describes him; ties on month are broken by content
-- (file id, line) so the result never depends on arrival order.
SELECT employee_key,
    arg_max(nir, (month, file_id, instance_id)) AS nir,
    arg_max(ntt, (month, file_id, instance_id)) AS ntt,
    arg_max(last_name, (month, file_id, instance_id)) AS last_name,
    arg_max(first_names, (month, file_id, instance_id)) AS first_names,
    arg_max(birth_date, (month, file_id, instance_id)) AS birth_date,
    arg_max(siret, (month, file_id, instance_id)) AS last_siret,
    min(month) AS first_month,
    max(month) AS last_month
FROM core.employee_months
GROUP BY employee_key
