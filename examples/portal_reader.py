"""How the portal reads the published data: SQLAlchemy with duckdb-engine, read-only, one
company at a time.

The serving file is replaced every night by an atomic rename, and a process that keeps a
connection open keeps reading the file it opened: open a connection per request (or per short
series of queries), never one for the life of the portal. Every query filters on the company's
SIREN (per-company access control); `night_id` says which night the rows come from.

    .venv/bin/python examples/portal_reader.py var/demo/serving.duckdb SIREN
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def serving_engine(serving_path: str) -> sa.Engine:
    # A pool would keep the old file open after the nightly swap: one connection per request.
    return sa.create_engine(
        f"duckdb:///{serving_path}",
        connect_args={"read_only": True},
        poolclass=sa.pool.NullPool,
    )


def company_overview(engine: sa.Engine, siren: str) -> dict[str, Any]:
    """What the portal's home page of one company shows, all from one night."""
    with engine.connect() as connection:
        night = connection.execute(sa.text("SELECT night, night_id FROM portal_v1.publication"))
        night_row = night.one()
        employees = connection.execute(
            sa.text(
                "SELECT last_name, first_names, contract_start FROM portal_v1.employees "
                "WHERE siren = :siren ORDER BY last_name, first_names"
            ),
            {"siren": siren},
        ).all()
        states = connection.execute(
            sa.text(
                "SELECT status, count(*) AS n FROM portal_v1.affiliation_states "
                "WHERE siren = :siren GROUP BY status ORDER BY status"
            ),
            {"siren": siren},
        ).all()
        periods = connection.execute(
            sa.text(
                "SELECT period_code, declared, paid, balance FROM portal_v1.contribution_periods "
                "WHERE siren = :siren AND visible_from <= :night ORDER BY period_code"
            ),
            {"siren": siren, "night": night_row.night},
        ).all()
    return {
        "night": night_row.night,
        "night_id": night_row.night_id,
        "employees": [tuple(row) for row in employees],
        "affiliation_states": {row.status: row.n for row in states},
        "contribution_periods": [tuple(row) for row in periods],
    }


def main(argv: Sequence[str]) -> int:
    serving_path, siren = argv
    overview = company_overview(serving_engine(serving_path), siren)
    print(f"Nuit du {overview['night']:%d/%m/%Y} ({overview['night_id']}), SIREN {siren}")
    print(f"{len(overview['employees'])} contrat(s) de salariés")
    for status, count in overview["affiliation_states"].items():
        print(f"  {status} : {count}")
    for period, declared, paid, balance in overview["contribution_periods"]:
        print(f"  {period} : dû {declared} €, payé {paid} €, solde {balance} €")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
