"""Reading what the generator wrote, independently of the generator and of the reader."""

from __future__ import annotations

import csv
from pathlib import Path


def read_truth(root: Path, table: str) -> list[dict[str, str]]:
    with (root / "truth" / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def dsn_values(path: Path, encoding: str) -> list[tuple[str, str]]:
    """(rubric, value) of each line, read the way the norm says: value between the first ,'
    and the last quote. Written here independently of the generator and of the reader."""
    text = path.read_bytes().decode(encoding)
    pairs = []
    for line in text.splitlines():
        head, _, rest = line.partition(",'")
        pairs.append((head, rest[: rest.rindex("'")]))
    return pairs
