-- S21.G00.31 carries the identity BEFORE the change: the old NIR links to the current employee.
SELECT i.file_id, i.declaration_id, i.siret, i.month, c.instance_id, i.employee_key,
    c."S21.G00.31.001" AS change_date,
    c."S21.G00.31.008" AS previous_nir,
    c."S21.G00.31.009" AS previous_last_name,
    c."S21.G00.31.010" AS previous_first_names
FROM scope_individuals AS i
JOIN staging.s21_g00_31 AS c ON c.file_id = i.file_id AND c.parent_id = i.instance_id
