-- The companies and employees whose dimension rows the pending groups' recomputation may
-- change (warehouse.models.refresh_dimensions): the SIRENs of the groups' declarations in force
-- and the employee keys of their facts, noted before the recomputation replaces them (the rows
-- after it are still the pending groups'); emptied with the pending groups.
CREATE TABLE core.pending_dimension_keys (
    siren VARCHAR,              -- a company whose declarations in force may change
    employee_key VARCHAR        -- an employee whose facts may change
);
