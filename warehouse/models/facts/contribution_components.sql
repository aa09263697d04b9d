-- Runs after contributions.
SELECT c.file_id, c.declaration_id, c.siret, c.month,
    c.instance_id AS contribution_instance_id, c.employee_key,
    m."S21.G00.79.001" AS component_type,
    sum(m."S21.G00.79.004") AS amount
FROM core.contributions AS c
JOIN scope_declarations AS s USING (file_id, declaration_id)
JOIN staging.s21_g00_81 AS k ON k.file_id = c.file_id AND k.instance_id = c.instance_id
JOIN staging.s21_g00_79 AS m ON m.file_id = k.file_id AND m.parent_id = k.parent_id
GROUP BY ALL
