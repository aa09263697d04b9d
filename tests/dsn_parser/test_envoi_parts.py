"""A giant envoi read in parts (the streaming reader cuts it before declarations) reads as the
same envoi read at once: tables, diagnostics, each finding once, and the declarations' statuses."""

from __future__ import annotations

from functools import cache

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from dsn_parser import ParsedFile, parse, read
from dsn_parser.decoding import expand_source, inspect
from dsn_parser.reading import FileReader
from tests.dsn_parser.envoi_parts import (
    FICTIONAL,
    LOT,
    MONTHLY,
    TOTAL_LINES,
    as_bytes,
    batches_of,
    one_envoi,
    put_together,
    read_in_parts,
    with_lines,
)
from tests.dsn_parser.same_parse import assert_same_parsed

ENVOI_LEVEL = {
    "FILE-UNREADABLE",
    "STR-ENVOI-INCOMPLETE",
    "S90-LINE-COUNT",
    "S90-DECLARATION-COUNT",
    "STR-CARDINALITY-MIN",
}


def _whole(content: bytes) -> ParsedFile:
    [parsed] = parse(content, name="parts.dsn")
    return parsed


def _codes(parsed: ParsedFile) -> list[str]:
    return parsed.diagnostics["code"].to_list()


def _in_parts(content: bytes, max_lines: int) -> ParsedFile:
    batches = batches_of(content, max_lines=max_lines, chunk_bytes=2_000)
    assert with_lines(batches) > 2  # cut in parts
    return put_together(batches)


@pytest.mark.parametrize("max_lines", [1, 40, 400])
def test_a_valid_envoi_of_several_declarations_reads_in_parts_as_at_once(max_lines: int) -> None:
    content = as_bytes(one_envoi(MONTHLY[:6]))
    whole = _whole(content)
    assert whole.declarations.height == 6
    assert not ENVOI_LEVEL & set(_codes(whole))
    assert set(whole.declarations["status"]) == {1}  # warnings only
    assert_same_parsed([[_in_parts(content, max_lines)]], [[whole]])


def test_a_wrong_line_count_is_reported_once_and_rejects_every_declaration() -> None:
    lines = one_envoi(MONTHLY[:4])
    content = as_bytes(
        [f"{TOTAL_LINES},'9'" if line.startswith(TOTAL_LINES) else line for line in lines]
    )
    whole = _whole(content)
    in_parts = _in_parts(content, 40)
    assert_same_parsed([[in_parts]], [[whole]])
    assert _codes(in_parts).count("S90-LINE-COUNT") == 1
    assert set(in_parts.declarations["status"]) == {3}


def test_a_missing_total_block_is_reported_once_on_the_envoi() -> None:
    content = as_bytes([line for line in one_envoi(MONTHLY[:4]) if not line.startswith("S90.")])
    whole = _whole(content)
    in_parts = _in_parts(content, 40)
    assert_same_parsed([[in_parts]], [[whole]])
    incomplete = in_parts.diagnostics.filter(pl.col("code") == "STR-ENVOI-INCOMPLETE")
    assert incomplete["line"].to_list() == [1]
    assert set(in_parts.declarations["status"]) == {3}


def test_an_error_in_the_envoi_header_rejects_the_declarations_of_every_part() -> None:
    sender = "S10.G00.01.001"
    lines = [
        f"{sender},'123456789'" if line.startswith(sender) else line
        for line in one_envoi(MONTHLY[:4])
    ]
    content = as_bytes(lines)
    whole = _whole(content)
    in_parts = _in_parts(content, 40)
    assert_same_parsed([[in_parts]], [[whole]])
    assert _codes(in_parts).count("CSL-SIREN") == 1
    assert set(in_parts.declarations["status"]) == {3}


SAMPLES = {
    "one envoi": as_bytes(one_envoi(MONTHLY[::4])),
    "lot": LOT.read_bytes(),
    "fictional": FICTIONAL.read_bytes(),
    **{path.name: path.read_bytes() for path in MONTHLY[:3]},
}


@cache
def _read_at_once(sample: str) -> ParsedFile:
    return _whole(SAMPLES[sample])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(sorted(SAMPLES)),
    max_lines=st.integers(1, 500),
    chunk_bytes=st.integers(200, 20_000),
)
def test_any_cut_of_the_real_samples_reads_as_the_file_at_once(
    sample: str, max_lines: int, chunk_bytes: int
) -> None:
    in_parts = read_in_parts(SAMPLES[sample], max_lines=max_lines, chunk_bytes=chunk_bytes)
    assert_same_parsed([[in_parts]], [[_read_at_once(sample)]])


def test_a_declaration_past_its_own_bound_is_cut_between_individuals_with_the_same_tables() -> None:
    content = as_bytes(one_envoi(MONTHLY[:2]))
    [dsn] = expand_source(content, "parts.dsn")
    reader = FileReader(dsn, inspect(dsn, 500), 500, max_lines=5, max_declaration_lines=80)
    batches = list(reader.batches())
    [whole] = read(content, name="parts.dsn")
    # memory stays bounded: no batch much over the bound, or over one individual, which is
    # never cut (one chunk of lines past it at most)
    assert len(batches) > 4
    assert max(batch.lines.height for batch in batches) < max(80, _largest_individual(whole)) + 30
    assert_frame_equal(pl.concat([batch.lines for batch in batches]), whole.lines)
    for block, table in whole.blocks.items():
        parts = [batch.blocks[block] for batch in batches if block in batch.blocks]
        assert_frame_equal(pl.concat(parts, how="diagonal_relaxed"), table)


def _largest_individual(parsed: ParsedFile) -> int:
    """The most lines an individual takes: from its S21.G00.30 to the next block not under it
    (the next individual, declaration or total)."""
    starts = parsed.lines.filter(
        (pl.col("line") == pl.col("instance_id"))
        & pl.col("block").cast(pl.String).str.contains(r"^S(10|20|90)|^S21\.G00\.30")
    )
    spans = starts.select(
        pl.col("block").cast(pl.String), span=pl.col("line").shift(-1) - pl.col("line")
    )
    return int(spans.filter(pl.col("block") == "S21.G00.30")["span"].max())  # type: ignore[arg-type]
