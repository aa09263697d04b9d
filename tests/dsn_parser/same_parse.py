"""Comparing parsed files field by field, for the tests of the batch reader."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from dsn_parser import ParsedFile


def assert_same_parsed(batch: list[list[ParsedFile]], alone: list[list[ParsedFile]]) -> None:
    """Every field of every ParsedFile equal: frames with their column order and types."""
    assert len(batch) == len(alone)
    for batch_files, alone_files in zip(batch, alone, strict=True):
        assert len(batch_files) == len(alone_files)
        for got, expected in zip(batch_files, alone_files, strict=True):
            where = expected.source
            assert (got.source, got.file_id, got.size, got.encoding, got.norm) == (
                expected.source,
                expected.file_id,
                expected.size,
                expected.encoding,
                expected.norm,
            ), where
            _same(got.lines, expected.lines, f"lines of {where}")
            assert list(got.blocks) == list(expected.blocks), where
            for block, table in expected.blocks.items():
                _same(got.blocks[block], table, f"{block} of {where}")
            _same(got.declarations, expected.declarations, f"declarations of {where}")
            _same(got.diagnostics, expected.diagnostics, f"diagnostics of {where}")


def _same(got: pl.DataFrame, expected: pl.DataFrame, what: str) -> None:
    try:
        assert_frame_equal(got, expected)
    except AssertionError as error:
        raise AssertionError(f"{what}: {error}") from error
