-- What the fact models read: the declarations in force of the pending groups, and their
-- individuals, employment contracts and adhésions with natural keys resolved.
CREATE OR REPLACE TEMP VIEW scope_declarations AS
SELECT v.file_id, v.declaration_id, v.siret, v.month
FROM core.declaration_versions AS v
WHERE v.in_force
  AND EXISTS (
      SELECT 1 FROM core.pending_groups AS p
      WHERE p.siret IS NOT DISTINCT FROM v.siret AND p.month IS NOT DISTINCT FROM v.month
  );

CREATE OR REPLACE TEMP VIEW scope_individuals AS
SELECT
    d.file_id, d.declaration_id, d.siret, d.month, i.instance_id,
    -- The reader's key (NIR, else 'NTT:' || NTT); an individual with neither stays distinct.
    coalesce(i.employee_key, 'INCONNU:' || i.file_id || ':' || i.instance_id) AS employee_key,
    i."S21.G00.30.001" AS nir,
    i."S21.G00.30.020" AS ntt,
    i."S21.G00.30.002" AS last_name,
    i."S21.G00.30.004" AS first_names,
    i."S21.G00.30.006" AS birth_date
FROM scope_declarations AS d
JOIN staging.s21_g00_30 AS i USING (file_id, declaration_id);

CREATE OR REPLACE TEMP VIEW scope_contracts AS
SELECT
    i.file_id, i.declaration_id, i.siret, i.month, c.instance_id, i.employee_key,
    c."S21.G00.40.001" AS contract_start,
    c."S21.G00.40.009" AS contract_number,
    c."S21.G00.40.003" AS category,
    c."S21.G00.40.007" AS contract_nature
FROM scope_individuals AS i
JOIN staging.s21_g00_40 AS c ON c.file_id = i.file_id AND c.parent_id = i.instance_id;

-- 15.005 is unique within a declaration by the norm; if a file repeats it, the first wins
-- rather than duplicating the affiliations that point to it.
CREATE OR REPLACE TEMP VIEW scope_adhesions AS
SELECT
    d.file_id, d.declaration_id, d.siret, d.month, a.instance_id,
    concat_ws('|', a."S21.G00.15.002", coalesce(a."S21.G00.15.003", ''), a."S21.G00.15.001")
        AS adhesion_key,
    a."S21.G00.15.002" AS oc_code,
    a."S21.G00.15.003" AS delegate_code,
    a."S21.G00.15.001" AS contract_reference,
    a."S21.G00.15.004" AS personnel_covered,
    a."S21.G00.15.005" AS technical_id
FROM scope_declarations AS d
JOIN staging.s21_g00_15 AS a USING (file_id, declaration_id)
QUALIFY row_number() OVER (
    PARTITION BY a.file_id, a.declaration_id, a."S21.G00.15.005" ORDER BY a.instance_id
) = 1 OR a."S21.G00.15.005" IS NULL;
