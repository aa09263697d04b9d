-- The affiliation register and the OC-side inputs it is computed from.
CREATE SCHEMA IF NOT EXISTS core;
-- IF NOT EXISTS: warehouses built before this migration already had these tables.

-- Contract parameters (fiches de paramétrage, landing reference/*.json), replaced each night.
CREATE SCHEMA IF NOT EXISTS reference;
CREATE TABLE IF NOT EXISTS reference.oc_contracts (
    contract_reference VARCHAR PRIMARY KEY,
    organisme_code VARCHAR NOT NULL,
    delegate_code VARCHAR,
    siren VARCHAR NOT NULL,
    cover VARCHAR NOT NULL,
    effective_from DATE NOT NULL,
    effective_to DATE,
    source_file VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS reference.oc_contract_options (
    contract_reference VARCHAR NOT NULL,
    option_code VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS reference.oc_contract_populations (
    contract_reference VARCHAR NOT NULL,
    population_code VARCHAR NOT NULL,
    category VARCHAR NOT NULL  -- one row per S21.G00.40.003 category the population covers
);
CREATE TABLE IF NOT EXISTS reference.oc_contract_rates (
    contract_reference VARCHAR NOT NULL,
    option_code VARCHAR,  -- NULL: every option
    population_code VARCHAR NOT NULL,
    base VARCHAR NOT NULL,  -- tranche_a, tranche_b, pmss
    rate_percent DECIMAL(9, 4) NOT NULL,
    effective_from DATE NOT NULL,
    effective_to DATE  -- inclusive
);
CREATE TABLE IF NOT EXISTS reference.pmss (year INTEGER PRIMARY KEY, amount DECIMAL(18, 2));

-- Portal exports (landing portal/*.csv), replaced each night.
CREATE SCHEMA IF NOT EXISTS portal;
CREATE TABLE IF NOT EXISTS portal.affiliation_requests (
    request_id VARCHAR PRIMARY KEY,
    requested_on DATE NOT NULL,
    siren VARCHAR,
    siret VARCHAR NOT NULL,
    contract_reference VARCHAR NOT NULL,
    last_name VARCHAR,
    first_names VARCHAR,
    birth_date DATE,
    nir VARCHAR,  -- empty when the employer did not know it
    hired_on DATE,
    professional_status VARCHAR
);
CREATE TABLE IF NOT EXISTS portal.affiliation_completions (
    request_id VARCHAR NOT NULL,
    completed_on DATE NOT NULL,
    option_code VARCHAR,
    dependants INTEGER,
    sepa_mandate BOOLEAN
);
CREATE TABLE IF NOT EXISTS portal.exemptions (
    exemption_id VARCHAR PRIMARY KEY,
    entered_on DATE,
    siren VARCHAR,
    siret VARCHAR NOT NULL,
    contract_reference VARCHAR NOT NULL,
    last_name VARCHAR,
    first_names VARCHAR,
    nir VARCHAR NOT NULL,
    reason_code VARCHAR,
    reason_label VARCHAR,
    start_date DATE NOT NULL,
    end_date DATE,
    proof_received BOOLEAN
);
CREATE TABLE IF NOT EXISTS portal.radiations (
    radiation_id VARCHAR PRIMARY KEY,
    entered_on DATE,
    siren VARCHAR,
    siret VARCHAR NOT NULL,
    contract_reference VARCHAR NOT NULL,
    last_name VARCHAR,
    first_names VARCHAR,
    nir VARCHAR NOT NULL,
    radiation_date DATE NOT NULL,
    reason VARCHAR
);
-- Lines of reference or portal files that could not be read: kept, never dropped.
CREATE TABLE IF NOT EXISTS portal.rejects (
    night DATE NOT NULL,
    source_file VARCHAR NOT NULL,
    line_number INTEGER NOT NULL,
    error VARCHAR NOT NULL
);

-- The register: one row per company, employee and OC contract (the establishment is the
-- latest one the employee was seen in), and its history (one row per change, per night).
CREATE TABLE IF NOT EXISTS core.affiliation_states (
    siren VARCHAR NOT NULL,
    siret VARCHAR,
    employee_key VARCHAR NOT NULL,  -- NIR, else NTT
    employee_name VARCHAR,
    contract_reference VARCHAR NOT NULL,
    status VARCHAR NOT NULL,  -- affilié, en cours d'affiliation, à relancer, dispensé, radié,
                              -- en portabilité
    status_since DATE,
    portability_end DATE,
    end_reason VARCHAR,  -- S21.G00.62.002, or the portal's reason of a radiation
    option_code VARCHAR,
    population_code VARCHAR,
    dependants INTEGER,
    source VARCHAR NOT NULL,  -- dsn, portail, gestionnaire
    night DATE NOT NULL,
    PRIMARY KEY (siren, employee_key, contract_reference)
);
CREATE TABLE IF NOT EXISTS core.affiliation_history (
    siren VARCHAR NOT NULL,
    siret VARCHAR,
    employee_key VARCHAR NOT NULL,
    contract_reference VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    status_since DATE,
    portability_end DATE,
    end_reason VARCHAR,
    option_code VARCHAR,
    population_code VARCHAR,
    source VARCHAR NOT NULL,
    night DATE NOT NULL  -- the night this state was first computed
);
