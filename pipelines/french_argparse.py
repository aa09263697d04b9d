"""argparse in French: `dsnpipe` is read by the insurer's operators and stewards, and argparse's
own words ("usage", "options", "the following arguments are required", "invalid choice") are
English.

argparse passes each of its messages through `gettext` (`argparse._`, `argparse.ngettext`) but
ships no catalogue, and a gettext catalogue would need compiled .mo files and a global text
domain. The messages are a short, stable list: they are translated here, by replacing the two
functions argparse calls. A message missing from the list stays in English rather than fail.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

_MESSAGES = {
    "usage: ": "utilisation : ",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "commande inconnue %(parser_name)r (au choix : %(choices)s)"
    ),
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": (
        "option ambiguë : %(option)s peut désigner %(matches)s"
    ),
    "unexpected option string: %s": "option inattendue : %s",
    "invalid %(type)s value: %(value)r": "valeur invalide : %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "choix invalide : %(value)r (au choix : %(choices)s)"
    ),
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
}
_PLURALS = {
    "expected %s argument": ("%s valeur attendue", "%s valeurs attendues"),
    "conflicting option string: %s": ("option en conflit : %s", "options en conflit : %s"),
}


def _french(message: str) -> str:
    return _MESSAGES.get(message, message)


def _french_plural(singular: str, plural: str, count: int) -> str:
    one, many = _PLURALS.get(singular, (singular, plural))
    return one if count == 1 else many


def speak_french() -> None:
    """Make argparse speak French in this process (idempotent)."""
    argparse._ = _french  # type: ignore[attr-defined]
    argparse.ngettext = _french_plural  # type: ignore[attr-defined]


def french_date(text: str) -> date:
    """An argument date as a French user writes it (15/01/2026) or in ISO form (2026-01-15)."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"date invalide « {text} » (attendu JJ/MM/AAAA)")


def siren_number(text: str) -> str:
    """A SIREN argument: nine digits with a valid Luhn key (spaces allowed)."""
    from stdnum.fr import siren

    if not siren.is_valid(text):
        raise argparse.ArgumentTypeError(f"SIREN invalide « {text} » (9 chiffres, clé de Luhn)")
    return str(siren.compact(text))
