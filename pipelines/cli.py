"""`dsnpipe`: the command-line entry point.

Each sub-command lives in its own module under `pipelines.commands`, exposing
`configure(parser)` and `run(args) -> int`; modules are imported only when their command runs, so
`dsnpipe validate` does not pay for importing Dagster.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from pipelines.file_modes import restrict_file_modes

# command name -> (module under pipelines.commands, one-line help in French for the operators)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "Contrôler des fichiers DSN et afficher le compte rendu"),
    "parse": ("parse", "Lire un fichier DSN et écrire une table Parquet par bloc"),
    "run": ("run", "Exécuter une nuit d'ingestion (sans démon Dagster) et afficher le bilan"),
    "rebuild": ("rebuild", "Reconstruire le modèle de l'entrepôt depuis le registre des fichiers"),
    "demo": ("demo", "Générer un petit portefeuille, exécuter une nuit et montrer le résultat"),
    "generate": (
        "generate",
        "Générer un portefeuille synthétique (DSN, banque, référentiels, vérité)",
    ),
    "anomalies": (
        "anomalies",
        "Lister les anomalies d'affiliation et enregistrer les décisions des gestionnaires",
    ),
    "affiliations": ("affiliations", "Calculer les anomalies et le registre des affiliations"),
    "export": ("export", "Exporter pour une entreprise : situation de compte, salariés (Excel)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dsnpipe", description="Chaîne nocturne DSN et paiements de l'organisme complémentaire"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        command_parser.set_defaults(module=module_name)
        _command_module(module_name).configure(command_parser)
    return parser


def _command_module(module_name: str) -> ModuleType:
    return importlib.import_module(f"pipelines.commands.{module_name}")


def main(argv: Sequence[str] | None = None) -> int:
    restrict_file_modes()
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(_command_module(args.module).run(args))


if __name__ == "__main__":
    sys.exit(main())
