-- The affiliation anomaly register, its history and the steward decisions applied to it.
-- IF NOT EXISTS: warehouses built before this migration already had these tables.

-- One row per anomaly ever detected: its latest data and its current status.
CREATE TABLE IF NOT EXISTS anomalies (
    anomaly_id VARCHAR PRIMARY KEY,          -- sha-256 of rule code + identity keys (model.py)
    rule_code VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,               -- error | warning | info
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,                    -- NIR or NTT: personal data
    employee_name VARCHAR,                   -- personal data
    contract_reference VARCHAR,
    employment_start DATE,                   -- employment contract (S21.G00.40.001 / .009)
    employment_number VARCHAR,
    situation VARCHAR,
    affiliation_date DATE,
    period DATE,                             -- latest declaration month it was seen in
    detail VARCHAR NOT NULL,
    detail_fingerprint VARCHAR NOT NULL,
    file_id VARCHAR,
    declaration_id UINTEGER,
    status VARCHAR NOT NULL,                 -- open | acknowledged | resolved_by_data | resolved_by_steward
    status_since DATE NOT NULL,              -- night of the latest status change
    first_seen DATE NOT NULL,
    last_seen DATE NOT NULL,
    resolved_fingerprint VARCHAR             -- detail fingerprint a steward resolved; reopens when it changes
);

CREATE SEQUENCE IF NOT EXISTS anomaly_event_seq;

-- Every change of an anomaly: status changes, data changes and steward decisions (who/when/why).
CREATE TABLE IF NOT EXISTS anomaly_events (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('anomaly_event_seq'),
    anomaly_id VARCHAR NOT NULL,
    night DATE NOT NULL,                     -- the night run that recorded it
    event VARCHAR NOT NULL,                  -- detected | reopened | detail_changed | resolved_by_data
                                             -- | acknowledged | resolved_by_steward | forced_affiliation
                                             -- | forced_radiation | decision_without_effect
    from_status VARCHAR,
    to_status VARCHAR,
    detail_fingerprint VARCHAR,
    decision_id VARCHAR,
    decided_by VARCHAR,
    decided_at TIMESTAMP,                    -- UTC
    reason VARCHAR
);

-- Every steward decision read from the decisions files, once (decision_id), with its outcome.
-- force_affiliation / force_radiation rows are also an input of the affiliation register.
CREATE TABLE IF NOT EXISTS steward_decisions (
    decision_id VARCHAR PRIMARY KEY,
    anomaly_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,                 -- acknowledge | resolve | force_affiliation | force_radiation
    decided_by VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,           -- UTC
    reason VARCHAR,
    effective_date DATE,                     -- for forced affiliation/radiation, when given
    source VARCHAR NOT NULL,                 -- decisions file name and line
    applied_on DATE NOT NULL,                -- night it was read
    outcome VARCHAR NOT NULL,                -- applied | no_effect | unknown_anomaly
    rule_code VARCHAR,                       -- keys of the anomaly, copied for the affiliation register
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,
    contract_reference VARCHAR
);

-- Lines of the decisions files that could not be read: kept, never dropped silently.
CREATE TABLE IF NOT EXISTS steward_decision_rejects (
    source VARCHAR NOT NULL,                 -- decisions file name
    line_number INTEGER NOT NULL,
    error VARCHAR NOT NULL,
    raw VARCHAR NOT NULL,
    rejected_on DATE NOT NULL,
    PRIMARY KEY (source, line_number)
);

-- One row per night the register was updated; a night is never older than the latest one.
CREATE TABLE IF NOT EXISTS anomaly_nights (
    night DATE PRIMARY KEY,
    detected INTEGER NOT NULL
);
