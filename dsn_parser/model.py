"""The shapes every consumer of the DSN reader relies on.

Identifiers inside a parsed file are line numbers (1-based): a block instance is identified by
the number of its first line, so ids are unique within a file, stable across re-reads and need no
counter. Across files, an instance is identified by (file_id, instance_id) where file_id is the
SHA-256 of the file's bytes. Technical ids declared in the DSN (15.005, 70.012, ...) are kept as
data and never used as keys outside their file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Final

import polars as pl


class Severity(StrEnum):
    """An error rejects the declaration it belongs to (or the file, when it has none)."""

    ERROR = "error"
    WARNING = "warning"


class DeclarationStatus(IntEnum):
    """The global status of the insurer's return to the company (compte rendu métier)."""

    ACCEPTED = 0
    ACCEPTED_WITH_ANOMALIES = 1
    PARTIALLY_ACCEPTED = 2
    REJECTED = 3


# How the reader and the validator run their lazy plans. In memory: the frames are in memory
# already, and Polars 2.1's streaming engine also panics on some plans here (a filter followed by
# pl.format over odd Latin-1 text: "assertion failed: i < self.len()"). Projection pushdown only:
# the optimizer's other passes cost about 6 ms a validation, half of its collect on a small file,
# and bought nothing on big batches. Measured: parse of 69 small files, 69 -> 62 ms a file; a
# 200 MB lot to Parquet, 4.58 -> 4.39 s.
ENGINE: Final = "in-memory"
OPTIMIZATIONS: Final = pl.QueryOptFlags.none(projection_pushdown=True)


# Rubric and block ids, in the lines and in the norm tables joined to them. Categorical (one
# process-wide dictionary of ids): a line's id is then an integer, and the millions of
# comparisons, filters, groupings and joins on it made by the tree, the tables and validation
# compare integers, not 14-character strings (measured: lexing ~30 % faster, joins on the id
# ~2.5x). The dictionary grows only with distinct ids (rubric and block ids, the 16-character
# heads of lines that may be rubric lines, norm versions, natures): a few thousand in practice,
# whatever the volume read. Frames handed outside dsn_parser (tables, diagnostics) carry ids as
# plain strings.
ID_TYPE: pl.DataType = pl.Categorical()


def by_id(ids: pl.Series, keys: pl.Series, values: pl.Series) -> pl.Series:
    """Per row of `ids`, the value of `values` whose key (in `keys`, same length) is its id;
    null for an id not among the keys.

    Ids and keys are ID_TYPE: their integer codes index a table built from the few keys, one
    gather per row, where a lookup by the id's text (replace_strict) hashes every row.
    """
    codes, id_codes = keys.cast(ID_TYPE).to_physical(), ids.to_physical()
    size = max(int(codes.max() or 0), int(id_codes.max() or 0)) + 1  # type: ignore[arg-type]
    # A null repeated natively: pl.repeat costs 0.15 ms, which thousands of small files feel.
    nulls = pl.Series(values.name, [None], dtype=values.dtype).new_from_index(0, size)
    table = nulls.scatter(codes, values)
    return table.gather(id_codes)


# One row per physical line of the file, in file order: what the lexer and the tree builder
# produce, and what syntax validation reads. `value` is None when the line could not be lexed
# (no `,'`...`'`): such a line is kept (with `raw`) and gets a diagnostic, never dropped.
LINES_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.UInt32(),
    "rubric": ID_TYPE,  # "S21.G00.30.001"; None when the line has no rubric id
    "block": ID_TYPE,  # first 10 characters of the rubric id: "S21.G00.30"
    "value": pl.String(),
    "raw": pl.String(),  # the decoded line, only filled when it could not be lexed
    "instance_id": pl.UInt32(),  # first line of the block instance this line belongs to
    "parent_id": pl.UInt32(),  # instance_id of the parent instance (per the norm's block tree)
    "envoi_id": pl.UInt32(),  # instance_id of the enclosing S10.G00.00
    "declaration_id": pl.UInt32(),  # instance_id of the enclosing S20.G00.05, if any
}

# Columns every block table carries before its rubric columns (one column per rubric, named by
# the full rubric id, typed: dates as pl.Date, amounts as pl.Decimal(scale=2), codes as strings).
INSTANCE_COLUMNS: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "instance_id": pl.UInt32(),  # = first line number of the instance
    "parent_id": pl.UInt32(),
    "envoi_id": pl.UInt32(),
    "declaration_id": pl.UInt32(),
}

