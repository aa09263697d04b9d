"""The DSN reader: `parse` a path or bytes into typed block tables with diagnostics.

    from dsn_parser import parse
    for parsed in parse("lot.zip"):          # one ParsedFile per DSN file in the source
        parsed.blocks["S21.G00.30"]          # one row per individual, typed, with natural keys
        parsed.declarations                  # one row per declaration, with its status
        parsed.diagnostics                   # what a data steward must look at

For files too big to hold in memory, `parse_to_parquet` writes the same tables as Parquet files
while reading (see dsn_parser.streaming). For a night's thousands of small files, `parse_many`
gives what `parse` gives for each, reading them together in one pass (see dsn_parser.batch).
"""

from __future__ import annotations

from dsn_parser.batch import parse_many
from dsn_parser.decoding import (
    CHUNK_BYTES,
    Source,
    UnreadableFileError,
    expand_source,
)
from dsn_parser.model import ParsedFile
from dsn_parser.reading import read_file, unreadable_file
from dsn_parser.streaming import parse_to_parquet

__all__ = ["ParsedFile", "parse", "parse_many", "parse_to_parquet", "read", "validate"]


def parse(source: Source, *, name: str | None = None) -> list[ParsedFile]:
    """Read and validate every DSN file in `source` (a path or bytes; plain, .gz or .zip).

    Never raises for bad content: an unreadable file or archive gives a ParsedFile with no
    declaration and an error diagnostic. `name` labels bytes (default "<bytes>").
    """
    return [validate(parsed) for parsed in read(source, name=name)]


def read(
    source: Source, *, name: str | None = None, chunk_bytes: int = CHUNK_BYTES
) -> list[ParsedFile]:
    """Like `parse`, without validation: lines, block tables and declarations (status 0)."""
    label = name or (None if isinstance(source, bytes) else str(source))
    try:
        files = expand_source(source, name)
    except UnreadableFileError as error:
        return [unreadable_file(label or "<bytes>", str(error))]
    return [read_file(dsn, chunk_bytes) for dsn in files]


def validate(parsed: ParsedFile) -> ParsedFile:
    """Run the validator on a read file (imported here: it imports this package's model)."""
    from dsn_parser.validation import validate as run_validation

    return run_validation(parsed)
