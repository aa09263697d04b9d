-- The establishment as its latest declaration in force describes it. S21.G00.06/11 are in every
-- nature, but signalements (04/05/07) have no month: DuckDB's arg_max skips a NULL key, so the
-- order is (month, signalements before any month, then build date 05.007), and an establishment
-- first seen in a signalement still gets its SIREN.
WITH declarations AS (
    SELECT *, (coalesce(month, '-infinity'::DATE), built_on, file_id, declaration_id) AS recency
    FROM core.declarations_in_force
    WHERE {scope}
)
SELECT d.siret,
    arg_max(d.siren, d.recency) AS siren,
    arg_max(e."S21.G00.11.001", d.recency) AS nic,
    arg_max(e."S21.G00.11.002", d.recency) AS ape,
    arg_max(e."S21.G00.11.004", d.recency) AS postal_code,
    arg_max(e."S21.G00.11.005", d.recency) AS city,
    min(d.month) AS first_month,
    max(d.month) AS last_month
FROM declarations AS d
JOIN staging.s21_g00_11 AS e USING (file_id, declaration_id)
WHERE d.siret IS NOT NULL
GROUP BY d.siret
