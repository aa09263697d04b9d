-- The companies and employees whose dimension rows the pending groups' recomputation may
-- change (warehouse.models.refresh_dimensions): the SIRENs of the groups' declarations in force
-- and the employee keys of their facts, noted before the recomputation replaces them (the rows
-- after it are still the pending groups'); emptied with the pending groups.
CREATE TABLE core.pending_dimension_keys (
    siren VARCHAR,              -- a company whose declarations in force may change
    employee_key VARCHAR        -- an employee whose facts may change
);

-- Groups left pending by a night stopped after its facts under the code before this table:
-- what their facts held before is unknown, so every dimension row is rebuilt.
INSERT INTO core.pending_dimension_keys
SELECT siren, NULL FROM core.companies WHERE EXISTS (SELECT 1 FROM core.pending_groups)
UNION ALL
SELECT NULL, employee_key FROM (
    SELECT employee_key FROM core.employees
    UNION SELECT employee_key FROM core.employee_links
    UNION SELECT employee_key FROM core.employment_contracts
) WHERE EXISTS (SELECT 1 FROM core.pending_groups);
