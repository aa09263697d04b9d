"""`dsnpipe generate --out DIR`: write a synthetic insurer portfolio (DSN, bank, reference and
portal files, and the ground truth) into a landing directory. Same seed, same bytes."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def _month(text: str) -> date:
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"mois attendu au format AAAA-MM : {text!r}") from error


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("le taux d'anomalies doit être entre 0 et 1")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DOSSIER",
        help="dossier d'atterrissage à créer (dsn/, bank/, reference/, portal/, truth/)",
    )
    parser.add_argument(
        "--companies", type=int, default=8, metavar="N", help="nombre d'entreprises (8 par défaut)"
    )
    parser.add_argument(
        "--employees",
        type=int,
        default=150,
        metavar="N",
        help="nombre de salariés au début de la période (150 par défaut)",
    )
    parser.add_argument(
        "--months",
        type=int,
        default=12,
        metavar="N",
        help="nombre de mois déclarés (12 par défaut)",
    )
    parser.add_argument(
        "--start",
        type=_month,
        default=date(2025, 1, 1),
        metavar="AAAA-MM",
        help="premier mois déclaré (2025-01 par défaut)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="graine : même graine, mêmes fichiers (1 par défaut)",
    )
    parser.add_argument(
        "--faults",
        type=_rate,
        default=0.03,
        metavar="TAUX",
        help="taux d'anomalies injectées, entre 0 et 1 (0.03 par défaut)",
    )
    parser.add_argument(
        "--trimestriel",
        type=int,
        default=0,
        metavar="N",
        help="les N premières entreprises paient au trimestre (S21.G00.55.004 AAAAT0n) ; 0 par "
        "défaut",
    )
    parser.add_argument(
        "--sans-parametres",
        type=int,
        default=0,
        metavar="N",
        help="les contrats des N premières entreprises n'ont pas de fiche de paramétrage "
        "(résultats provisoires) ; 0 par défaut",
    )


def run(args: argparse.Namespace) -> int:
    from synthetic import generate

    try:
        summary = generate(
            args.out,
            companies=args.companies,
            employees=args.employees,
            months=args.months,
            start=args.start,
            seed=args.seed,
            fault_rate=args.faults,
            quarterly=args.trimestriel,
            without_parameters=args.sans_parametres,
        )
    except (FileExistsError, ValueError) as error:
        print(f"Génération impossible : {error}", file=sys.stderr)
        return 1
    print(
        f"Portefeuille généré dans {summary.out_dir} : {summary.companies} entreprises, "
        f"{summary.employees} salariés, {summary.files} fichiers "
        f"({summary.bytes / 1_000_000:.1f} Mo). Vérité attendue dans {summary.out_dir}/truth."
    )
    return 0
