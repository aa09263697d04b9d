SELECT i.file_id, i.declaration_id, i.siret, i.month, i.employee_key,
    r."S21.G00.51.010" AS contract_number,
    sum(r."S21.G00.51.013") AS gross
FROM scope_individuals AS i
JOIN staging.s21_g00_50 AS v ON v.file_id = i.file_id AND v.parent_id = i.instance_id
JOIN staging.s21_g00_51 AS r ON r.file_id = v.file_id AND r.parent_id = v.instance_id
WHERE r."S21.G00.51.011" = '001'
GROUP BY ALL
