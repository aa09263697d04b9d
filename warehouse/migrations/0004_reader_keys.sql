-- The reader adds natural keys to its block tables (dsn_parser.tables): siren/siret on every
-- S21 row, employee_key (NIR, else 'NTT:' || NTT) on the individual and its descendants,
-- employment_contract_key on the contract and its descendants. The core model reads them.
ALTER TABLE staging.s21_g00_30 ADD COLUMN IF NOT EXISTS employee_key VARCHAR;
ALTER TABLE staging.s21_g00_40 ADD COLUMN IF NOT EXISTS employee_key VARCHAR;
ALTER TABLE staging.s21_g00_40 ADD COLUMN IF NOT EXISTS employment_contract_key VARCHAR;
