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
from serving.spec import SCHEMA
from warehouse.connections import connect_serving


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
    if not serving_path.exists():
        return f"Portail : aucune publication dans {serving_path}."
    with connect_serving(serving_path) as connection:
        night_row = connection.execute(
            f"SELECT night, night_id FROM {SCHEMA}.publication"
        ).fetchone()
        tables = connection.execute(
            f"SELECT table_name, row_count, available FROM {SCHEMA}.publication_tables"
        ).fetchall()
    counts = {name: (rows, available) for name, rows, available in tables}
    shown = [
        f"{counts[name][0]} {label}"
        for name, (label, _) in _SUMMARY_LABELS.items()
        if counts.get(name, (0, False))[1]
    ]
    waiting = [
        domain
        for name, (_, domain) in _SUMMARY_LABELS.items()
        if name in counts and not counts[name][1]
    ]
    night, night_id = night_row if night_row else (None, None)
    line = f"Portail : nuit du {night:%d/%m/%Y} ({night_id}) – " + ", ".join(shown)
    if waiting:
        line += " ; pas encore alimentés : " + ", ".join(waiting)
    return line + "."
