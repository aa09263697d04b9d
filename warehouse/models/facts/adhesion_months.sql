SELECT file_id, declaration_id, siret, month, instance_id, adhesion_key, oc_code, delegate_code,
    contract_reference, personnel_covered, technical_id
FROM scope_adhesions
