"""Where the pipeline reads and writes by default, relative to the working directory (the repo
in development). Production sets DSNPIPE_LANDING and DSNPIPE_WAREHOUSE, optionally
DSNPIPE_QUARANTINE (default: beside the warehouse) and DSNPIPE_NIGHT (to force a night's date)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_LANDING = "var/landing"
DEFAULT_WAREHOUSE = "var/warehouse.duckdb"
DEFAULT_DEMO_DIR = "var/demo"
REPORTS_DIR_NAME = "reports"  # beside the warehouse


def quarantine_beside(warehouse: Path) -> Path:
    """The commands' quarantine when none is given: next to the warehouse they write."""
    return warehouse.parent / "quarantine"
