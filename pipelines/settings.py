"""The pipeline's settings, read in one place: every `DSNPIPE_*` variable is read here and
nowhere else; lower layers receive the values as parameters.

Precedence: a value given explicitly (a command-line option) wins over the environment, which
wins over the development defaults (relative to the working directory, the repo in
development). Everything a night writes besides its quarantine lives beside the warehouse file:
the properties below are the one place that decides it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from warehouse.batches import BATCH_FILES, staging_area_beside
from warehouse.dask_map import LOCAL_CLUSTER, PARSE_WORKERS

DEFAULT_LANDING = Path("var/landing")
DEFAULT_WAREHOUSE = Path("var/warehouse.duckdb")
# Every asset writing the warehouse shares this Dagster pool; dagster.yaml gives it one slot
# (DuckDB allows one writing process per file). Fixed at definition time, not by environment.
WAREHOUSE_POOL = "warehouse_writer"
PSEUDONYM_KEY_VARIABLE = "DSNPIPE_PSEUDONYM_KEY"
_DEMO_KEY_FILE_NAME = "pseudonym.key"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    quarantine: Path
    night: date | None = None  # None: the due date of the latest declared month
    parse_workers: int = PARSE_WORKERS  # the embedded LocalCluster's reader processes
    load_batch_files: int = BATCH_FILES  # DSN files per batch: read in one pass, loaded at once
    # Where the map over batches runs (docs/dask.md): None, this process; "local", an embedded
    # LocalCluster of `parse_workers` processes; a scheduler's address (tcp://…), that cluster.
    dask_scheduler: str | None = None
    # Where the map writes its Parquet; None: beside the warehouse. With a Dask cluster, a path
    # every worker sees (a shared file system).
    staging_area_dir: Path | None = None
    # The pseudonym secret's variable, read only when the exports are written (`pseudonym_secret`)
    # so that the secret never sits in Dagster's resource configuration, which its UI shows.
    pseudonym_key_variable: str = PSEUDONYM_KEY_VARIABLE
    demo: bool = False  # a demonstration: a pseudonym key file beside the warehouse
    decisions_dir: Path | None = None  # None: beside the warehouse (`decisions`)
    # A production night that must have its reference files and pseudonym key: their absence
    # refuses the publication instead of a warning (`DSNPIPE_REQUIRE_REFERENCE=1`).
    require_reference: bool = False
    # Portal tables whose volume may move past the gates' bounds for this night only: a drop
    # the operator knows and wants (a parameter file withdrawn on purpose), `--accepter-baisse`.
    accepted_drops: tuple[str, ...] = ()
    # Whether the gates' Data Docs site is built (a Great Expectations child process each night,
    # about 2-3 s of CPU whatever the night's size); the gates judge without it
    # (`DSNPIPE_DATA_DOCS=0`: a development machine, the test suite's many nights).
    data_docs_site: bool = True

    @classmethod
    def from_environment(
        cls,
        *,
        landing: Path | None = None,
        warehouse: Path | None = None,
        quarantine: Path | None = None,
        night: date | None = None,
        decisions: Path | None = None,
        demo: bool = False,
        environ: Mapping[str, str] = os.environ,
    ) -> Settings:
        """The settings of this process; explicit values (command-line options) win."""
        warehouse = warehouse or Path(environ.get("DSNPIPE_WAREHOUSE") or DEFAULT_WAREHOUSE)
        return cls(
            landing=landing or Path(environ.get("DSNPIPE_LANDING") or DEFAULT_LANDING),
            warehouse=warehouse,
            # A warehouse moved elsewhere takes its quarantine along.
            quarantine=quarantine
            or Path(environ.get("DSNPIPE_QUARANTINE") or warehouse.parent / "quarantine"),
            night=night or _night(environ),
            parse_workers=_positive(environ, "DSNPIPE_PARSE_WORKERS", PARSE_WORKERS),
            load_batch_files=_positive(environ, "DSNPIPE_LOAD_BATCH_FILES", BATCH_FILES),
            dask_scheduler=_dask_scheduler(environ),
            staging_area_dir=_path(environ, "DSNPIPE_STAGING_AREA"),
            demo=demo,
            decisions_dir=decisions,
            require_reference=environ.get("DSNPIPE_REQUIRE_REFERENCE", "").strip() == "1",
            data_docs_site=environ.get("DSNPIPE_DATA_DOCS", "").strip() != "0",
        )

    @property
    def decisions(self) -> Path:
        """The stewards' decisions, appended by `dsnpipe anomalies`, applied by the night."""
        return self.decisions_dir or self.warehouse.parent / "decisions"

    @property
    def staging_area(self) -> Path:
        """The map's Parquet before the load: owner-only, emptied by every load that ends."""
        return (self.staging_area_dir or staging_area_beside(self.warehouse)).absolute()

    @property
    def reports(self) -> Path:
        """The steward reports (they hold NIRs and names: stewards only)."""
        return self.warehouse.parent / "reports"

    # What the publish step writes is addressed absolutely: Great Expectations refuses a
    # relative Data Docs directory, and the publication history records the served file.
    @property
    def serving(self) -> Path:
        return self.warehouse.absolute().parent / "serving.duckdb"

    @property
    def exports(self) -> Path:
        return self.warehouse.absolute().parent / "exports"

    @property
    def analyst_warehouse(self) -> Path:
        """The analysts' own copy of the warehouse (`serving.analyst`)."""
        return self.warehouse.absolute().parent / "analystes.duckdb"

    @property
    def comptes_rendus(self) -> Path:
        return self.warehouse.absolute().parent / "comptes_rendus"

    @property
    def data_docs(self) -> Path:
        return self.warehouse.absolute().parent / "data_docs"

    @property
    def demo_key_file(self) -> Path | None:
        """Only for the demonstration (see `serving.pseudonym`)."""
        return self.warehouse.absolute().parent / _DEMO_KEY_FILE_NAME if self.demo else None


