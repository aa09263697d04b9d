"""`dsnpipe export KIND ...`: exports for one company, read from the warehouse (read-only).

Each kind is a sub-command registered in `EXPORTS` (name -> help, configure, run), so another
export (for example `export employees`) is one more entry:

    dsnpipe export statement --siren SIREN --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.xlsx
        the account statement (situation de compte) of the ledgers, as an Excel file.
    dsnpipe export employees --siren SIREN --out FILE.xlsx [--serving FILE]
        the employees list of a company as the portal shows it (read from the serving file).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from pipelines.commands.options import add_options, settings_of
from pipelines.french_argparse import french_date, siren_number


class Export(NamedTuple):
    help: str  # French, for the operators
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def configure(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="export", required=True, metavar="EXPORT")
    for name, export in EXPORTS.items():
        sub = kinds.add_parser(name, help=export.help, description=export.help)
        add_options(sub, "warehouse")  # opened read-only
        export.configure(sub)


def run(args: argparse.Namespace) -> int:
    return EXPORTS[args.export].run(args)


# ---------------------------------------------------------------------------------------------
# export statement


def configure_statement(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--siren", required=True, type=siren_number, metavar="SIREN")
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        type=french_date,
        metavar="JJ/MM/AAAA",
        help="premier jour",
    )
    parser.add_argument(
        "--to",
        dest="end",
        required=True,
        type=french_date,
        metavar="JJ/MM/AAAA",
        help="dernier jour",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FICHIER.xlsx", help="fichier Excel à écrire"
    )


def run_statement(args: argparse.Namespace) -> int:
    import duckdb

    from ledgers.statement import write_statement_excel
    from ledgers.store import company_has_entries, company_statement
    from serving.formats import day, money
    from warehouse.connections import connect

    warehouse = settings_of(args).warehouse
    if not warehouse.is_file():
        print(f"Entrepôt introuvable : {warehouse}")
        return 1
    if args.start > args.end:
        print(f"Période vide : le {day(args.start)} est après le {day(args.end)}.")
        return 2
    try:
        with connect(warehouse, read_only=True) as connection:
            if not company_has_entries(connection, args.siren):
                print(f"Aucune cotisation ni aucun paiement pour le SIREN {args.siren}.")
                return 1
            statement = company_statement(connection, args.siren, args.start, args.end)
    except duckdb.IOException as error:
        print(
            "Entrepôt indisponible (probablement en cours d'écriture par la chaîne nocturne) : "
            f"réessayer plus tard. ({error})"
        )
        return 1
    except duckdb.CatalogException:
        print("Les comptes de cotisations n'ont pas encore été calculés dans cet entrepôt.")
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_statement_excel(statement, args.out, siren=args.siren, start=args.start, end=args.end)
    closing = statement["balance"][-1]
    print(
        f"Situation de compte du SIREN {args.siren} du {day(args.start)} au "
        f"{day(args.end)} : {statement.height - 1} écriture(s), solde {money(closing)}. "
        f"Fichier : {args.out}"
    )
    return 0


# ---------------------------------------------------------------------------------------------
# export employees


def configure_employees(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--siren", required=True, type=siren_number, metavar="SIREN")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="FICHIER.xlsx", help="fichier Excel à écrire"
    )
    parser.add_argument(
        "--serving",
        type=Path,
        metavar="FICHIER",
        help="fichier publié pour le portail (défaut : serving.duckdb à côté de l'entrepôt)",
    )


def run_employees(args: argparse.Namespace) -> int:
    from serving.employees_excel import UnknownCompanyError, write_employees_excel

    serving = args.serving or settings_of(args).serving
    if not serving.is_file():
        print(f"Aucune publication pour le portail : {serving} introuvable.")
        return 1
    try:
        rows = write_employees_excel(serving, args.siren, args.out)
    except UnknownCompanyError as error:
        print(error)
        return 1
    print(f"Salariés du SIREN {args.siren} : {rows} contrat(s) de travail. Fichier : {args.out}")
    return 0


EXPORTS: dict[str, Export] = {
    "statement": Export(
        "Situation de compte d'une entreprise (Excel) pour une période",
        configure_statement,
        run_statement,
    ),
    "employees": Export(
        "Liste des salariés d'une entreprise (Excel), telle que le portail la montre",
        configure_employees,
        run_employees,
    ),
}
