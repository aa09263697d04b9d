SELECT file_id, declaration_id, siret, month, instance_id, employee_key, contract_start,
    contract_number, category, contract_nature
FROM scope_contracts
