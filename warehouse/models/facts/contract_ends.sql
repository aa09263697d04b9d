SELECT c.file_id, c.declaration_id, c.siret, c.month, e.instance_id, c.employee_key,
    c.contract_start, c.contract_number,
    e."S21.G00.62.001" AS end_date,
    e."S21.G00.62.002" AS end_reason,
    coalesce(e."S21.G00.62.016" = '01', false) AS keeps_cover
FROM scope_contracts AS c
JOIN staging.s21_g00_62 AS e ON e.file_id = c.file_id AND e.parent_id = c.instance_id
