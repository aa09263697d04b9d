"""What a night's publication needs besides the steps of `snapshot`, `gates` and `history`:
the night's id, the analyst exports when a pseudonym key is at hand, and the one-line summary of
what the portal shows. The Dagster assets of `pipelines.publish` run the steps one by one.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from serving.analyst import ExportWritten, write_analyst_exports
from serving.pseudonym import MissingPseudonymKeyError, pseudonym_key
from serving.snapshot import Candidate, read_served


def new_night_id(night: date) -> str:
    return f"{night:%Y-%m-%d}-{uuid.uuid4().hex[:8]}"


def analyst_exports(
    warehouse: Path,
    exports: Path,
    secret: str | None,
    demo_key_file: Path | None,
    key_variable: str,
) -> tuple[dict[str, ExportWritten] | None, str | None]:
    """What was written per analyst table, or None and the refusal in French: no secret in
    `key_variable` and no demonstration key file."""
    try:
        key = pseudonym_key(secret, demo_key_file, key_variable)
    except MissingPseudonymKeyError as refusal:
        return None, str(refusal)
    return write_analyst_exports(warehouse, exports, key), None


# table -> (what a count of its rows is, what the domain is when it is not fed yet)
_SUMMARY_LABELS = {
    "companies": ("entreprise(s)", "entreprises"),
    "establishments": ("établissement(s)", "établissements"),
    "employees": ("contrat(s) de salariés", "salariés"),
    "affiliation_states": ("état(s) d'affiliation", "affiliations"),
    "affiliation_anomalies": ("anomalie(s) d'affiliation", "anomalies d'affiliation"),
    "stoppage_episodes": ("arrêt(s) de travail", "arrêts de travail"),
    "contribution_periods": ("période(s) de cotisations", "cotisations"),
    "payments": ("paiement(s)", "paiements"),
    "dunning": ("appel(s) en recouvrement", "recouvrement"),
}


def portal_summary(serving_path: Path) -> str:
    """One line, in French, of what the portal shows now."""
    served = read_served(serving_path)
    if served is None:
        return f"Portail : aucune publication dans {serving_path}."
    return publication_summary(served)


def publication_summary(publication: Candidate) -> str:
    """One line, in French, of what `publication` shows (the file just swapped in: its record,
    read before the swap, without opening the file again)."""
    shown = [
        f"{publication.rows[name]} {label}"
        for name, (label, _) in _SUMMARY_LABELS.items()
        if name in publication.rows and name not in publication.unavailable
    ]
    waiting = [
        domain for name, (_, domain) in _SUMMARY_LABELS.items() if name in publication.unavailable
    ]
    line = (
        f"Portail : nuit du {publication.night:%d/%m/%Y} ({publication.night_id}) – "
        + ", ".join(shown)
    )
    if waiting:
        line += " ; pas encore alimentés : " + ", ".join(waiting)
    return line + "."
