-- The core model. Fact tables hold one row per block instance of a declaration IN FORCE and
-- carry (siret, month) so a night can recompute only the declaration groups its files touch.
-- Dimension tables are derived from the facts. Natural keys only: technical ids of a file
-- (15.005, 70.012, 70.013, 78.005) are used inside one declaration and kept as data.
CREATE SCHEMA core;

-- (siret, month) groups whose declarations changed and whose facts must be recomputed.
CREATE TABLE core.pending_groups (siret VARCHAR, month DATE);

-- Every version of every declaration: the one in force, and the history it replaced.
CREATE TABLE core.declaration_versions (
    file_id VARCHAR NOT NULL,
    declaration_id UINTEGER NOT NULL,
    siren VARCHAR, siret VARCHAR, month DATE,
    nature VARCHAR, type VARCHAR, fraction VARCHAR, order_number VARCHAR,
    built_on DATE, replaced_id VARCHAR, norm VARCHAR, status UTINYINT,
    version_rank INTEGER NOT NULL,          -- 1 = oldest version of its group
    versions INTEGER NOT NULL,              -- how many versions the group has
    in_force BOOLEAN NOT NULL,
    cancelled BOOLEAN NOT NULL,             -- the group's latest version is an annulation (04)
    superseded_by_file_id VARCHAR,          -- the next version, when this one is history
    superseded_by_declaration_id UINTEGER,
    PRIMARY KEY (file_id, declaration_id)
);

CREATE VIEW core.declarations_in_force AS
SELECT * FROM core.declaration_versions WHERE in_force;

CREATE TABLE core.employee_months (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL,          -- NIR, else 'NTT:' || NTT
    nir VARCHAR, ntt VARCHAR, last_name VARCHAR, first_names VARCHAR, birth_date VARCHAR
);

CREATE TABLE core.identity_changes (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL,
    change_date DATE, previous_nir VARCHAR, previous_last_name VARCHAR,
    previous_first_names VARCHAR
);

CREATE TABLE core.contract_months (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    category VARCHAR, contract_nature VARCHAR
);

CREATE TABLE core.adhesion_months (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    adhesion_key VARCHAR NOT NULL,          -- 15.002 | 15.003 | 15.001
    oc_code VARCHAR, delegate_code VARCHAR, contract_reference VARCHAR,
    personnel_covered VARCHAR, technical_id VARCHAR
);

CREATE TABLE core.affiliations (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    adhesion_key VARCHAR,                   -- NULL when 70.013 matches no adhésion of its file
    option_code VARCHAR, population_code VARCHAR,
    children INTEGER, adult_dependants INTEGER, dependants INTEGER,
    other_dependants INTEGER, child_dependants INTEGER,
    technical_id VARCHAR, start_date DATE, end_date DATE
);

CREATE TABLE core.stoppages (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    reason VARCHAR, last_day_worked DATE, planned_end DATE, return_date DATE,
    return_reason VARCHAR, accident_date DATE
);

CREATE TABLE core.contract_ends (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    end_date DATE, end_reason VARCHAR, keeps_cover BOOLEAN
);

CREATE TABLE core.contributions (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,          -- the S21.G00.81 instance
    employee_key VARCHAR NOT NULL,
    affiliation_instance_id UINTEGER,       -- NULL when 78.005 matches no affiliation
    adhesion_key VARCHAR, option_code VARCHAR, population_code VARCHAR,
    base_amount DECIMAL(18, 2), amount DECIMAL(18, 2)
);

CREATE TABLE core.declared_payments (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    oc_id VARCHAR, iban VARCHAR, amount DECIMAL(18, 2), period_start DATE, period_end DATE,
    payment_mode VARCHAR, payment_date DATE
);

CREATE TABLE core.declared_payment_components (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL, payment_instance_id UINTEGER NOT NULL,
    amount DECIMAL(18, 2), population_type VARCHAR, contract_reference VARCHAR,
    period VARCHAR
);

-- Dimensions, rebuilt from the facts above.
CREATE TABLE core.companies (
    siren VARCHAR PRIMARY KEY, establishments INTEGER, first_month DATE, last_month DATE
);

CREATE TABLE core.establishments (
    siret VARCHAR PRIMARY KEY, siren VARCHAR, nic VARCHAR, ape VARCHAR, postal_code VARCHAR,
    city VARCHAR, first_month DATE, last_month DATE
);

CREATE TABLE core.employees (
    employee_key VARCHAR PRIMARY KEY, nir VARCHAR, ntt VARCHAR, last_name VARCHAR,
    first_names VARCHAR, birth_date VARCHAR, last_siret VARCHAR, first_month DATE,
    last_month DATE
);

-- Earlier identities of an employee: an old NIR from S21.G00.31, or an NTT later declared
-- alongside a NIR.
CREATE TABLE core.employee_links (
    previous_key VARCHAR NOT NULL, employee_key VARCHAR NOT NULL, link_reason VARCHAR NOT NULL,
    first_month DATE,
    PRIMARY KEY (previous_key, employee_key)
);

CREATE TABLE core.employment_contracts (
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    siret VARCHAR, category VARCHAR, contract_nature VARCHAR, first_month DATE,
    last_month DATE, end_date DATE, end_reason VARCHAR
);

CREATE TABLE core.adhesions (
    adhesion_key VARCHAR NOT NULL, siret VARCHAR NOT NULL, oc_code VARCHAR,
    delegate_code VARCHAR, contract_reference VARCHAR, first_month DATE, last_month DATE,
    PRIMARY KEY (adhesion_key, siret)
);
