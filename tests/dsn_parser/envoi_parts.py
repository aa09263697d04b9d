"""Test support for envois read in parts: real sample declarations put in one envoi, and a file
read the way the streaming reader reads a giant envoi (cut before declarations every few lines),
put back together for comparing with the file read at once."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dsn_parser import ParsedFile
from dsn_parser.decoding import Source
from dsn_parser.streaming import read_in_batches

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dsn"
MONTHLY = sorted((FIXTURES / "keuwa_dsn-parser_pseudonymized").glob("*.dsn"))
LOT = FIXTURES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"
FICTIONAL = FIXTURES / "drolow_dsn-analyzer_exemple_P24V01_fictif.dsn"
ENCODING = "iso-8859-1"
TOTAL_LINES = "S90.G00.90.001"


def one_envoi(monthly: list[Path]) -> list[str]:
    """The declarations of these one-declaration monthly samples as one envoi: the first one's
    header (S10), every declaration, and a total block (S90) counting them right."""
    texts = [path.read_text(encoding=ENCODING).splitlines() for path in monthly]
    first = texts[0]
    header = first[: _first(first, "S20.")]
    declarations = [
        line for text in texts for line in text[_first(text, "S20.") : _first(text, "S90.")]
    ]
    count = len(header) + len(declarations) + 2
    return [*header, *declarations, f"{TOTAL_LINES},'{count}'", f"S90.G00.90.002,'{len(texts)}'"]


def as_bytes(lines: list[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode(ENCODING)


def _first(text: list[str], prefix: str) -> int:
    return next(number for number, line in enumerate(text) if line.startswith(prefix))


def read_in_parts(
    source: Source,
    *,
    max_lines: int,
    chunk_bytes: int,
    max_declaration_lines: int | None = None,
) -> ParsedFile:
    """The file's batches from the streaming reader, put together as one ParsedFile."""
    return put_together(
        batches_of(
            source,
            max_lines=max_lines,
            chunk_bytes=chunk_bytes,
            max_declaration_lines=max_declaration_lines,
        )
    )


def batches_of(
    source: Source, *, max_lines: int, chunk_bytes: int, max_declaration_lines: int | None = None
) -> list[ParsedFile]:
    """The file's batches from the streaming reader, validated."""
    return [
        parsed
        for _, parsed in read_in_batches(
            source,
            name="parts.dsn",
            max_lines=max_lines,
            chunk_bytes=chunk_bytes,
            max_declaration_lines=max_declaration_lines,
        )
    ]


def put_together(batches: list[ParsedFile]) -> ParsedFile:
    """A file's batches as one ParsedFile, to compare with the file read at once."""
    blocks: dict[str, list[pl.DataFrame]] = {}
    for batch in batches:
        for block, table in batch.blocks.items():
            blocks.setdefault(block, []).append(table)
    key = ["line", "code", "rubric", "message"]
    first = batches[0]
    return ParsedFile(
        source=first.source,
        file_id=first.file_id,
        size=first.size,
        encoding=first.encoding,
        norm=first.norm,
        lines=pl.concat([batch.lines for batch in batches]),
        blocks={
            block: pl.concat(tables, how="diagonal_relaxed")
            for block, tables in sorted(blocks.items())
        },
        declarations=pl.concat([batch.declarations for batch in batches]),
        diagnostics=pl.concat([batch.diagnostics for batch in batches]).sort(key, nulls_last=False),
    )


def with_lines(batches: list[ParsedFile]) -> int:
    """How many of a file's batches hold lines (the last one holds its declarations only)."""
    return sum(1 for batch in batches if batch.lines.height)
