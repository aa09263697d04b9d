"""Build the serving file `portal_v1` from the warehouse into a candidate file, then swap it in.

DuckDB locks a file for its writer, and a process that has the file open keeps reading the old
content after a rename: the portal reads a file nobody ever writes in place. A night builds
`<serving>.candidate.<night id>`, the quality gates read that file, and only then is it renamed
over the serving file (`os.replace`, atomic on one file system). A reader that opens the serving
file sees either last night's snapshot or tonight's, whole. The night id in the name makes each
night's gates and swap name the very file that night built, never another night's.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from serving.labels import register_code_labels
from serving.spec import NIGHT_ID_COLUMN, NIGHT_ID_COMMENT, NIGHT_ID_VARIABLE, SCHEMA, TableSpec
from serving.tables import PORTAL_TABLES
from warehouse.connections import connect, connect_serving, transaction
from warehouse.schema import existing_relations, insert_rows, sql_literal

_CATALOG = "serving"  # the candidate file, attached to the warehouse connection


@dataclass(frozen=True)
class Candidate:
    path: Path
    night_id: str
    night: date
    rows: dict[str, int]
    unavailable: dict[str, str]  # table -> why it is published empty (French)


# `serving.night.new_night_id`: the night's date and 8 hex digits. Checked before it becomes part
# of a file name, as it travels through Dagster's metadata.
_NIGHT_ID = re.compile(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{8}")
_CANDIDATE_SUFFIX = ".candidate"


def candidate_path(serving_path: Path, night_id: str) -> Path:
    if not _NIGHT_ID.fullmatch(night_id):
        raise ValueError(f"Identifiant de nuit invalide : {night_id!r}")
    return serving_path.with_name(f"{serving_path.name}{_CANDIDATE_SUFFIX}.{night_id}")


def remove_stale_candidates(serving_path: Path) -> list[Path]:
    """Remove the candidates left beside `serving_path` by nights that died or were refused
    (and their write-ahead logs). Only a night holding the night lock calls this: no other
    night is building one."""
    stale = sorted(serving_path.parent.glob(serving_path.name + _CANDIDATE_SUFFIX + "*"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _comment(
    connection: duckdb.DuckDBPyConnection, table: str, comment: str, columns: dict[str, str]
) -> None:
    # One script a table: the statements sent one by one were about 0.1 s a night.
    connection.execute(
        ";\n".join(
            [
                f"COMMENT ON TABLE {table} IS {sql_literal(comment)}",
                *(
                    f'COMMENT ON COLUMN {table}."{column}" IS {sql_literal(text)}'
                    for column, text in columns.items()
                ),
            ]
        )
    )


def _create_table(connection: duckdb.DuckDBPyConnection, spec: TableSpec) -> str:
    target = f"{_CATALOG}.{SCHEMA}.{spec.name}"
    columns = ", ".join(
        [f"{NIGHT_ID_COLUMN} VARCHAR NOT NULL"] + [f'"{c.name}" {c.type}' for c in spec.columns]
    )
    connection.execute(f"CREATE TABLE {target} ({columns})")
    _comment(
        connection,
        target,
        spec.comment,
        {NIGHT_ID_COLUMN: NIGHT_ID_COMMENT} | {c.name: c.comment for c in spec.columns},
    )
    return target


def _fill_table(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, target: str, night_id: str
) -> int:
    assert spec.sql is not None
    produced = [row[0] for row in connection.execute(f"DESCRIBE ({spec.sql})").fetchall()]
    if produced != spec.column_names:
        raise ValueError(
            f"{SCHEMA}.{spec.name} : la requête produit {produced}, "
            f"le contrat attend {spec.column_names}"
        )
    row = connection.execute(
        f"INSERT INTO {target} BY NAME SELECT ? AS {NIGHT_ID_COLUMN}, * FROM ({spec.sql})",
        [night_id],
    ).fetchone()
    return int(row[0]) if row else 0


def _write_publication(
    connection: duckdb.DuckDBPyConnection,
    night_id: str,
    night: date,
    rows: dict[str, int],
    unavailable: dict[str, str],
) -> None:
    publication = f"{_CATALOG}.{SCHEMA}.publication"
    connection.execute(
        f"CREATE TABLE {publication} ({NIGHT_ID_COLUMN} VARCHAR NOT NULL, night DATE NOT NULL, "
        "built_at TIMESTAMP NOT NULL)"
    )
    connection.execute(
        f"INSERT INTO {publication} VALUES (?, ?, ?)", [night_id, night, datetime.now()]
    )
    _comment(
        connection,
        publication,
        "La publication : une ligne, la nuit dont ce fichier montre les données.",
        {
            NIGHT_ID_COLUMN: NIGHT_ID_COMMENT,
            "night": "Nuit de traitement publiée.",
            "built_at": "Heure de construction du fichier.",
        },
    )
    tables = f"{_CATALOG}.{SCHEMA}.publication_tables"
    connection.execute(
        f"CREATE TABLE {tables} ({NIGHT_ID_COLUMN} VARCHAR NOT NULL, table_name VARCHAR NOT NULL, "
        "row_count BIGINT NOT NULL, available BOOLEAN NOT NULL, unavailable_reason VARCHAR)"
    )
    insert_rows(
        connection,
        tables,
        [
            [night_id, name, count, name not in unavailable, unavailable.get(name)]
            for name, count in rows.items()
        ],
    )
    _comment(
        connection,
        tables,
        "Les tables de la publication, leur nombre de lignes et, pour une table vide faute de "
        "source, pourquoi.",
        {
            NIGHT_ID_COLUMN: NIGHT_ID_COMMENT,
            "table_name": f"Nom de la table dans {SCHEMA}.",
            "row_count": "Nombre de lignes publiées.",
            "available": "Faux si le domaine qui alimente la table ne produit pas encore de "
            "données.",
            "unavailable_reason": "Pourquoi la table est vide, le cas échéant.",
        },
    )


def _write_tables(
    connection: duckdb.DuckDBPyConnection, specs: tuple[TableSpec, ...], night_id: str
) -> tuple[dict[str, int], dict[str, str]]:
    """Create and fill the candidate's tables: their row counts, and why those published empty
    are."""
    rows: dict[str, int] = {}
    unavailable: dict[str, str] = {}
    connection.execute(f"SET VARIABLE {NIGHT_ID_VARIABLE} = ?", [night_id])
    connection.execute(f"CREATE SCHEMA {_CATALOG}.{SCHEMA}")
    existing = existing_relations(connection)
    for spec in specs:
        table = _create_table(connection, spec)
        missing = [r for r in spec.requires if r not in existing]
        if spec.sql is None or missing:
            unavailable[spec.name] = (
                "domaine pas encore branché sur l'entrepôt"
                if spec.sql is None
                else "source absente de l'entrepôt : " + ", ".join(missing)
            )
            rows[spec.name] = 0
            continue
        rows[spec.name] = _fill_table(connection, spec, table, night_id)
    return rows, unavailable


def build_candidate(
    warehouse_path: Path,
    serving_path: Path,
    night: date,
    night_id: str,
    specs: tuple[TableSpec, ...] = PORTAL_TABLES,
) -> Candidate:
    """`write_candidate` on its own connection to the warehouse, read-only."""
    with connect(warehouse_path, read_only=True) as connection:
        return write_candidate(connection, serving_path, night, night_id, specs)


def write_candidate(
    connection: duckdb.DuckDBPyConnection,
    serving_path: Path,
    night: date,
    night_id: str,
    specs: tuple[TableSpec, ...] = PORTAL_TABLES,
) -> Candidate:
    """Write tonight's `portal_v1` into its candidate file beside `serving_path` from the
    warehouse of `connection`; the candidates of earlier nights are removed first."""
    target = candidate_path(serving_path, night_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_candidates(serving_path)
    register_code_labels(connection)
    connection.execute(f"ATTACH {sql_literal(str(target))} AS {_CATALOG} (READ_WRITE)")
    try:
        # One transaction: committing each table's creation and every comment on its own
        # cost about a second a night whatever the night's size.
        with transaction(connection):
            rows, unavailable = _write_tables(connection, specs, night_id)
            _write_publication(connection, night_id, night, rows, unavailable)
        connection.execute(f"CHECKPOINT {_CATALOG}")
    finally:
        connection.execute(f"DETACH {_CATALOG}")
    return Candidate(target, night_id, night, rows, unavailable)


def swap_in(candidate: Path, serving_path: Path) -> None:
    """Make the candidate the serving file in one atomic rename, durable once returned."""
    with candidate.open("rb") as handle:
        os.fsync(handle.fileno())
    candidate.replace(serving_path)
    directory = os.open(serving_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def swap_directory(new: Path, target: Path) -> None:
    """Put the directory `new` in place of `target`, whose old content is then removed: a
    reader finds one or the other whole (two renames, the old one aside meanwhile)."""
    old = target.with_name(f".{target.name}.ancien")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def read_candidate(serving_path: Path, night_id: str) -> Candidate:
    """The candidate night `night_id` built beside `serving_path`, as `build_candidate`
    described it."""
    candidate = _read_publication(candidate_path(serving_path, night_id))
    if candidate.night_id != night_id:
        raise ValueError(f"Publication candidate d'une autre nuit : {candidate.path}")
    return candidate


def read_served(serving_path: Path) -> Candidate | None:
    """The publication the portal reads now, as it was built (None before the first)."""
    return _read_publication(serving_path) if serving_path.exists() else None


def published_night_id(serving_path: Path) -> str | None:
    """The night id of the snapshot the portal reads now (None before the first publication)."""
    served = read_served(serving_path)
    return served.night_id if served else None


def _read_publication(path: Path) -> Candidate:
    with connect_serving(path) as connection:
        night_row = connection.execute(
            f"SELECT {NIGHT_ID_COLUMN}, night FROM {SCHEMA}.publication"
        ).fetchone()
        tables = connection.execute(
            "SELECT table_name, row_count, available, unavailable_reason "
            f"FROM {SCHEMA}.publication_tables"
        ).fetchall()
    if night_row is None:
        raise ValueError(f"Publication incomplète : {path}")
    return Candidate(
        path=path,
        night_id=night_row[0],
        night=night_row[1],
        rows={name: int(rows) for name, rows, _, _ in tables},
        unavailable={name: reason for name, _, available, reason in tables if not available},
    )
