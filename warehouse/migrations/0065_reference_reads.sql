-- What the last reference load read of each contract-parameter, PMSS and portal file
-- (warehouse/reference.py): a file found as it was read, by the same reader, is not parsed
-- again and its rows stay, so a night parses the files that changed, not the 3,000 that did not.
CREATE TABLE registry.reference_reads (
    landing_path VARCHAR PRIMARY KEY,
    size BIGINT NOT NULL,
    mtime DOUBLE NOT NULL,             -- seconds since the epoch, as the file system says
    file_id VARCHAR NOT NULL,          -- SHA-256 of the bytes read
    contract_reference VARCHAR,        -- the contract a parameter file holds; NULL otherwise
    reader_version VARCHAR NOT NULL    -- digest of the reading code: another version reads again
);
