-- The analysts' copy served before the served one, kept beside it (serving/analyst.py): a night
-- brings that older file up to date in place of copying the served one whole. What it was built
-- from (as publish.analyst_copy_fingerprints), and the marks (warehouse/changes.py) between it
-- and the served copy.
CREATE TABLE publish.analyst_previous_copy_fingerprints (
    copy_file VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    definition VARCHAR NOT NULL,
    siren VARCHAR,
    row_count BIGINT NOT NULL,
    fingerprint HUGEINT NOT NULL,
    month DATE
);
CREATE TABLE publish.analyst_copy_marks (
    siren VARCHAR NOT NULL,
    employee_key VARCHAR              -- NULL: the whole company
);
