-- The employee as the latest declaration describes him: by month, a signalement (no month)
-- before any month rather than after (a NULL in a struct key sorts last), then by build date;
-- ties are broken by content (file id, line) so the result never depends on arrival order.
WITH months AS (
    SELECT m.*, (coalesce(m.month, '-infinity'::DATE), v.built_on, m.file_id, m.instance_id)
        AS recency
    FROM core.employee_months AS m
    JOIN core.declaration_versions AS v USING (file_id, declaration_id)
    WHERE {scope}
)
SELECT employee_key,
    arg_max(nir, recency) AS nir,
    arg_max(ntt, recency) AS ntt,
    arg_max(last_name, recency) AS last_name,
    arg_max(first_names, recency) AS first_names,
    arg_max(birth_date, recency) AS birth_date,
    arg_max(siret, recency) AS last_siret,
    min(month) AS first_month,
    max(month) AS last_month
FROM months
GROUP BY employee_key
