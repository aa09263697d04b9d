-- The employees whose rows alone changed in a company (warehouse/changes.py): a signalement
-- about one employee marks him, not his whole company, for the stages that work per employee.
CREATE TABLE core.employee_changes (
    change_id BIGINT NOT NULL,   -- shares its numbering with core.company_changes
    siren VARCHAR NOT NULL,
    employee_key VARCHAR NOT NULL
);
-- What the core model found changed in its pending groups, until their companies are marked:
-- the groups' declarations are compared before and after their versions are recomputed, and the
-- marks are written once the facts and dimensions are (an interrupted night keeps both).
CREATE TABLE core.pending_changes (
    siren VARCHAR NOT NULL,
    employee_key VARCHAR        -- NULL: the whole company
);
