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
stage's own business: `CompanyScope.last_night` says from which night it has to look."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb

SCOPE_TABLE = "scope_companies"  # temporary, per connection: the SIRENs of the current scope


@dataclass(frozen=True)
class CompanyScope:
    """The companies a stage has to recompute tonight."""

    everything: bool
    sirens: frozenset[str]
    last_night: date | None  # the night the stage last ran for; None: never
    change_id: int  # the last change covered

    def sql(self, column: str) -> str:
        """A SQL predicate on `column` (a SIREN), true for the companies in scope; needs
        `register_scope` on the connection."""
        if self.everything:
            return "TRUE"
        return f"{column} IN (SELECT siren FROM temp.{SCOPE_TABLE})"


EVERY_COMPANY = CompanyScope(everything=True, sirens=frozenset(), last_night=None, change_id=0)


def _next_change_id(connection: duckdb.DuckDBPyConnection) -> int:
    row = connection.execute("SELECT coalesce(max(change_id), 0) + 1 FROM core.company_changes")
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
    connection.execute(
        "DELETE FROM core.company_changes "
        "WHERE change_id <= (SELECT min(change_id) FROM core.stage_progress) "
        "AND change_id < (SELECT max(change_id) FROM core.company_changes)"
    )


def changed_since(
    connection: duckdb.DuckDBPyConnection, stage: str, code_version: str
) -> CompanyScope:
    """The companies marked since `stage` last ran; every company if it never ran or its code
    changed since."""
    last = connection.execute(
        "SELECT change_id, night, code_version FROM core.stage_progress WHERE stage = ?", [stage]
    ).fetchone()
    newest = _next_change_id(connection) - 1
    if last is None:
        return CompanyScope(True, frozenset(), None, newest)
    since, night, version = last
    rows = connection.execute(
        "SELECT DISTINCT siren FROM core.company_changes WHERE change_id > ? AND change_id <= ?",
        [since, newest],
    ).fetchall()
    sirens = {siren for (siren,) in rows}
    everything = version != code_version or None in sirens
    return CompanyScope(everything, frozenset(s for s in sirens if s is not None), night, newest)


def register_scope(connection: duckdb.DuckDBPyConnection, scope: CompanyScope) -> None:
    """Make `scope.sql(...)` usable on `connection` (a temporary table of its SIRENs). The
    table's comment names the scope it holds, so that the steps of a stage, each registering
    its scope, fill it once a night rather than once a step."""
    sirens = [] if scope.everything else sorted(scope.sirens)
    digest = hashlib.sha256("\n".join(sirens).encode()).hexdigest()
    held = connection.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?",
        [SCOPE_TABLE],
    ).fetchall()
    if held == [(digest,)]:
        return
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
