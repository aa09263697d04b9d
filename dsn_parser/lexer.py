"""Lines to (rubric, value): the NEODeS flat syntax `S21.G00.30.001,'value'`.

There is no escaping in DSN: the value is everything between the first `,'` and the last `'` of
the line, so apostrophes and commas inside a value are kept exactly. A line that does not have
that shape (no `,'`, no closing `'`, no rubric id before the comma) is kept with its text in
`raw` and null rubric and value: the validator reports it, nothing is dropped.
"""

from __future__ import annotations

import io

import polars as pl

from dsn_parser.model import ID_TYPE, by_id

# The first 16 characters of a line that fits: a rubric id (S21.G00.30.001), then `,'`.
_FITTING_HEAD = r"^S\d{2}\.G\d{2}\.\d{2}\.\d{3},'$"
# Characters of a lexed line around its value: the 14-character rubric id, `,'` and `'`.
VALUE_FRAME = len("S21.G00.30.001,''")

# Columns of the lexed frame: the LINES_SCHEMA columns the lexer knows, plus the rubric number
# the tree builder needs to see where block instances start.
LEXED_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.UInt32(),
    "rubric": ID_TYPE,
    "block": ID_TYPE,
    "value": pl.String(),
    "raw": pl.String(),
    "rubric_no": pl.UInt16(),
}

# Field separators tried for Polars' CSV reader, which splits lines fast but needs a byte that
# never occurs in the text; DSN text is printable, so a control byte is almost always free.
_SEPARATORS = ("\x1f", "\x1e", "\x1d", "\x1c", "\x01", "\x02", "\x03")
# Polars' CSV reader decompresses bytes that start like a compressed stream (zlib "x\x01",
# gzip, zstd) and raises on a corrupt one: text starting so is split in Python instead.
_COMPRESSED_STARTS = (b"x\x01", b"x\x5e", b"x\x9c", b"x\xda", b"\x1f\x8b", b"\x28\xb5\x2f\xfd")


def split_lines(chunk: bytes) -> pl.Series:
    """The lines of a UTF-8 chunk, CR LF or LF, as a String series (empty lines are "")."""
    separator = next((sep for sep in _SEPARATORS if sep.encode() not in chunk), None)
    if separator is None or chunk.startswith(_COMPRESSED_STARTS):
        return pl.Series("raw", _python_lines(chunk), dtype=pl.String)
    frame = pl.read_csv(
        io.BytesIO(chunk),
        has_header=False,
        separator=separator,
        quote_char=None,
        schema={"raw": pl.String()},
    )
    return frame.get_column("raw").fill_null("")


def _python_lines(chunk: bytes) -> list[str]:
    # Same line semantics as the CSV reader: split on LF only, drop one trailing CR.
    text = chunk.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def lex(raw: pl.Series, first_line: int) -> pl.DataFrame:
    """One row per line, numbered from `first_line` (1-based in the file)."""
    # A rubric id is 14 characters without a comma, so a line fits when its first 16 characters
    # are a rubric id and `,'` and its last is `'`: the value is what lies between, and plain
    # slices give the same result as a search, several times faster on millions of lines. The
    # heads of lines are checked, and their rubric id, block and number read, once per distinct
    # head, then given to the lines by the head's integer code.
    line = pl.col("raw")
    # Only the heads of lines that may fit enter the process-wide id dictionary (model.ID_TYPE).
    may_fit = line.str.ends_with("'") & (line.str.len_bytes() >= VALUE_FRAME)
    frame = pl.DataFrame({"raw": raw}).with_columns(
        head=pl.when(may_fit).then(line.str.head(16)).cast(ID_TYPE)
    )
    heads = frame.get_column("head").unique().drop_nulls()
    fitting = heads.filter(heads.cast(pl.String).str.contains(_FITTING_HEAD))
    rubric_ids, head = fitting.cast(pl.String).str.head(14), frame.get_column("head")
    frame = frame.with_columns(
        rubric=by_id(head, fitting, rubric_ids.cast(ID_TYPE)),
        block=by_id(head, fitting, rubric_ids.str.head(10).cast(ID_TYPE)),
        rubric_no=by_id(head, fitting, rubric_ids.str.slice(11, 3).cast(pl.UInt16)),
    )
    fits = pl.col("rubric").is_not_null()
    # The value is the line less its 16 first characters and its last one (clipped for the
    # lines that do not fit).
    value_length = (line.str.len_chars() - VALUE_FRAME).clip(lower_bound=0)
    return frame.select(
        line=pl.int_range(first_line, first_line + pl.len(), dtype=pl.UInt32),
        rubric="rubric",
        block="block",
        value=pl.when(fits).then(line.str.slice(16, value_length)),
        raw=pl.when(fits).then(pl.lit(None, pl.String)).otherwise(line),
        rubric_no="rubric_no",
    )
