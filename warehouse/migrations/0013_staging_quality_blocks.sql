-- The staging columns the affiliation and stoppage domains read, declared so that their queries
-- bind even when no file loaded so far carried them (a block table otherwise only gets the
-- columns of the files loaded, see warehouse.load.insert_frame). Types as the reader gives them.
ALTER TABLE staging.s21_g00_60 ADD COLUMN IF NOT EXISTS "S21.G00.60.004" VARCHAR;
ALTER TABLE staging.s21_g00_60 ADD COLUMN IF NOT EXISTS "S21.G00.60.005" DATE;
ALTER TABLE staging.s21_g00_60 ADD COLUMN IF NOT EXISTS "S21.G00.60.006" DATE;

CREATE TABLE IF NOT EXISTS staging.s21_g00_51 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER, siren VARCHAR, siret VARCHAR,
    employee_key VARCHAR,
    "S21.G00.51.001" DATE, "S21.G00.51.002" DATE, "S21.G00.51.010" VARCHAR,
    "S21.G00.51.011" VARCHAR,
    "S21.G00.51.013" DECIMAL(18, 2)
);
CREATE TABLE IF NOT EXISTS staging.s21_g00_65 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER, siren VARCHAR, siret VARCHAR,
    employee_key VARCHAR, employment_contract_key VARCHAR,
    "S21.G00.65.001" VARCHAR, "S21.G00.65.002" DATE, "S21.G00.65.003" DATE
);
CREATE TABLE IF NOT EXISTS staging.s21_g00_66 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER, siren VARCHAR, siret VARCHAR,
    employee_key VARCHAR, employment_contract_key VARCHAR,
    "S21.G00.66.001" DATE, "S21.G00.66.002" DATE, "S21.G00.66.003" DECIMAL(18, 2)
);
CREATE TABLE IF NOT EXISTS staging.s21_g00_73 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER, siren VARCHAR, siret VARCHAR,
    employee_key VARCHAR, employment_contract_key VARCHAR,
    "S21.G00.73.001" VARCHAR, "S21.G00.73.002" VARCHAR, "S21.G00.73.003" VARCHAR,
    "S21.G00.73.004" DATE
);
CREATE TABLE IF NOT EXISTS staging.s21_g00_79 (
    file_id VARCHAR NOT NULL, instance_id UINTEGER NOT NULL, parent_id UINTEGER,
    envoi_id UINTEGER, declaration_id UINTEGER, siren VARCHAR, siret VARCHAR,
    employee_key VARCHAR,
    "S21.G00.79.001" VARCHAR, "S21.G00.79.004" DECIMAL(18, 2), "S21.G00.79.005" VARCHAR
);
