SELECT siren, count(DISTINCT siret) AS establishments, min(month) AS first_month,
    max(month) AS last_month
FROM core.declarations_in_force
WHERE siren IS NOT NULL AND {scope}
GROUP BY siren
