"""Validation of a file whose blocks hold many rows: the in-memory engine of Polars splits a frame
of 16,384 rows or more over its threads, and a plan must give the same result on it.

The smallest case: the monthly DSN of monthly_dsn.py with 256 employees affiliated 64 times each,
every affiliation with its base 31 (16,384 S21.G00.70, 4.4 MB, about a second): a file the
national validator would accept, so nothing to find. The reference controls from S21.G00.15 to
S21.G00.70 (S21.G00.15.001/CCH-13 and CCH-14) once raised a ShapeError on it, from `parse`
(which never raises for bad content) and from the streaming reader of `dsnpipe validate`.
With POLARS_MAX_THREADS=1 Polars never splits a frame, and this test cannot fail.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dsn_parser import parse, parse_many
from dsn_parser.streaming import read_in_batches
from dsn_parser.validation import official
from dsn_parser.validation.rules import Reference
from tests.dsn_parser.dsn_text import Line
from tests.dsn_parser.large_dsn import write_large_dsn
from tests.dsn_parser.monthly_dsn import individual, monthly, render

SPLIT_ROWS = 16_384  # the fewest rows of a frame Polars 2.1 splits over its threads to filter it
EMPLOYEES, AFFILIATIONS = 256, 64  # EMPLOYEES * AFFILIATIONS == SPLIT_ROWS


def affiliated(nir: str, affiliations: int) -> list[Line]:
    """An employee of the monthly DSN whose contract has `affiliations` affiliations to the
    establishment's adhésion, each with its base 31 and cotisation 059."""
    lines = individual(nir, "MARTIN", "15051985", affiliation="1", adhesion="1")
    affiliation = lines.index(("S21.G00.70.012", "1"))
    base = lines.index(("S21.G00.78.001", "31"))
    base_lines = lines[base : base + 9]  # S21.G00.78, its S21.G00.79 and its S21.G00.81
    assert base_lines[4] == ("S21.G00.78.005", "1")
    numbers = [str(number) for number in range(1, affiliations + 1)]
    return [
        *lines[:affiliation],
        *[line for n in numbers for line in (("S21.G00.70.012", n), ("S21.G00.70.013", "1"))],
        *lines[affiliation + 2 : base],
        *[
            line
            for n in numbers
            for line in (*base_lines[:4], ("S21.G00.78.005", n), *base_lines[5:])
        ],
        *lines[base + 9 :],
    ]


def many_affiliations(employees: int, affiliations: int) -> bytes:
    lines = monthly()
    first = next(i for i, (rubric, _) in enumerate(lines) if rubric == "S21.G00.30.001")
    people = [
        line
        for number in range(1, employees + 1)
        for line in affiliated(f"2850575116{number:03d}", affiliations)
    ]
    return render([*lines[:first], *people])


@pytest.fixture(scope="module")
def big_file() -> bytes:
    return many_affiliations(EMPLOYEES, AFFILIATIONS)


def test_the_case_reaches_the_rows_polars_splits_and_the_references_it_needs() -> None:
    assert EMPLOYEES * AFFILIATIONS == SPLIT_ROWS
    on_70 = [
        rule.control_id
        for rule in official.RULES
        if isinstance(rule, Reference) and rule.target.startswith("S21.G00.70.")
    ]
    assert {"S21.G00.15.001/CCH-13", "S21.G00.15.001/CCH-14"} <= set(on_70)


def test_the_same_file_with_a_few_affiliations_is_accepted() -> None:
    [parsed] = parse(many_affiliations(2, 3))
    assert parsed.diagnostics.is_empty()
    assert parsed.declarations["status"].to_list() == [0]


def test_a_file_with_as_many_affiliations_as_polars_splits_is_accepted(big_file: bytes) -> None:
    [parsed] = parse(big_file)
    assert parsed.blocks["S21.G00.70"].height == SPLIT_ROWS
    assert parsed.diagnostics.is_empty()
    assert parsed.declarations["status"].to_list() == [0]


def test_the_streaming_reader_accepts_it_too(big_file: bytes) -> None:
    batches = [parsed for _, parsed in read_in_batches(big_file, name="big.dsn")]
    # the last batch brings the file's declarations alone
    assert sum(parsed.blocks["S21.G00.70"].height for parsed in batches[:-1]) == SPLIT_ROWS
    assert pl.concat([parsed.diagnostics for parsed in batches]).is_empty()


def test_small_files_read_together_past_the_split_are_accepted(tmp_path: Path) -> None:
    """The night reads files of 4 MB or less together (dsn_parser/batch.py): four files of
    4,096 affiliations each make one frame of 16,384 rows."""
    paths = [tmp_path / f"part{number}.dsn" for number in range(4)]
    for path in paths:
        path.write_bytes(many_affiliations(EMPLOYEES // 4, AFFILIATIONS))
    read = [parsed for files in parse_many(paths) for parsed in files]
    assert [parsed.blocks["S21.G00.70"].height for parsed in read] == [SPLIT_ROWS // 4] * 4
    assert all(parsed.diagnostics.is_empty() for parsed in read)


@pytest.mark.bench
def test_the_20_mb_lot_of_the_report_is_accepted(tmp_path: Path) -> None:
    """The lot the bug was found on: 400 envois, 23,482 S21.G00.70 read at once by `parse`."""
    path = tmp_path / "lot20.dsn"
    write_large_dsn(path, 20 * 1024 * 1024, seed=20)
    [parsed] = parse(path)
    assert parsed.blocks["S21.G00.70"].height == 23_482
    assert parsed.diagnostics.is_empty()
