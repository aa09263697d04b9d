SELECT d.file_id, d.declaration_id, d.siret, d.month, c.instance_id,
    c.parent_id AS payment_instance_id,
    c."S21.G00.55.001" AS amount,
    c."S21.G00.55.002" AS population_type,
    c."S21.G00.55.003" AS contract_reference,
    c."S21.G00.55.004" AS period
FROM scope_declarations AS d
JOIN staging.s21_g00_55 AS c USING (file_id, declaration_id)
