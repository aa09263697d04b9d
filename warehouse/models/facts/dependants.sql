-- Runs after affiliations.
SELECT a.file_id, a.declaration_id, a.siret, a.month,
    a.instance_id AS affiliation_instance_id, a.employee_key,
    d."S21.G00.73.003" AS dependant_type,
    count(*) AS dependants
FROM core.affiliations AS a
JOIN scope_declarations AS s USING (file_id, declaration_id)
JOIN staging.s21_g00_73 AS d ON d.file_id = a.file_id AND d.parent_id = a.instance_id
GROUP BY ALL
