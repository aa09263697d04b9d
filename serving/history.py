"""What the warehouse remembers of each publication: its gates, its row counts, whether the
portal got it and, when not, why, in `publish.publications` and `publish.gate_results` for the
operators (the steward report does not read them); the row-count gates read the counts of the
last publication that reached the portal.

A night's record is written before each step it describes, so that a crash anywhere leaves a
record the next night can settle against the served file (`reconcile`):
`en contrôle` (candidate built) → `contrôlée` or `refusée` (gates) → `en cours de publication`
(about to swap) → `publiée`. A night that stopped on the way is `interrompue`, or `publiée` when
the served file shows its night id (killed between the swap and the last record).

The tables come from migration 0030: the writers here take a writer's connection from
`warehouse.connections.connect`, which applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import duckdb

from serving.gates import CompanyRefusal
from serving.snapshot import Candidate, read_candidate, read_served, swap_in
from serving.spec import GateResult
from warehouse.connections import has_table, transaction
from warehouse.schema import insert_rows

CHECKING = "en contrôle"
CHECKED = "contrôlée"
PUBLISHING = "en cours de publication"
PUBLISHED = "publiée"
REFUSED = "refusée"
INTERRUPTED = "interrompue"
_UNSETTLED = (CHECKING, CHECKED, PUBLISHING)


def _has_history(connection: duckdb.DuckDBPyConnection) -> bool:
    # A read-only connection does not migrate: a warehouse last written before migration 0030
    # has no history yet.
    return has_table(connection, "publish", "publications")


def previous_counts(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the latest publication the portal received (empty before the first)."""
    if not _has_history(connection):
        return {}
    rows = connection.execute(
        """
        SELECT c.table_name, c.row_count FROM publish.table_counts AS c
        WHERE c.night_id = (
            SELECT night_id FROM publish.publications WHERE status = ?
            ORDER BY recorded_at DESC LIMIT 1
        )
        """,
        [PUBLISHED],
    ).fetchall()
    return {name: int(count) for name, count in rows}


_ROW_COUNT = "expect_table_row_count_to_be_between"
# What the steward reads under a refusal for lost rows: the likely cause and what to do.
_LOST_ROWS = (
    " Une table qui perd plus de la moitié de ses lignes d'une publication à l'autre signale "
    "d'ordinaire des fichiers manquants dans le dépôt : une fiche de paramétrage de contrat "
    "retirée (les affiliations de ce contrat disparaissent avec elle), des DSN ou des fichiers "
    "bancaires absents. Remettez dans le dépôt les fichiers manquants puis relancez la nuit."
)
_ACCEPT_DROP = (
    " Si la baisse est voulue (une fiche retirée exprès), relancez la nuit avec "
    "--accepter-baisse {tables}."
)


def _failure(result: GateResult, previous: dict[str, int]) -> str:
    if result.expectation == _ROW_COUNT and result.table in previous:
        return (
            f"{result.table} : {result.observed} ligne(s) ce soir contre "
            f"{previous[result.table]} à la dernière publication, plus de la moitié en moins"
        )
    return result.failure


def refusal_reason(
    results: Iterable[GateResult], previous: dict[str, int] | None = None
) -> str | None:
    """French, recorded as the refusal's reason and shown to the operator: the blocking gates
    that failed, or None; a table that lost rows against its `previous` published count says
    how many and what to do."""
    previous = previous or {}
    failed = [r for r in results if r.blocking and not r.passed]
    if not failed:
        return None
    lost = sorted({r.table for r in failed if r.expectation == _ROW_COUNT and r.table in previous})
    return (
        "Publication refusée, le portail garde la publication précédente. "
        f"Contrôles en échec : {'; '.join(_failure(r, previous) for r in failed)}."
        + (_LOST_ROWS + _ACCEPT_DROP.format(tables=",".join(lost)) if lost else "")
    )


def record_candidate(
    connection: duckdb.DuckDBPyConnection, candidate: Candidate, serving_path: Path
) -> None:
    """Tonight's candidate is built and about to be checked: its record and its row counts."""
    with transaction(connection):
        _insert(connection, candidate, serving_path, CHECKING, None)


def record_checks(
    connection: duckdb.DuckDBPyConnection, night_id: str, results: list[GateResult]
) -> str | None:
    """The gates' results for night `night_id`, and its status: `contrôlée`, or `refusée` with
    the reason, which is returned (French)."""
    reason = refusal_reason(results, previous_counts(connection))
    with transaction(connection):
        connection.execute("DELETE FROM publish.gate_results WHERE night_id = ?", [night_id])
        if results:
            insert_rows(
                connection,
                "publish.gate_results",
                [
                    [
                        night_id,
                        r.table,
                        r.expectation,
                        r.column,
                        r.blocking,
                        r.passed,
                        r.unexpected_count,
                        r.observed,
                    ]
                    for r in results
                ],
            )
        _set_status(connection, night_id, REFUSED if reason else CHECKED, reason)
    return reason


