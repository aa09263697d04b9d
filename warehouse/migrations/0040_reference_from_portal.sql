-- The insurer's own files are loaded once a night, at ingestion (warehouse/reference.py): the
-- whole contract-parameter documents beside the tables derived from them, and the portal's
-- exports in a schema whose name says where they come from (`portal_v1` is what goes *to* it).
CREATE TABLE reference.contract_parameters (
    contract_reference VARCHAR PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    document VARCHAR NOT NULL  -- the validated JSON of contracts.parameters.ContractParameters
);

CREATE SCHEMA from_portal;
CREATE TABLE from_portal.affiliation_requests (
    request_id VARCHAR PRIMARY KEY,
    requested_on DATE NOT NULL,
    siren VARCHAR,
    siret VARCHAR NOT NULL,
    contract_reference VARCHAR NOT NULL,
    last_name VARCHAR,
    first_names VARCHAR,
    birth_date DATE,
    nir VARCHAR,
    hired_on DATE,
    professional_status VARCHAR
);
CREATE TABLE from_portal.affiliation_completions (
    request_id VARCHAR NOT NULL,
    completed_on DATE NOT NULL,
    option_code VARCHAR,
    dependants INTEGER,
    sepa_mandate BOOLEAN
);
CREATE TABLE from_portal.exemptions (
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
CREATE TABLE from_portal.radiations (
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
INSERT INTO from_portal.affiliation_requests SELECT * FROM portal.affiliation_requests;
INSERT INTO from_portal.affiliation_completions SELECT * FROM portal.affiliation_completions;
INSERT INTO from_portal.exemptions SELECT * FROM portal.exemptions;
INSERT INTO from_portal.radiations SELECT * FROM portal.radiations;

-- Lines of reference or portal files that could not be read, as of the latest load: kept
-- beside the file registry, never dropped silently.
CREATE TABLE registry.rejected_lines (
    source_file VARCHAR NOT NULL,  -- reference/… or portal/…, relative to the landing directory
    line_number INTEGER NOT NULL,  -- 0: the whole file
    error VARCHAR NOT NULL
);

DROP TABLE portal.affiliation_requests;
DROP TABLE portal.affiliation_completions;
DROP TABLE portal.exemptions;
DROP TABLE portal.radiations;
DROP TABLE portal.rejects;
DROP SCHEMA portal;
