"""The options the commands share (`--warehouse`, `--landing`, `--quarantine`, `--night`,
`--decisions`),
defined once with one meaning everywhere, and the settings they give (`settings_of`).

Their defaults are left to `pipelines.settings` (environment, then development defaults): an
option given wins, so every command honours `DSNPIPE_WAREHOUSE` and the others alike. Building
the parser imports nothing heavy: `dsnpipe validate` does not pay for DuckDB or Dagster.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.french_argparse import french_date

if TYPE_CHECKING:
    from pipelines.settings import Settings


_OPTIONS: dict[str, dict[str, Any]] = {
    "warehouse": {
        "type": Path,
        "metavar": "FICHIER",
        "help": "fichier DuckDB de l'entrepôt (défaut : $DSNPIPE_WAREHOUSE, sinon "
        "var/warehouse.duckdb)",
    },
    "landing": {
        "type": Path,
        "metavar": "DOSSIER",
        "help": "répertoire d'arrivée des fichiers (défaut : $DSNPIPE_LANDING, sinon var/landing)",
    },
    "quarantine": {
        "type": Path,
        "metavar": "DOSSIER",
        "help": "répertoire de quarantaine (défaut : $DSNPIPE_QUARANTINE, sinon « quarantine » "
        "à côté de l'entrepôt)",
    },
    "night": {
        "type": french_date,
        "metavar": "JJ/MM/AAAA",
        "help": "date de la nuit (défaut : $DSNPIPE_NIGHT, sinon le 15 du mois suivant le "
        "dernier mois déclaré)",
    },
    "decisions": {
        "type": Path,
        "metavar": "DOSSIER",
        "help": "répertoire des décisions des gestionnaires (défaut : « decisions » à côté de "
        "l'entrepôt)",
    },
}


def add_options(parser: argparse.ArgumentParser, *names: str) -> None:
    """Add the shared options `names` (among warehouse, landing, quarantine, night, decisions)."""
    for name in names:
        parser.add_argument(f"--{name}", default=None, **_OPTIONS[name])


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings of this command: its options over the environment."""
    from pipelines.settings import Settings

    return Settings.from_environment(
        **{name: getattr(args, name) for name in _OPTIONS if getattr(args, name, None)}
    )