DECLARATIONS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "envoi_id": pl.UInt32(),
    "declaration_id": pl.UInt32(),
    "norm": pl.String(),  # S10.G00.00.006 of its envoi, e.g. "P25V01"
    "nature": pl.String(),  # S20.G00.05.001
    "type": pl.String(),  # S20.G00.05.002
    "fraction": pl.String(),  # S20.G00.05.003
    "order_number": pl.String(),  # S20.G00.05.004
    "month": pl.Date(),  # S20.G00.05.005
    "replaced_id": pl.String(),  # S20.G00.05.006
    "built_on": pl.Date(),  # S20.G00.05.007
    "siren": pl.String(),
    "siret": pl.String(),
    "status": pl.UInt8(),  # DeclarationStatus
}

DIAGNOSTICS_SCHEMA: dict[str, pl.DataType] = {
    "file_id": pl.String(),
    "declaration_id": pl.UInt32(),  # None for a finding about the whole file or envelope
    "line": pl.UInt32(),
    "rubric": pl.String(),
    "label": pl.String(),  # the norm's label of the rubric
    "code": pl.String(),  # stable, e.g. "CSL-LENGTH"
    "severity": pl.String(),  # Severity
    "message": pl.String(),  # French, for a data steward; personal values masked
}


@dataclass(frozen=True)
class EnvoiSoFar:
    """An envoi read in parts (dsn_parser.reading): what its parts before the current one hold
    that the envoi-level controls need."""

    envoi_id: int
    # LINES_SCHEMA: its lines outside any declaration (S10 header, a total block already read)
    # and the first block (S20.G00.05) of each declaration read so far: they give the envoi's
    # norm and natures, the lines its findings point at, and its declarations to count.
    lines: pl.DataFrame
    counted_lines: int  # lines counted by the S90 total so far (the lot envelope is not)


@dataclass(frozen=True)
class DeclarationSoFar:
    """A declaration read in parts (dsn_parser.reading), cut between its individuals: what its
    parts before the current one hold that the declaration-level controls need."""

    declaration_id: int
    # LINES_SCHEMA, in line order: its lines outside individuals but its first block (which
    # EnvoiSoFar carries) — the company, establishment, adhésions, payments its individuals'
    # rules join and its own findings are about — and, of its individuals so far, the lines
    # the controls across individuals read (reading.ACROSS_INDIVIDUALS: the instances counted
    # under it, the keys unique in it, the references to its adhésions).
    lines: pl.DataFrame
    # Per block, the reader's table rows of those lines' instances (the rules read their values
    # there, not in the lines, when the table holds all of them).
    tables: dict[str, pl.DataFrame]


@dataclass(frozen=True)
class Part:
    """Where a batch of a file read in parts stands in its file."""

    in_lot: bool = False  # an earlier batch held the concentrator's lot header
    continued: EnvoiSoFar | None = None  # the envoi whose parts before this one's lines end
    goes_on: int | None = None  # the envoi_id of this batch's last envoi, if it goes on after
    # The declaration cut before this batch's first individual, and the declaration_id of this
    # batch's last declaration if it goes on in the next batch.
    declaration: DeclarationSoFar | None = None
    declaration_goes_on: int | None = None


# A file read at once is its only part.
WHOLE_FILE: Final = Part()


@dataclass
class ParsedFile:
    """One DSN file read and validated. A zip member is a file of its own."""

    source: str  # path, or "archive.zip!member.dsn"
    file_id: str  # SHA-256 hex of the file's bytes
    size: int
    encoding: str  # "iso-8859-1", "utf-8", "utf-8-sig", "utf-8-invalid" or "cp1252"
    norm: str | None  # norm version of the first envoi
    lines: pl.DataFrame  # LINES_SCHEMA
    blocks: dict[str, pl.DataFrame] = field(default_factory=dict)  # block id -> table
    declarations: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=DECLARATIONS_SCHEMA)
    )
    diagnostics: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=DIAGNOSTICS_SCHEMA)
    )

    @property
    def rejected(self) -> bool:
        """True when the file is unreadable or any of its declarations is rejected."""
        if self.declarations.is_empty():
            return True
        return bool((self.declarations["status"] == DeclarationStatus.REJECTED).any())
