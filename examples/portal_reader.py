"""How the portal reads the published data: SQLAlchemy with duckdb-engine, read-only, one
company at a time, one connection per published night.

The caching trap. The serving file is replaced every night by an atomic rename, and DuckDB
keeps one database instance per file path and process: while any connection to the path is
open in the process, a *new* connection joins that instance and reads the *old* file. Opening
a connection per request is therefore not enough if anything else holds one. `PortalReader`
holds exactly one connection for the night it opened, notices the swap (the file at the path
is another file) and reopens after closing the old one. Use one kind of connection per file
and process: mixing raw `duckdb.connect` and SQLAlchemy connections to the same file fails
with «different configuration».

Every query filters on the company's SIREN (per-company access control); `night_id` says which
night the rows come from.

    .venv/bin/python examples/portal_reader.py var/serving.duckdb [SIREN]
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_currency


class PortalReader:
    """One read-only connection per published night, reopened when the night changes."""

    def __init__(self, serving_path: str) -> None:
        self.serving_path = serving_path
        self._engine: sa.Engine | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file opened
        self._lock = threading.Lock()

    def _published_file(self) -> tuple[int, int]:
        status = Path(self.serving_path).stat()
        return status.st_dev, status.st_ino

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        with self._lock:
            published = self._published_file()
            if published != self._file:
                if self._engine is not None:
                    self._engine.dispose()  # closes the old night's only connection first
                self._engine = sa.create_engine(
                    f"duckdb:///{self.serving_path}",
                    connect_args={"read_only": True},
                    poolclass=sa.pool.StaticPool,  # the one connection of this night
                )
                self._file = published
            engine = self._engine
        assert engine is not None
        with engine.connect() as connection:
            yield connection

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine, self._file = None, None


def company_overview(reader: PortalReader, siren: str) -> dict[str, Any]:
    """What the portal's home page of one company shows, all from one night."""
    with reader.connect() as connection:
        night_row = connection.execute(
            sa.text("SELECT night, night_id FROM portal_v1.publication")
        ).one()
        contracts = connection.execute(
            sa.text("SELECT count(*) FROM portal_v1.employees WHERE siren = :siren"),
            {"siren": siren},
        ).scalar_one()
        states = connection.execute(
            sa.text(
                "SELECT status, count(*) AS n FROM portal_v1.affiliation_states "
                "WHERE siren = :siren GROUP BY status ORDER BY status"
            ),
            {"siren": siren},
        ).all()
        periods = connection.execute(
            sa.text(
                "SELECT contract_reference, period_code, declared, paid, balance "
                "FROM portal_v1.contribution_periods "
                "WHERE siren = :siren AND visible_from <= :night "
                "ORDER BY contract_reference, period_code"
            ),
            {"siren": siren, "night": night_row.night},
        ).all()
    return {
        "night": night_row.night,
        "night_id": night_row.night_id,
        "employment_contracts": contracts,
        "affiliation_states": {row.status: row.n for row in states},
        "contribution_periods": [tuple(row) for row in periods],
    }


def companies(reader: PortalReader) -> list[str]:
    with reader.connect() as connection:
        rows = connection.execute(sa.text("SELECT siren FROM portal_v1.companies ORDER BY 1"))
        return [siren for (siren,) in rows]


def _euros(amount: Any) -> str:
    return format_currency(amount, "EUR", locale="fr_FR")


def main(argv: Sequence[str]) -> int:
    if not argv or len(argv) > 2:
        print("Utilisation : portal_reader.py FICHIER_PUBLIE [SIREN]")
        return 2
    reader = PortalReader(argv[0])
    try:
        if len(argv) == 1:
            print("Entreprises publiées : " + ", ".join(companies(reader)))
        else:
            show_company(reader, argv[1])
    finally:
        reader.close()
    return 0


def show_company(reader: PortalReader, siren: str) -> None:
    overview = company_overview(reader, siren)
    print(f"Nuit du {overview['night']:%d/%m/%Y} ({overview['night_id']}), SIREN {siren}")
    print(f"{overview['employment_contracts']} contrat(s) de travail déclarés")
    states = overview["affiliation_states"]
    print(f"{sum(states.values())} affiliation(s) (salarié × contrat de l'organisme) :")
    for status, count in states.items():
        print(f"  {status} : {count}")
    for contract, period, declared, paid, balance in overview["contribution_periods"]:
        print(
            f"  {contract} {period} : dû {_euros(declared)}, payé {_euros(paid)}, "
            f"solde {_euros(balance)}"
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
