SELECT previous_key, employee_key, min(link_reason) AS link_reason, min(month) AS first_month
FROM (
    SELECT previous_nir AS previous_key, employee_key,
        'changement d''identité (S21.G00.31)' AS link_reason, month
    FROM core.identity_changes
    WHERE previous_nir IS NOT NULL AND previous_nir <> employee_key AND {scope}
    UNION ALL
    SELECT 'NTT:' || ntt, employee_key, 'NTT remplacé par le NIR' AS link_reason, month
    FROM core.employee_months
    WHERE nir IS NOT NULL AND ntt IS NOT NULL AND {scope}
)
GROUP BY previous_key, employee_key
