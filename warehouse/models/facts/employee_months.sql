SELECT file_id, declaration_id, siret, month, instance_id, employee_key, nir, ntt, last_name,
    first_names, birth_date
FROM scope_individuals
