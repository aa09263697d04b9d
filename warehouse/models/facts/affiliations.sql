-- An affiliation reaches its adhésion through 70.013 = 15.005, inside its own declaration only.
SELECT c.file_id, c.declaration_id, c.siret, c.month, a.instance_id, c.employee_key,
    c.contract_start, c.contract_number, ad.adhesion_key,
    a."S21.G00.70.004" AS option_code,
    a."S21.G00.70.005" AS population_code,
    try_cast(try_cast(a."S21.G00.70.007" AS DECIMAL(9, 2)) AS INTEGER) AS children,
    try_cast(try_cast(a."S21.G00.70.008" AS DECIMAL(9, 2)) AS INTEGER) AS adult_dependants,
    try_cast(try_cast(a."S21.G00.70.009" AS DECIMAL(9, 2)) AS INTEGER) AS dependants,
    try_cast(try_cast(a."S21.G00.70.010" AS DECIMAL(9, 2)) AS INTEGER) AS other_dependants,
    try_cast(try_cast(a."S21.G00.70.011" AS DECIMAL(9, 2)) AS INTEGER) AS child_dependants,
    a."S21.G00.70.012" AS technical_id,
    a."S21.G00.70.014" AS start_date,
    a."S21.G00.70.015" AS end_date
FROM scope_contracts AS c
JOIN staging.s21_g00_70 AS a ON a.file_id = c.file_id AND a.parent_id = c.instance_id
LEFT JOIN scope_adhesions AS ad
    ON ad.file_id = a.file_id
    AND ad.declaration_id = a.declaration_id
    AND ad.technical_id = a."S21.G00.70.013"
