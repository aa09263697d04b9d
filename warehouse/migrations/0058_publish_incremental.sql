-- What each declaration's compte rendu was last written from (serving/comptes_rendus.py): a
-- night rewrites only the comptes rendus whose inputs' fingerprint changed since.
CREATE TABLE publish.compte_rendu_inputs (
    file_id VARCHAR NOT NULL,
    declaration_id UINTEGER NOT NULL,
    fingerprint VARCHAR NOT NULL,    -- md5 of the declaration row, its file's load and anomalies
    PRIMARY KEY (file_id, declaration_id)
);

-- What the served analysts' copy was built from (serving/analyst.py), per table and company: a
-- night replaces in a copy of it only the rows of the companies whose fingerprint changed.
CREATE TABLE publish.analyst_copy_fingerprints (
    copy_file VARCHAR NOT NULL,      -- the analysts' file described: inode:size:mtime_ns
    table_name VARCHAR NOT NULL,     -- schema.table of the warehouse
    definition VARCHAR NOT NULL,     -- md5 of the table's comment, columns, pseudonym key check
    siren VARCHAR,                   -- NULL: the rows of no company (or of a table without one)
    row_count BIGINT NOT NULL,
    fingerprint HUGEINT NOT NULL     -- sum of the rows' hash()
);
