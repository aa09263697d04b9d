SELECT c.file_id, c.declaration_id, c.siret, c.month, s.instance_id, c.employee_key,
    c.contract_start, c.contract_number, d.nature, d.built_on,
    s."S21.G00.60.001" AS reason,
    s."S21.G00.60.002" AS last_day_worked,
    s."S21.G00.60.003" AS planned_end,
    s."S21.G00.60.004" AS subrogation,
    s."S21.G00.60.005" AS subrogation_start,
    s."S21.G00.60.006" AS subrogation_end,
    s."S21.G00.60.010" AS return_date,
    s."S21.G00.60.011" AS return_reason,
    s."S21.G00.60.012" AS accident_date
FROM scope_contracts AS c
JOIN staging.s21_g00_60 AS s ON s.file_id = c.file_id AND s.parent_id = c.instance_id
JOIN core.declaration_versions AS d
    ON d.file_id = c.file_id AND d.declaration_id = c.declaration_id
