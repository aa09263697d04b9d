-- Staging: what the DSN reader produced, file by file, with file and line provenance.
-- Block tables carry the reader's INSTANCE_COLUMNS then one typed column per rubric. The columns
-- the core model reads are declared here; any other rubric a file carries is added on load.
CREATE SCHEMA staging;

CREATE TABLE staging.declarations (
    file_id VARCHAR NOT NULL,
    envoi_id UINTEGER,
    declaration_id UINTEGER NOT NULL,
    norm VARCHAR,
    nature VARCHAR,
    type VARCHAR,
    fraction VARCHAR,
    order_number VARCHAR,
    month DATE,
    replaced_id VARCHAR,
    built_on DATE,
    siren VARCHAR,
    siret VARCHAR,
    status UTINYINT,
    PRIMARY KEY (file_id, declaration_id)
);

CREATE TABLE staging.diagnostics (
    file_id VARCHAR NOT NULL,
    declaration_id UINTEGER,
    line UINTEGER,
    rubric VARCHAR,
    label VARCHAR,
    code VARCHAR,
    severity VARCHAR,
    message VARCHAR
);

CREATE TABLE staging.s21_g00_06 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.06.001" VARCHAR, "S21.G00.06.002" VARCHAR, "S21.G00.06.003" VARCHAR
);
CREATE TABLE staging.s21_g00_11 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.11.001" VARCHAR, "S21.G00.11.002" VARCHAR, "S21.G00.11.004" VARCHAR,
    "S21.G00.11.005" VARCHAR
);
CREATE TABLE staging.s21_g00_15 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.15.001" VARCHAR, "S21.G00.15.002" VARCHAR, "S21.G00.15.003" VARCHAR,
    "S21.G00.15.004" VARCHAR, "S21.G00.15.005" VARCHAR
);
CREATE TABLE staging.s21_g00_20 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.20.001" VARCHAR, "S21.G00.20.002" VARCHAR, "S21.G00.20.004" VARCHAR,
    "S21.G00.20.005" DECIMAL(18, 2), "S21.G00.20.006" DATE, "S21.G00.20.007" DATE,
    "S21.G00.20.010" VARCHAR, "S21.G00.20.011" DATE
);
CREATE TABLE staging.s21_g00_55 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.55.001" DECIMAL(18, 2), "S21.G00.55.002" VARCHAR, "S21.G00.55.003" VARCHAR,
    "S21.G00.55.004" VARCHAR
);
CREATE TABLE staging.s21_g00_30 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.30.001" VARCHAR, "S21.G00.30.002" VARCHAR, "S21.G00.30.004" VARCHAR,
    "S21.G00.30.006" VARCHAR, "S21.G00.30.020" VARCHAR
);
CREATE TABLE staging.s21_g00_31 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.31.001" DATE, "S21.G00.31.008" VARCHAR, "S21.G00.31.009" VARCHAR,
    "S21.G00.31.010" VARCHAR
);
CREATE TABLE staging.s21_g00_40 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.40.001" DATE, "S21.G00.40.003" VARCHAR, "S21.G00.40.007" VARCHAR,
    "S21.G00.40.009" VARCHAR
);
CREATE TABLE staging.s21_g00_50 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.50.001" DATE
);
CREATE TABLE staging.s21_g00_60 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.60.001" VARCHAR, "S21.G00.60.002" DATE, "S21.G00.60.003" DATE,
    "S21.G00.60.010" DATE, "S21.G00.60.011" VARCHAR, "S21.G00.60.012" DATE
);
CREATE TABLE staging.s21_g00_62 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.62.001" DATE, "S21.G00.62.002" VARCHAR, "S21.G00.62.016" VARCHAR
);
CREATE TABLE staging.s21_g00_70 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.70.004" VARCHAR, "S21.G00.70.005" VARCHAR, "S21.G00.70.007" VARCHAR,
    "S21.G00.70.008" VARCHAR, "S21.G00.70.009" VARCHAR, "S21.G00.70.010" VARCHAR,
    "S21.G00.70.011" VARCHAR, "S21.G00.70.012" VARCHAR, "S21.G00.70.013" VARCHAR,
    "S21.G00.70.014" DATE, "S21.G00.70.015" DATE
);
CREATE TABLE staging.s21_g00_78 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.78.001" VARCHAR, "S21.G00.78.002" DATE, "S21.G00.78.003" DATE,
    "S21.G00.78.004" DECIMAL(18, 2), "S21.G00.78.005" VARCHAR
);
CREATE TABLE staging.s21_g00_81 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER,
    "S21.G00.81.001" VARCHAR, "S21.G00.81.002" VARCHAR, "S21.G00.81.003" DECIMAL(18, 2),
    "S21.G00.81.004" DECIMAL(18, 2)
);
