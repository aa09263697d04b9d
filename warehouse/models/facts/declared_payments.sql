SELECT d.file_id, d.declaration_id, d.siret, d.month, p.instance_id,
    p."S21.G00.20.001" AS oc_id,
    p."S21.G00.20.004" AS iban,
    p."S21.G00.20.005" AS amount,
    p."S21.G00.20.006" AS period_start,
    p."S21.G00.20.007" AS period_end,
    p."S21.G00.20.010" AS payment_mode,
    p."S21.G00.20.011" AS payment_date
FROM scope_declarations AS d
JOIN staging.s21_g00_20 AS p USING (file_id, declaration_id)
