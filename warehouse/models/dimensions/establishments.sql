-- The establishment as its latest declaration in force describes it.
SELECT d.siret,
    arg_max(d.siren, d.month) AS siren,
    arg_max(e."S21.G00.11.001", d.month) AS nic,
    arg_max(e."S21.G00.11.002", d.month) AS ape,
    arg_max(e."S21.G00.11.004", d.month) AS postal_code,
    arg_max(e."S21.G00.11.005", d.month) AS city,
    min(d.month) AS first_month,
    max(d.month) AS last_month
FROM core.declarations_in_force AS d
JOIN staging.s21_g00_11 AS e USING (file_id, declaration_id)
WHERE d.siret IS NOT NULL
GROUP BY d.siret
