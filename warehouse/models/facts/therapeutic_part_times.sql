SELECT c.file_id, c.declaration_id, c.siret, c.month, t.instance_id,
    s.instance_id AS stoppage_instance_id, c.employee_key, c.contract_start, c.contract_number,
    t."S21.G00.66.001" AS period_start,
    t."S21.G00.66.002" AS period_end,
    t."S21.G00.66.003" AS pay
FROM scope_contracts AS c
JOIN staging.s21_g00_60 AS s ON s.file_id = c.file_id AND s.parent_id = c.instance_id
JOIN staging.s21_g00_66 AS t ON t.file_id = s.file_id AND t.parent_id = s.instance_id
