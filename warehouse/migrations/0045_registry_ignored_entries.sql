-- Landing entries that are not files to read (links, FIFOs and other special files, hidden and
-- partial uploads, files that vanished or could not be read): each still gets a terminal status
-- and a reason, so that nothing in the landing directory goes unaccounted for. One row per path,
-- refreshed at every scan; a path later delivered as a regular file is taken out.
CREATE TABLE registry.ignored_entries (
    landing_path VARCHAR PRIMARY KEY,
    entry_type VARCHAR NOT NULL,  -- symlink | special | hidden | partial | vanished | unreadable
    reason VARCHAR NOT NULL,      -- French, for the operator
    seen_at TIMESTAMP NOT NULL
);

CREATE OR REPLACE VIEW registry.landing_status AS
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
JOIN registry.files AS f USING (file_id)
UNION ALL
SELECT i.landing_path, NULL, NULL, 'ignored', i.reason, i.seen_at
FROM registry.ignored_entries AS i
WHERE i.landing_path NOT IN (SELECT landing_path FROM registry.deliveries);