def publish_checked(
    connection: duckdb.DuckDBPyConnection, serving_path: Path, night_id: str
) -> Candidate:
    """Swap in the candidate of night `night_id`, which its own gates must have passed: the
    record says so before the swap and after it, so that they never disagree for long."""
    [(status,)] = connection.execute(
        "SELECT coalesce(max(status), 'inconnue') FROM publish.publications WHERE night_id = ?",
        [night_id],
    ).fetchall()
    if status != CHECKED:
        raise ValueError(
            f"La publication candidate de la nuit {night_id} n'a pas passé ses contrôles "
            f"(statut : {status}) : le portail garde la publication précédente."
        )
    candidate = read_candidate(serving_path, night_id)
    _set_status(connection, night_id, PUBLISHING, None)
    swap_in(candidate.path, serving_path)
    _set_status(connection, night_id, PUBLISHED, None)
    return candidate


def reconcile(connection: duckdb.DuckDBPyConnection, serving_path: Path) -> list[str]:
    """Settle the records of nights that stopped before their last record, against the file the
    portal reads; remove gate results that no record explains. Returns what was settled, in
    French, one line each. Called at the start of a night's publication, under the night lock."""
    served = read_served(serving_path)
    settled: list[str] = []
    with transaction(connection):
        unsettled = connection.execute(
            "SELECT night_id, status FROM publish.publications WHERE status IN ? ORDER BY night_id",
            [list(_UNSETTLED)],
        ).fetchall()
        for night_id, status in unsettled:
            if served is not None and night_id == served.night_id:
                _set_status(connection, night_id, PUBLISHED, None)
                settled.append(f"Nuit {night_id} : servie au portail, notée publiée.")
            else:
                _set_status(connection, night_id, INTERRUPTED, _interrupted(status))
                settled.append(f"Nuit {night_id} : interrompue ({status}), non publiée.")
        if served is not None and not _is_recorded(connection, served.night_id):
            _insert(connection, served, serving_path, PUBLISHED, None)
            settled.append(
                f"Nuit {served.night_id} : servie au portail sans trace dans l'historique, "
                "enregistrée depuis le fichier servi."
            )
        [(orphans,)] = connection.execute(
            "SELECT count(*) FROM publish.gate_results WHERE night_id NOT IN "
            "(SELECT night_id FROM publish.publications)"
        ).fetchall()
        if orphans:
            connection.execute(
                "DELETE FROM publish.gate_results WHERE night_id NOT IN "
                "(SELECT night_id FROM publish.publications)"
            )
            settled.append(f"{orphans} résultat(s) de contrôle sans publication supprimé(s).")
    return settled


def _interrupted(status: str) -> str:
    return (
        f"Nuit interrompue à l'étape « {status} » : le portail a gardé la publication précédente."
    )


def _is_recorded(connection: duckdb.DuckDBPyConnection, night_id: str) -> bool:
    [(count,)] = connection.execute(
        "SELECT count(*) FROM publish.publications WHERE night_id = ?", [night_id]
    ).fetchall()
    return bool(count)


def _insert(
    connection: duckdb.DuckDBPyConnection,
    candidate: Candidate,
    serving_path: Path,
    status: str,
    reason: str | None,
) -> None:
    connection.execute("DELETE FROM publish.publications WHERE night_id = ?", [candidate.night_id])
    connection.execute(
        "INSERT INTO publish.publications VALUES (?, ?, ?, ?, ?, ?)",
        [candidate.night_id, candidate.night, status, reason, str(serving_path), datetime.now()],
    )
    connection.execute("DELETE FROM publish.table_counts WHERE night_id = ?", [candidate.night_id])
    insert_rows(
        connection,
        "publish.table_counts",
        [[candidate.night_id, table, count] for table, count in candidate.rows.items()],
    )


def _set_status(
    connection: duckdb.DuckDBPyConnection, night_id: str, status: str, reason: str | None
) -> None:
    connection.execute(
        "UPDATE publish.publications SET status = ?, reason = ?, recorded_at = ? "
        "WHERE night_id = ?",
        [status, reason, datetime.now(), night_id],
    )


def record_company_refusals(
    connection: duckdb.DuckDBPyConnection, candidate: Candidate, refusals: list[CompanyRefusal]
) -> None:
    """Which companies tonight held back on their last good night, and for which gates; the
    row counts of `candidate` (as re-read once they were held back) replace those recorded."""
    connection.execute(
        "DELETE FROM publish.company_refusals WHERE night_id = ?", [candidate.night_id]
    )
    connection.execute("DELETE FROM publish.table_counts WHERE night_id = ?", [candidate.night_id])
    insert_rows(
        connection,
        "publish.table_counts",
        [[candidate.night_id, table, count] for table, count in candidate.rows.items()],
    )
    if refusals:
        insert_rows(
            connection,
            "publish.company_refusals",
            [
                [candidate.night_id, r.siren, "; ".join(r.gates), r.stale_since, r.data_night_id]
                for r in refusals
            ],
        )


def latest_company_refusals(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(SIREN, failed gates in French) of the companies the latest recorded night held back."""
    if not has_table(connection, "publish", "company_refusals"):
        return []
    return connection.execute(
        """
        SELECT siren, gates FROM publish.company_refusals
        WHERE night_id = (
            SELECT night_id FROM publish.publications ORDER BY recorded_at DESC LIMIT 1)
        ORDER BY siren
        """
    ).fetchall()
