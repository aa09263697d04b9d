-- The company's contract with the OC: natural key 15.002 | 15.003 | 15.001, per establishment.
SELECT adhesion_key, siret,
    any_value(oc_code) AS oc_code,
    any_value(delegate_code) AS delegate_code,
    any_value(contract_reference) AS contract_reference,
    min(month) AS first_month,
    max(month) AS last_month
FROM core.adhesion_months
WHERE siret IS NOT NULL AND {scope}
GROUP BY adhesion_key, siret
