"""One night's publication without Dagster: build the candidate, run the gates, swap it in or
keep yesterday's, record the outcome, write the comptes rendus and the analyst exports.

The Dagster assets of `pipelines.publish` call the same steps one by one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from serving import history
from serving.analyst import write_analyst_exports
from serving.comptes_rendus import write_comptes_rendus
from serving.gates import GateResult, run_gates, withhold_companies
from serving.pseudonym import DEMO_KEY_FILE_NAME, MissingPseudonymKeyError, pseudonym_key
from serving.snapshot import Candidate, build_candidate, read_candidate, swap_in
from serving.spec import SCHEMA, TableSpec
from serving.tables import PORTAL_TABLES
from warehouse.connections import connect, connect_serving


@dataclass(frozen=True)
class PublishPaths:
    """Where a night publishes; by default everything beside the warehouse."""

    warehouse: Path
    serving: Path
    exports: Path
    comptes_rendus: Path
    data_docs: Path
    demo_key_file: Path | None  # only for the demonstration (see `pseudonym`)

    @classmethod
    def beside(
        cls,
        warehouse: Path,
        serving: Path | None = None,
        exports: Path | None = None,
        *,
        demo_key: bool = False,
    ) -> PublishPaths:
        home = warehouse.parent
        return cls(
            warehouse=warehouse,
            serving=serving or home / "serving.duckdb",
            exports=exports or home / "exports",
            comptes_rendus=home / "comptes_rendus",
            data_docs=home / "data_docs",
            demo_key_file=home / DEMO_KEY_FILE_NAME if demo_key else None,
        )


@dataclass(frozen=True)
class PublishOutcome:
    candidate: Candidate
    gates: list[GateResult]
    refusal: str | None  # French; None when the portal got tonight's snapshot
    comptes_rendus_written: int
    exports: dict[str, int] | None  # rows per analyst table; None when not written
    exports_refusal: str | None  # French, e.g. the pseudonym key is missing

    @property
    def published(self) -> bool:
        return self.refusal is None


def new_night_id(night: date) -> str:
    return f"{night:%Y-%m-%d}-{uuid.uuid4().hex[:8]}"


def publish_night(
    warehouse_path: Path,
    serving_path: Path | None = None,
    exports_dir: Path | None = None,
    *,
    night: date | None = None,
    demo_key: bool = False,
    specs: tuple[TableSpec, ...] = PORTAL_TABLES,
) -> PublishOutcome:
    """Publish tonight's `portal_v1` to `serving_path` (default `serving.duckdb` beside the
    warehouse) unless a blocking gate fails, in which case the portal keeps the previous
    snapshot and the reason is recorded in `publish.publications`. Analyst exports go to
    `exports_dir` (default `exports/` beside the warehouse) only when the snapshot was published
    and a pseudonym key is available (`demo_key`: a key file beside the warehouse, for the
    demonstration only)."""
    paths = PublishPaths.beside(warehouse_path, serving_path, exports_dir, demo_key=demo_key)
    night = night or date.today()
    candidate = build_candidate(paths.warehouse, paths.serving, night, new_night_id(night), specs)
    withheld = withhold_companies(candidate.path, paths.serving, night, specs)
    candidate = read_candidate(paths.serving)  # the row counts changed
    with connect(paths.warehouse, read_only=True) as connection:
        previous = history.previous_counts(connection)
    gates = run_gates(candidate.path, specs, previous, paths.data_docs)
    refusal = history.refusal_reason(gates)
    if refusal is None:
        swap_in(candidate.path, paths.serving)
    with connect(paths.warehouse, read_only=False) as connection:
        history.record_gates(connection, candidate, gates)
        history.record_company_refusals(connection, candidate, withheld)
        history.record_publication(connection, candidate, str(paths.serving), refusal)
        written = write_comptes_rendus(connection, paths.comptes_rendus)
    exports, exports_refusal = None, None
    if refusal is None:
        exports, exports_refusal = analyst_exports(paths)
    else:
        exports_refusal = "Exports non écrits : la publication de la nuit a été refusée."
    return PublishOutcome(candidate, gates, refusal, written, exports, exports_refusal)


def analyst_exports(paths: PublishPaths) -> tuple[dict[str, int] | None, str | None]:
    try:
        key = pseudonym_key(paths.demo_key_file)
    except MissingPseudonymKeyError as refusal:
        return None, str(refusal)
    return write_analyst_exports(paths.warehouse, paths.exports, key), None


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
