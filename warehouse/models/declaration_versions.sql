-- Versions of the declarations of the pending (siret, month) groups, decided by what the
-- declarations say (build date S20.G00.05.007, order number .004, type), never by arrival.
-- A monthly DSN (nature 01) is replaced by a later one of the same SIRET, month, fraction and
-- nature; other natures (signalements) are linked to what they replace through .006.
-- Rejected declarations (status 3) are never in force.
WITH scoped AS (
    SELECT
        d.*,
        strftime(d.built_on, '%d%m%Y') || d.order_number AS own_id
    FROM staging.declarations AS d
    WHERE coalesce(d.status, 0) < 3
      AND EXISTS (
          SELECT 1 FROM core.pending_groups AS p
          WHERE p.siret IS NOT DISTINCT FROM d.siret AND p.month IS NOT DISTINCT FROM d.month
      )
),
-- A replacement or cancellation names the declaration it acts on by .006 (its .007 + .004).
-- Chains (an FCTU replaced, then the replacement cancelled) are followed to their first
-- declaration, whose id keys the group.
names AS (
    SELECT
        s.file_id || ':' || s.declaration_id AS node,
        min(r.file_id || ':' || r.declaration_id) AS named
    FROM scoped AS s
    JOIN scoped AS r
        ON s.type IN ('03', '04', '05')
        AND r.own_id = s.replaced_id
        AND r.siret IS NOT DISTINCT FROM s.siret
        AND r.nature = s.nature
        AND (r.file_id, r.declaration_id) <> (s.file_id, s.declaration_id)
    GROUP BY ALL
),
chains AS (
    WITH RECURSIVE walk (node, root, depth) AS (
        SELECT node, named, 1 FROM names
        UNION ALL
        SELECT walk.node, names.named, walk.depth + 1
        FROM walk JOIN names ON names.node = walk.root
        WHERE walk.depth < 50
    )
    SELECT node, arg_max(root, depth) AS root FROM walk GROUP BY node
),
keyed AS (
    SELECT
        s.*,
        CASE
            WHEN s.nature = '01' AND s.month IS NOT NULL
                THEN concat_ws('|', 'mensuelle', s.siret, s.month, s.fraction)
            ELSE coalesce(c.root, s.file_id || ':' || s.declaration_id)
        END AS group_key
    FROM scoped AS s
    LEFT JOIN chains AS c ON c.node = s.file_id || ':' || s.declaration_id
),
ranked AS (
    SELECT
        *,
        row_number() OVER versions_in_order AS version_rank,
        count(*) OVER (PARTITION BY group_key) AS versions,
        lead(file_id) OVER versions_in_order AS superseded_by_file_id,
        lead(declaration_id) OVER versions_in_order AS superseded_by_declaration_id,
        last_value(type) OVER (
            versions_in_order ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
        ) AS latest_type
    FROM keyed
    WINDOW versions_in_order AS (
        PARTITION BY group_key
        ORDER BY
            built_on NULLS FIRST,
            try_cast(order_number AS HUGEINT) NULLS FIRST,
            order_number,
            type IN ('03', '04', '05'),
            file_id,
            declaration_id
    )
)
SELECT
    file_id, declaration_id, siren, siret, month, nature, type, fraction, order_number,
    built_on, replaced_id, norm, status, version_rank, versions,
    version_rank = versions AND latest_type <> '04' AS in_force,
    latest_type = '04' AS cancelled,
    superseded_by_file_id, superseded_by_declaration_id
FROM ranked
