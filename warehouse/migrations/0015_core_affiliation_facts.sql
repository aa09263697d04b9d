-- What the affiliation rules read from staging until now, as core facts of the declarations in
-- force (per pending group, like the other facts; models/facts/*.sql).

-- Dependants (S21.G00.73) counted by type (.003) per affiliation (its S21.G00.70 instance).
CREATE TABLE core.dependants (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    affiliation_instance_id UINTEGER NOT NULL, employee_key VARCHAR NOT NULL,
    dependant_type VARCHAR, dependants INTEGER NOT NULL
);

-- The base components (S21.G00.79, type .001, amount .004) of each contribution of
-- core.contributions (the 79 blocks under the same S21.G00.78 base), summed by type.
CREATE TABLE core.contribution_components (
    file_id VARCHAR NOT NULL, declaration_id UINTEGER NOT NULL, siret VARCHAR, month DATE,
    contribution_instance_id UINTEGER NOT NULL, employee_key VARCHAR NOT NULL,
    component_type VARCHAR, amount DECIMAL(18, 2)
);
