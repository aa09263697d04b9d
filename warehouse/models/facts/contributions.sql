-- The employee's contribution (81 code 059) under the base 78 code 31, whose 78.005 names the
-- affiliation's 70.012 for the same individual in the same declaration. Runs after affiliations.
SELECT i.file_id, i.declaration_id, i.siret, i.month, k.instance_id, i.employee_key,
    af.instance_id AS affiliation_instance_id,
    af.adhesion_key, af.option_code, af.population_code,
    k."S21.G00.81.003" AS base_amount,
    k."S21.G00.81.004" AS amount
FROM scope_individuals AS i
JOIN staging.s21_g00_50 AS v ON v.file_id = i.file_id AND v.parent_id = i.instance_id
JOIN staging.s21_g00_78 AS b ON b.file_id = v.file_id AND b.parent_id = v.instance_id
JOIN staging.s21_g00_81 AS k ON k.file_id = b.file_id AND k.parent_id = b.instance_id
LEFT JOIN core.affiliations AS af
    ON af.file_id = b.file_id
    AND af.declaration_id = b.declaration_id
    AND af.employee_key = i.employee_key
    AND af.technical_id = b."S21.G00.78.005"
WHERE b."S21.G00.78.001" = '31' AND k."S21.G00.81.001" = '059'
QUALIFY row_number() OVER (PARTITION BY k.file_id, k.instance_id ORDER BY af.instance_id) = 1
