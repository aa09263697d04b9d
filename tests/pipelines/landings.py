"""A small landing directory of real-format DSN files, for the tests that kill and rerun nights
(test modules import it from here, never from one another)."""

from __future__ import annotations

from pathlib import Path

from tests.warehouse.helpers import (
    AUGUST_2019,
    MARCH_2019_REPLACEMENT,
    OCTOBER_2019,
    SEPTEMBER_2019,
    deliver,
)

FILES = {
    "mars.dsn": MARCH_2019_REPLACEMENT,
    "aout.dsn": AUGUST_2019,
    "septembre.dsn": SEPTEMBER_2019,
    "octobre.dsn": OCTOBER_2019,
}


def landing_with_files(root: Path) -> Path:
    landing = root / "landing"
    for name, source in FILES.items():
        deliver(landing, name, source)
    return landing
