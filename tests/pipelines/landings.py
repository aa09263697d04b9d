"""A small landing directory of real-format DSN files, for the tests that kill and rerun nights,
and a company's correction of a month it sent (test modules import them from here, never from
one another)."""

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


def correction(monthly: Path, landing: Path) -> None:
    """The company sends its month `monthly` again as annule et remplace, one contribution a
    euro more."""
    text = monthly.read_text(encoding="latin-1")
    text = text.replace("S20.G00.05.002,'01'", "S20.G00.05.002,'03'")
    prefix = "S21.G00.81.004,'"
    start = text.index(prefix) + len(prefix)
    end = text.index("'", start)
    text = f"{text[:start]}{float(text[start:end]) + 1:.2f}{text[end:]}"
    (landing / "dsn" / "correction.dsn").write_text(text, encoding="latin-1")
