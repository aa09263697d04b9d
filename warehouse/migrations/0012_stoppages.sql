-- Stoppage results (quality/stoppages), recomputed whole each night from the core model by
-- pipelines.stoppages: a re-run of the same night with the same files gives the same rows.
-- Only the signals keep something across nights: the night each one was first seen.
CREATE SCHEMA stoppage;

-- One row per stoppage episode (S21.G00.60 across monthly DSNs and signalements 04/05).
CREATE TABLE stoppage.episodes (
    episode_id VARCHAR PRIMARY KEY,
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,                   -- NIR, else NTT: personal data
    contract_start DATE,
    contract_number VARCHAR,
    reason VARCHAR,                         -- S21.G00.60.001
    last_day_worked DATE,
    first_day_off DATE,
    initial_planned_end DATE,
    planned_end DATE,
    prolongation_count UINTEGER,
    return_date DATE,
    return_reason VARCHAR,
    status VARCHAR,                         -- en cours, prolongé, terminé, annulé
    cancelled_on DATE,
    subrogation VARCHAR,
    subrogation_start DATE,
    subrogation_end DATE,
    subrogation_periods STRUCT(subrogation_start DATE, subrogation_end DATE)[],
    therapeutic_periods STRUCT(period_start DATE, period_end DATE, pay DECIMAL(18, 2))[],
    accident_date DATE,
    announced_by_signalement BOOLEAN,
    in_monthly BOOLEAN,
    return_only BOOLEAN,
    first_seen DATE,
    first_file VARCHAR,
    last_file VARCHAR,
    return_file VARCHAR,
    files VARCHAR[],
    contract_reference VARCHAR,             -- the provident contract covering the employee
    franchise_days INTEGER,
    franchise_mode VARCHAR,
    allowances_start DATE
);

-- Each prolongation of an episode: the planned end moved from `previous_end` to `planned_end`.
CREATE TABLE stoppage.planned_end_history (
    episode_id VARCHAR NOT NULL,
    previous_end DATE,
    planned_end DATE,
    declared_on DATE,
    file_id VARCHAR
);

-- Invalidity (S21.G00.65 112/114/116) and death (S21.G00.62.002 = 066) of an employee.
CREATE TABLE stoppage.employee_events (
    event VARCHAR,
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,
    contract_start DATE,
    contract_number VARCHAR,
    event_date DATE,
    detail VARCHAR,
    first_seen DATE,
    first_file VARCHAR,
    contract_reference VARCHAR
);

-- Signals for the provident claims team; `signal_id` hashes the code and keys, so the same
-- signal found again on a later night keeps its `first_seen_night`.
CREATE TABLE stoppage.signals (
    signal_id VARCHAR NOT NULL,
    code VARCHAR,
    severity VARCHAR,
    label VARCHAR,
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,
    contract_start DATE,
    contract_number VARCHAR,
    contract_reference VARCHAR,
    stoppage_first_day DATE,
    signal_date DATE,
    file_id VARCHAR,
    episode_id VARCHAR,
    detail VARCHAR,
    first_seen_night DATE NOT NULL,
    last_seen_night DATE NOT NULL
);

-- Pre-filled provident claims, the daily allowance being an estimate (`estimate` says so).
CREATE TABLE stoppage.claims (
    episode_id VARCHAR PRIMARY KEY,
    siren VARCHAR,
    siret VARCHAR,
    employee_key VARCHAR,
    contract_start DATE,
    contract_number VARCHAR,
    contract_reference VARCHAR,
    reason VARCHAR,
    last_day_worked DATE,
    first_day_off DATE,
    planned_end DATE,
    return_date DATE,
    status VARCHAR,
    subrogation VARCHAR,
    subrogation_start DATE,
    subrogation_end DATE,
    therapeutic_periods STRUCT(period_start DATE, period_end DATE, pay DECIMAL(18, 2))[],
    franchise_days INTEGER,
    franchise_mode VARCHAR,
    allowances_start DATE,
    reference_months INTEGER,
    reference_months_found INTEGER,
    reference_salary DECIMAL(18, 2),
    allowance_percent DECIMAL(5, 2),
    daily_allowance DECIMAL(18, 2),
    indemnified_days INTEGER,
    allowance_to_date DECIMAL(18, 2),
    estimate VARCHAR
);

-- The nights the stoppage results were computed for, and their observation end.
CREATE TABLE stoppage.nights (
    night DATE PRIMARY KEY,
    as_of DATE
);
