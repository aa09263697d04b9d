-- What the stoppage domain read from staging until now, as core facts of the declarations in
-- force (per pending group, like the other facts; models/facts/*.sql).

-- Subrogation (S21.G00.60.004-.006) and the declaration's nature (S20.G00.05.001) and build date
-- (.007), which order the observations of one stoppage across signalements and monthly DSNs.
ALTER TABLE core.stoppages ADD COLUMN nature VARCHAR;
ALTER TABLE core.stoppages ADD COLUMN built_on DATE;
ALTER TABLE core.stoppages ADD COLUMN subrogation VARCHAR;
ALTER TABLE core.stoppages ADD COLUMN subrogation_start DATE;
ALTER TABLE core.stoppages ADD COLUMN subrogation_end DATE;

-- Therapeutic part-time periods (S21.G00.66) under a stoppage (its instance_id).
CREATE TABLE core.therapeutic_part_times (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL, stoppage_instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    period_start DATE, period_end DATE, pay DECIMAL(18, 2)
);

-- Other suspensions (S21.G00.65): invalidity 112/114/116, leaves...
CREATE TABLE core.other_suspensions (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    instance_id UINTEGER NOT NULL,
    employee_key VARCHAR NOT NULL, contract_start DATE, contract_number VARCHAR,
    reason VARCHAR, start_date DATE, end_date DATE
);

-- Gross pay (S21.G00.51.011 = '001', amount .013) per employee, contract number (.010) and
-- declaration; several 51 blocks of a declaration add up.
CREATE TABLE core.gross_pay (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    employee_key VARCHAR NOT NULL, contract_number VARCHAR, gross DECIMAL(18, 2)
);
