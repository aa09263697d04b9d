SELECT c.file_id, c.declaration_id, c.siret, c.month, x.instance_id, c.employee_key,
    c.contract_start, c.contract_number,
    x."S21.G00.65.001" AS reason,
    x."S21.G00.65.002" AS start_date,
    x."S21.G00.65.003" AS end_date
FROM scope_contracts AS c
JOIN staging.s21_g00_65 AS x ON x.file_id = c.file_id AND x.parent_id = c.instance_id
