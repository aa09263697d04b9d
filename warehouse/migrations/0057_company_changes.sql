-- Which companies' inputs changed, and how far each stage after the core model has caught up
-- (warehouse/changes.py): the stages recompute only the companies changed since their last run.
CREATE TABLE core.company_changes (
    change_id BIGINT NOT NULL,   -- one per marking, increasing
    siren VARCHAR                -- NULL: every company (rebuild, a global reference changed)
);
CREATE TABLE core.stage_progress (
    stage VARCHAR PRIMARY KEY,
    change_id BIGINT NOT NULL,   -- the last change the stage has taken into account
    night DATE NOT NULL,         -- the night it last ran for
    code_version VARCHAR NOT NULL
);
