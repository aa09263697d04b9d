-- Companies a night held back on their last good night because their rows alone failed a
-- company-scoped portal gate (serving/gates.py); the rest of that night was published.
CREATE TABLE publish.company_refusals (
    night_id VARCHAR NOT NULL,
    siren VARCHAR NOT NULL,
    gates VARCHAR NOT NULL,          -- French: the failed gates, '; '-separated
    stale_since DATE NOT NULL,       -- first night the company was held back
    data_night_id VARCHAR,           -- publication its portal rows come from; NULL: none
    PRIMARY KEY (night_id, siren)
);
