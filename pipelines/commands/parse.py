"""`dsnpipe parse PATH --out DIR`: one Parquet table per DSN block, plus the diagnostics and
the declarations, for analysts and for loading by hand.

Tables are named by block id (`S21.G00.30.parquet`); a zip holding several DSN files gives one
table per block for all of them (each row carries its file_id). The file is read and validated
in batches of envois, so memory does not grow with its size. Exit 0 when the tables are written,
1 when the file is missing or holds no readable declaration.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="CHEMIN", help="fichier DSN (.dsn, .gz, .zip)")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DOSSIER", help="dossier des tables Parquet"
    )


def run(args: argparse.Namespace) -> int:
    from dsn_parser import parse_to_parquet

    if not Path(args.path).is_file():
        print(f"Fichier introuvable ou illisible : {args.path}")
        return 1
    try:
        summary = parse_to_parquet(args.path, args.out)
    except Exception as error:  # a bad file is reported, never a traceback
        print(f"Lecture impossible de {args.path} ({type(error).__name__}).")
        return 1
    for file in summary.files:
        print(
            f"{file.source} : {file.lines} lignes, {file.declarations} déclaration(s) dont "
            f"{file.rejected_declarations} rejetée(s), {file.errors} erreur(s), "
            f"{file.warnings} avertissement(s)."
        )
    print(f"{len(summary.tables)} tables écrites dans {summary.out_dir}.")
    return 0 if any(file.declarations for file in summary.files) else 1
