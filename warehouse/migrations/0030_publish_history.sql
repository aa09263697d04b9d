-- What the warehouse remembers of each publication of the portal's snapshot (warehouse/publish/
-- history.py writes it): the outcome, the row counts the next night's gates compare with, and
-- every gate's result for the steward and the operators.
-- IF NOT EXISTS: warehouses published before this migration already had these tables, created
-- by the publish step itself with the same definitions.
CREATE SCHEMA IF NOT EXISTS publish;

CREATE TABLE IF NOT EXISTS publish.publications (
    night_id VARCHAR PRIMARY KEY,
    night DATE NOT NULL,
    status VARCHAR NOT NULL,        -- publiée | refusée
    reason VARCHAR,                 -- French: the failed blocking gates, when refused
    serving_path VARCHAR NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS publish.table_counts (
    night_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    PRIMARY KEY (night_id, table_name)
);

CREATE TABLE IF NOT EXISTS publish.gate_results (
    night_id VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    column_names VARCHAR,
    blocking BOOLEAN NOT NULL,
    passed BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    observed VARCHAR
);
