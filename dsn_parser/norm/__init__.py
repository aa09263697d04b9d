"""The DSN norm dictionaries (blocks, rubrics, code lists, usages) for each known version.

The tables are package data generated from the official dictionary by
`python -m dsn_parser.norm.generate` (see README.md in this folder); this module only loads
them. Loading is cached: the parser may call `resolve_norm` once per file at no cost.

Regexps are XSD-style patterns: they are implicitly anchored, so apply them with
`re.fullmatch` (or `Norm.pattern`), never `re.match`/`re.search`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

KNOWN_VERSIONS: tuple[str, ...] = ("P24V01", "P25V01", "P26V01")

# Declaration natures (S20.G00.05.001) for which the usage table gives O/C/F/I/N per rubric;
# one column `usage_<nature>` each. Nature 10 (P26) has no usage table in our sources.
USAGE_NATURES: tuple[str, ...] = ("01", "04", "05", "07", "08", "09")

BLOCKS_SCHEMA: dict[str, pl.DataType] = {
    "block": pl.String(),
    "label": pl.String(),
    "parent": pl.String(),  # None for a root (S10.G00.00, S05.G51.00)
    "min_occurs": pl.Int32(),
    "max_occurs": pl.Int32(),  # None when unbounded
    "origin": pl.String(),  # "dictionary" | "service"
}

RUBRICS_SCHEMA: dict[str, pl.DataType] = {
    "rubric": pl.String(),
    "block": pl.String(),
    "label": pl.String(),
    "datatype": pl.String(),  # the dictionary's type name, e.g. "Identifiant_Nir_13"
    # alphanumeric | enumeration | external_referential | date | numeric | decimal
    "nature": pl.String(),
    "regexp": pl.String(),  # Python `re` syntax, to use with re.fullmatch
    "min_length": pl.Int32(),
    "max_length": pl.Int32(),
    "codes": pl.String(),  # allowed codes, "|"-separated; None when not a closed list
    **{f"usage_{nature}": pl.String() for nature in USAGE_NATURES},  # O C F I N
    "origin": pl.String(),
}

CODES_SCHEMA: dict[str, pl.DataType] = {
    "rubric": pl.String(),
    "code": pl.String(),
    "label": pl.String(),
}

DATA_DIR = Path(__file__).parent / "data"

_VERSION_PATTERN = re.compile(r"P(\d{2})V(\d{2})")


# eq=False: a Norm is a cached singleton per version, so identity is its equality, and it stays
# hashable (usable as a cache key) although it holds data frames and dicts.
@dataclass(frozen=True, eq=False)
class Norm:
    """One version of the norm: its tables and the lookups the parser needs per line."""

    version: str
    blocks: pl.DataFrame
    rubrics: pl.DataFrame
    codes: pl.DataFrame
    parent_of: dict[str, str | None] = field(repr=False)
    block_label: dict[str, str] = field(repr=False)
    rubric_label: dict[str, str] = field(repr=False)

    def ancestors(self, block: str) -> tuple[str, ...]:
        """The chain of parent blocks of `block`, nearest first; empty for a root or unknown."""
        chain: list[str] = []
        parent = self.parent_of.get(block)
        while parent is not None:
            chain.append(parent)
            parent = self.parent_of.get(parent)
        return tuple(chain)

    def pattern(self, rubric: str) -> re.Pattern[str] | None:
        """The compiled regexp of a rubric (use `.fullmatch`), or None when it has none."""
        return _compiled_patterns(self.version).get(rubric)

    def is_service_rubric(self, rubric: str) -> bool:
        """Rubrics added on the way by deposit platforms and concentrators, not by the payroll.

        Beyond the ones listed in service_rubrics.csv, platforms number their additions in the
        900-999 range of a block (S21.G00.06.903, S21.G00.11.904 ...) or use G51 blocks; no
        dictionary rubric uses either, so any such rubric is treated as a service rubric.
        """
        if rubric[11:12] == "9" or rubric[4:7] == "G51":
            return True
        return rubric[:10] in _service_blocks(self.version)


def load_norm(version: str) -> Norm:
    """The norm of an exact known version ("P25V01"); KeyError for any other."""
    if version not in KNOWN_VERSIONS:
        raise KeyError(version)
    return _load(version)


def resolve_norm(declared: str | None) -> tuple[Norm, str | None]:
    """The norm to validate a file declaring `declared` (S10.G00.00.006) against.

    Returns the norm and, when it is not the declared version, a French warning saying which
    version is used instead: the nearest known one for a well-formed version (P19V01..P23V01
    give P24V01, P27V01 and later give P26V01), the latest for a missing or unreadable one.
    """
    declared = declared.strip() if declared else None
    if declared in KNOWN_VERSIONS:
        return _load(declared), None
    latest = KNOWN_VERSIONS[-1]
    match = _VERSION_PATTERN.fullmatch(declared) if declared else None
    if match is None:
        shown = f"« {declared[:20]} » illisible" if declared else "absente"
        message = (
            f"Version de norme {shown} : contrôles selon {latest}, la version connue la plus "
            "récente."
        )
        return _load(latest), message
    year = int(match.group(1))
    nearest = min(KNOWN_VERSIONS, key=lambda known: abs(int(known[1:3]) - year))
    message = (
        f"Norme {declared} inconnue : contrôles selon {nearest}, la version connue la plus proche."
    )
    return _load(nearest), message


@cache
def _load(version: str) -> Norm:
    folder = DATA_DIR / version
    blocks = pl.read_csv(folder / "blocks.csv", schema=BLOCKS_SCHEMA)
    rubrics = pl.read_csv(folder / "rubrics.csv", schema=RUBRICS_SCHEMA)
    codes = pl.read_csv(folder / "codes.csv", schema=CODES_SCHEMA)
    return Norm(
        version=version,
        blocks=blocks,
        rubrics=rubrics,
        codes=codes,
        parent_of=dict(zip(blocks["block"], blocks["parent"], strict=True)),
        block_label=dict(zip(blocks["block"], blocks["label"], strict=True)),
        rubric_label=dict(zip(rubrics["rubric"], rubrics["label"], strict=True)),
    )


@cache
def _compiled_patterns(version: str) -> dict[str, re.Pattern[str]]:
    rubrics = _load(version).rubrics.filter(pl.col("regexp").is_not_null())
    return {
        rubric: re.compile(regexp)
        for rubric, regexp in zip(rubrics["rubric"], rubrics["regexp"], strict=True)
    }


@cache
def _service_blocks(version: str) -> frozenset[str]:
    blocks = _load(version).blocks
    return frozenset(blocks.filter(pl.col("origin") == "service")["block"])


@dataclass(frozen=True)
class OfficialControl:
    """One control of the official catalogue (data/controls.csv, generated by `make norm`)."""

    control_id: str  # "S21.G00.70.013/CCH-11"
    rubric: str
    kind: str  # CCH, SIG, CRE, CSL, CME, CID, CST
    blocking: bool  # SIG is non-blocking, every other kind blocking
    versions: tuple[str, ...]  # the norm versions whose catalogue lists it
    insurer_reads: bool  # on a block an insurer reads
    not_applicable: str | None  # why an insurer's reception does not apply it, in French
    on_trial: str | None  # why this blocking control only warns for now, in French
    description: str
    message: str


@cache
def official_controls() -> dict[str, OfficialControl]:
    """The official control catalogue, by control id."""
    with (DATA_DIR / "controls.csv").open(encoding="utf-8", newline="") as stream:
        return {
            row["control_id"]: OfficialControl(
                control_id=row["control_id"],
                rubric=row["rubric"],
                kind=row["kind"],
                blocking=row["blocking"] == "oui",
                versions=tuple(row["versions"].split()),
                insurer_reads=row["insurer_reads"] == "oui",
                not_applicable=row["reason"] or None,
                on_trial=row["on_trial"] or None,
                description=row["description"],
                message=row["message"],
            )
            for row in csv.DictReader(stream)
        }
