"""Which companies changed since a stage last ran, so that the stages after the core model
recompute only those companies instead of the whole history.

Inputs mark the companies they touch in `core.company_changes` (the core model the SIRENs of
its pending groups, the reference load the companies whose reference rows differ from
yesterday's); a marking without SIREN means every company (a rebuild, a global reference such as
the PMSS). Each stage keeps its own watermark in `core.stage_progress`: it reads the changes
after it (`changed_since`) and, in the transaction that writes its results, moves it
(`record_progress`). A failed run moves nothing, so the next one takes the same changes again;
a stage that never ran, or whose code changed, sees every company.

What changes with the night date alone (a due date passed, a waiting period elapsed) is the
stage's own business: `CompanyScope.last_night` says from which night it has to look.

A finer grain, for the stages that work per employee: when the only declarations a pending group
gained or lost are signalements (no declared month: they are never a monthly DSN's rows) about
employees each declared in a monthly DSN under his own key, carrying no identity change
(S21.G00.31, or an NTT beside the NIR whose own rows are not yet linked to that NIR: they
would become the NIR's), the core model marks those employees (`core.employee_changes`), not
their company. An NTT declared beside the NIR alone, or already linked to it by a monthly DSN,
changes no row of the model; so marked, a contract end carrying one no longer recomputed a
company of 64,000 employees at 100,000 (one of its 155 signalements of the night). The
employee's monthly rows, his name and key, and everything his company declares month by month
are then as they were; what changed is his signalements' rows (a contract end, a stoppage).
`changed_since` still counts such a company among the changed ones (`sirens`), so that a
stage unaware of employees recomputes it whole; one that works per employee reads `employees`
and narrows (`CompanyScope.keys`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

SCOPE_TABLE = "scope_companies"  # temporary, per connection: the SIRENs of the current scope
SCOPE_KEYS_TABLE = "scope_employees"  # and the employee keys of its `keys`
_IN_FORCE_BEFORE = "in_force_before"  # temporary: a recomputation's declarations in force before


@dataclass(frozen=True)
class CompanyScope:
    """The companies a stage has to recompute tonight, and the employees for a stage that
    recomputes per employee."""

    everything: bool
    sirens: frozenset[str]
    last_night: date | None  # the night the stage last ran for; None: never
    change_id: int  # the last change covered
    # (SIREN, employee key) of the companies of `sirens` whose changes were these employees' only
    employees: frozenset[tuple[str, str]] = frozenset()
    # employees to recompute in every company besides `sirens`, keyed as the stage keys them;
    # set by a stage that narrows `employees` (then `sirens` holds the whole companies only)
    keys: frozenset[str] = frozenset()

    @property
    def companies(self) -> int | None:
        """How many companies are recomputed whole; None: every one."""
        return None if self.everything else len(self.sirens)

    @property
    def whole_sirens(self) -> frozenset[str]:
        """The companies of `sirens` changed beyond some employees' rows."""
        return self.sirens - {siren for siren, _ in self.employees}

    def sql(self, column: str, key_column: str | None = None) -> str:
        """A SQL predicate on `column` (a SIREN) and `key_column` (an employee key), true for
        the rows in scope; needs `register_scope` on the connection."""
        if self.everything:
            return "TRUE"
        companies = f"{column} IN (SELECT siren FROM temp.{SCOPE_TABLE})"
        if not self.keys:
            return companies
        if key_column is None:
            raise ValueError("a scope of employees needs the employee key's column")
        employees = f"{key_column} IN (SELECT employee_key FROM temp.{SCOPE_KEYS_TABLE})"
        # a row without key is its company's: never NULL, so that NOT (...) holds for it
        return f"({companies} OR coalesce({employees}, false))"

    def keep(
        self, frame: pl.DataFrame, column: str = "siren", key_column: str = "employee_key"
    ) -> pl.DataFrame:
        """The rows of `frame` in scope."""
        if self.everything:
            return frame
        kept = pl.col(column).is_in(sorted(self.sirens))
        if self.keys:
            kept = kept | pl.col(key_column).is_in(sorted(self.keys))
        return frame.filter(kept)


EVERY_COMPANY = CompanyScope(everything=True, sirens=frozenset(), last_night=None, change_id=0)


_NEWEST_CHANGE = """
SELECT coalesce(max(change_id), 0) FROM (
    SELECT change_id FROM core.company_changes
    UNION ALL SELECT change_id FROM core.employee_changes)
"""