def automation_running(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the landing sensor and the nightly schedule start running when the code location
    loads: `DSNPIPE_AUTOMATION=marche` (set by `make dev`); stopped otherwise (tests, and
    production until an operator starts them)."""
    return environ.get("DSNPIPE_AUTOMATION", "").strip().lower() in {"marche", "on", "1"}


def pseudonym_secret(variable: str, environ: Mapping[str, str] = os.environ) -> str | None:
    """The analysts' pseudonym secret, read when the exports are written; never logged."""
    return environ.get(variable) or None


def _night(environ: Mapping[str, str]) -> date | None:
    text = environ.get("DSNPIPE_NIGHT")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"DSNPIPE_NIGHT : une date AAAA-MM-JJ est attendue, pas « {text} »."
        ) from None


def _path(environ: Mapping[str, str], variable: str) -> Path | None:
    text = environ.get(variable, "").strip()
    return Path(text) if text else None


_SCHEDULER_SCHEMES = ("tcp://", "tls://")


def _dask_scheduler(environ: Mapping[str, str]) -> str | None:
    text = environ.get("DSNPIPE_DASK_SCHEDULER", "").strip()
    if not text:
        return None
    if text != LOCAL_CLUSTER and not text.startswith(_SCHEDULER_SCHEMES):
        raise ValueError(
            f"DSNPIPE_DASK_SCHEDULER : « {LOCAL_CLUSTER} » ou l'adresse d'un ordonnanceur Dask "
            f"(tcp://hôte:port, tls://hôte:port) est attendue, pas « {text} »."
        )
    return text


def _positive(environ: Mapping[str, str], variable: str, default: int) -> int:
    text = environ.get(variable)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{variable} : un entier positif est attendu, pas « {text} ».")
    return value


UMASK_VARIABLE = "DSNPIPE_UMASK"
DEFAULT_UMASK = 0o077


def restrict_file_modes(environ: Mapping[str, str] = os.environ) -> int:
    """Set the process umask from the environment (default 077); return the one set.

    Files the pipeline writes hold personal data (NIR, names, IBAN): setting the umask at the
    entry points makes every one of them owner-only (0600 files, 0700 directories) whichever
    library creates it, DuckDB and the Excel and Parquet writers included, and a rename keeps
    that mode. `DSNPIPE_UMASK` (octal, e.g. 027 to let a group read) changes it."""
    configured = environ.get(UMASK_VARIABLE, "").strip()
    try:
        umask = int(configured, 8) if configured else DEFAULT_UMASK
    except ValueError:
        umask = -1
    if not 0 <= umask <= 0o777:
        raise ValueError(
            f"{UMASK_VARIABLE} invalide ({configured!r}) : attendu un masque octal "
            "comme 077 ou 027."
        )
    os.umask(umask)
    return umask
