-- The file registry: every file ever delivered to the landing directory, once per content.
CREATE SCHEMA registry;

-- One row per distinct content (SHA-256 of the bytes), whatever its name or how often it came.
CREATE TABLE registry.files (
    file_id VARCHAR PRIMARY KEY,            -- SHA-256 hex of the bytes
    kind VARCHAR NOT NULL,                  -- dsn | bank | reference | portal | unknown
    size BIGINT NOT NULL,
    original_name VARCHAR NOT NULL,         -- name of the first delivery
    landing_path VARCHAR NOT NULL,          -- path of the first delivery, relative to landing
    received_at TIMESTAMP NOT NULL,         -- when the registry first saw this content
    status VARCHAR NOT NULL,                -- received | loaded | loaded_with_diagnostics
                                            -- | quarantined | registered
    reason VARCHAR,                         -- French, for the operator: why this status
    encoding VARCHAR,
    norm VARCHAR,
    declarations INTEGER,
    declarations_rejected INTEGER,
    errors INTEGER,
    warnings INTEGER,
    rows_loaded BIGINT,
    quarantine_path VARCHAR,
    processed_at TIMESTAMP
);

-- One row per (path, content) seen in the landing directory: a second delivery of a known
-- content, renamed or not, is recorded here as a duplicate and never loaded again.
CREATE TABLE registry.deliveries (
    landing_path VARCHAR NOT NULL,
    file_id VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    mtime DOUBLE NOT NULL,                  -- seconds since the epoch, as the file system says
    seen_at TIMESTAMP NOT NULL,
    is_duplicate BOOLEAN NOT NULL,
    PRIMARY KEY (landing_path, file_id)
);

-- What an operator asks: for every delivered path, its terminal status.
CREATE VIEW registry.landing_status AS
SELECT
    d.landing_path,
    d.file_id,
    f.kind,
    CASE WHEN d.is_duplicate THEN 'duplicate' ELSE f.status END AS status,
    CASE
        WHEN d.is_duplicate THEN 'Contenu identique à « ' || f.landing_path || ' », déjà reçu : non rechargé.'
        ELSE f.reason
    END AS reason,
    d.seen_at
FROM registry.deliveries AS d
JOIN registry.files AS f USING (file_id);