def _next_change_id(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute(f"SELECT ({_NEWEST_CHANGE}) + 1")
    return int(row.fetchone()[0])  # type: ignore[index]


def mark_companies(connection: duckdb.DuckDBPyConnection, sirens_query: str) -> None:
    """Mark as changed the SIRENs `sirens_query` returns (one column)."""
    connection.execute(
        f"""
        INSERT INTO core.company_changes
        SELECT DISTINCT {_next_change_id(connection)}, s.siren
        FROM ({sirens_query}) AS s(siren) WHERE s.siren IS NOT NULL
        """
    )


def mark_every_company(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "INSERT INTO core.company_changes VALUES (?, NULL)", [_next_change_id(connection)]
    )


def prune_changes(connection: duckdb.DuckDBPyConnection) -> None:
    """Forget the changes every stage has taken into account: those at or below the smallest
    watermark (a stage that never ran, or whose code changed, sees every company without
    them), the newest excepted, so that the next change id keeps growing."""
    for table in ("core.company_changes", "core.employee_changes"):
        connection.execute(
            f"DELETE FROM {table} "
            "WHERE change_id <= (SELECT min(change_id) FROM core.stage_progress) "
            f"AND change_id < ({_NEWEST_CHANGE})"
        )


def changed_since(
    connection: duckdb.DuckDBPyConnection, stage: str, code_version: str
) -> CompanyScope:
    """The companies and employees marked since `stage` last ran; every company if it never
    ran or its code changed since."""
    last = connection.execute(
        "SELECT change_id, night, code_version FROM core.stage_progress WHERE stage = ?", [stage]
    ).fetchone()
    newest = _next_change_id(connection) - 1
    if last is None:
        return CompanyScope(True, frozenset(), None, newest)
    since, night, version = last
    marked = [since, newest]
    rows = connection.execute(
        "SELECT DISTINCT siren FROM core.company_changes WHERE change_id > ? AND change_id <= ?",
        marked,
    ).fetchall()
    whole = {siren for (siren,) in rows}
    everything = version != code_version or None in whole
    employees = frozenset(
        (siren, key)
        for siren, key in connection.execute(
            """
            SELECT DISTINCT siren, employee_key FROM core.employee_changes
            WHERE change_id > ? AND change_id <= ?
            """,
            marked,
        ).fetchall()
        if siren not in whole
    )
    sirens = frozenset(s for s in whole if s is not None) | {siren for siren, _ in employees}
    return CompanyScope(everything, sirens, night, newest, employees)


def register_scope(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> None:
    """Make `scope.sql(...)` usable on `connection` (temporary tables of its SIRENs and keys).
    The table's comment names the scope it holds, so that the steps of a stage, each registering
    its scope, fill it once a night rather than once a step."""
    sirens = [] if scope.everything else sorted(scope.sirens)
    keys = [] if scope.everything else sorted(scope.keys)
    digest = hashlib.sha256("\n".join([*sirens, "", *keys]).encode()).hexdigest()
    held = connection.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?",
        [SCOPE_TABLE],
    ).fetchall()
    if held == [(digest,)]:
        return
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCOPE_KEYS_TABLE} AS "
        "SELECT unnest(?::VARCHAR[]) AS employee_key",
        [keys],
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {SCOPE_TABLE} AS SELECT unnest(?::VARCHAR[]) AS siren",
        [sirens],
    )
    connection.execute(f"COMMENT ON TABLE temp.{SCOPE_TABLE} IS '{digest}'")


def record_progress(
    connection: duckdb.DuckDBPyConnection,
    stage: str,
    scope: CompanyScope,
    night: date,
    code_version: str,
) -> None:
    """`stage` has taken every change up to `scope` into account for `night`; call it in the
    transaction that writes the stage's results."""
    connection.execute(
        "INSERT OR REPLACE INTO core.stage_progress VALUES (?, ?, ?, ?)",
        [stage, scope.change_id, night, code_version],
    )


def keep_in_force(connection: duckdb.DuckDBPyConnection, groups: str) -> None:
    """Before the declaration versions of the groups `groups` selects (a predicate on
    `core.declaration_versions AS t`) are recomputed: remember which are in force, for
    `note_pending_changes`."""
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_IN_FORCE_BEFORE} AS
        SELECT file_id, declaration_id FROM core.declaration_versions AS t
        WHERE in_force AND {groups}
        """
    )


# The declarations of the pending groups that came into force or left it since `keep_in_force`,
# and whether each changed its individuals' rows only (module doc); per company, a row per such
# employee, or a row without employee for the whole company. A pending group where no
# declaration changed (a file read again) marks its company whole.
_PENDING_CHANGES = f"""
WITH after AS (
    SELECT file_id, declaration_id FROM core.declaration_versions AS t
    WHERE in_force AND {{groups}}
),
changed AS (
    (SELECT * FROM after EXCEPT SELECT * FROM temp.{_IN_FORCE_BEFORE})
    UNION (SELECT * FROM temp.{_IN_FORCE_BEFORE} EXCEPT SELECT * FROM after)
),
declarations AS (
    SELECT d.file_id, d.declaration_id, d.siren, d.siret, d.month,
        d.nature IS DISTINCT FROM '01' AND d.month IS NULL AND NOT EXISTS (
            SELECT 1 FROM staging.s21_g00_31 AS l
            WHERE l.file_id = d.file_id AND l.declaration_id = d.declaration_id) AS signalement
    FROM changed JOIN staging.declarations AS d USING (file_id, declaration_id)
),
individuals AS (
    SELECT d.file_id, d.declaration_id, d.siren, i.employee_key,
        d.signalement AND i.employee_key IS NOT NULL
        AND (i."S21.G00.30.001" IS NULL OR i."S21.G00.30.020" IS NULL OR NOT EXISTS (
            SELECT 1 FROM core.employee_months AS n
            WHERE n.employee_key = 'NTT:' || i."S21.G00.30.020"
                AND NOT EXISTS (
                    SELECT 1 FROM core.employee_links AS l
                    WHERE l.previous_key = n.employee_key AND l.employee_key = i.employee_key)))
        AND EXISTS (
            SELECT 1 FROM core.employee_months AS m
            WHERE m.employee_key = i.employee_key AND m.month IS NOT NULL) AS alone
    FROM declarations AS d
    LEFT JOIN staging.s21_g00_30 AS i
        ON d.signalement AND i.file_id = d.file_id AND i.declaration_id = d.declaration_id
)
SELECT DISTINCT siren, CASE WHEN every_one_alone THEN employee_key END
FROM (
    SELECT siren, employee_key,
        bool_and(coalesce(alone, false)) OVER (PARTITION BY file_id, declaration_id)
            AS every_one_alone
    FROM individuals
)
UNION
SELECT DISTINCT t.siren, NULL FROM core.declaration_versions AS t
WHERE {{groups}} AND NOT EXISTS (
    SELECT 1 FROM declarations AS d
    WHERE d.siret IS NOT DISTINCT FROM t.siret AND d.month IS NOT DISTINCT FROM t.month)
"""


def note_pending_changes(connection: duckdb.DuckDBPyConnection, groups: str) -> None:
    """After the groups' versions are recomputed: note what changed in them, for
    `mark_pending_changes`, in the same transaction (a recomputation run again finds nothing
    changed and notes the companies whole: more work, never less)."""
    connection.execute(
        "INSERT INTO core.pending_changes "
        f"SELECT * FROM ({_PENDING_CHANGES.format(groups=groups)}) WHERE siren IS NOT NULL"
    )


def mark_pending_changes(connection: duckdb.DuckDBPyConnection, sirens_query: str) -> None:
    """Mark as changed the SIRENs `sirens_query` returns (the pending groups' companies): the
    employees noted for a company whose changes were theirs only, the others whole."""
    alone = """
        SELECT siren FROM core.pending_changes WHERE employee_key IS NOT NULL
        EXCEPT SELECT siren FROM core.pending_changes WHERE employee_key IS NULL
    """
    change_id = _next_change_id(connection)
    connection.execute(
        f"""
        INSERT INTO core.company_changes
        SELECT DISTINCT {change_id}, s.siren FROM ({sirens_query}) AS s(siren)
        WHERE s.siren IS NOT NULL AND s.siren NOT IN ({alone})
        """
    )
    connection.execute(
        f"""
        INSERT INTO core.employee_changes
        SELECT DISTINCT {change_id}, siren, employee_key FROM core.pending_changes
        WHERE siren IN ({alone}) AND siren IN ({sirens_query})
        """
    )
    connection.execute("DELETE FROM core.pending_changes")
