"""Lexing: rubric and value split on the first `,'` and the last `'`, nothing dropped."""

from __future__ import annotations

import polars as pl
import pytest

from dsn_parser.lexer import lex, split_lines


def _lex(*lines: str) -> pl.DataFrame:
    return lex(pl.Series("raw", list(lines), dtype=pl.String), 1)


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("S21.G00.30.002,'D'ARTAGNAN'", "D'ARTAGNAN"),
        ("S21.G00.30.002,''ALI'", "'ALI"),
        ("S21.G00.30.008,'3, RUE DE L'ÉGLISE, BÂT. B'", "3, RUE DE L'ÉGLISE, BÂT. B"),
        ("S21.G00.30.002,'O''NEIL''", "O''NEIL'"),
        ("S21.G00.30.002,''", ""),
        ("S21.G00.30.002,' BLANC '", " BLANC "),
    ],
)
def test_value_is_between_first_comma_quote_and_last_quote(line: str, value: str) -> None:
    lexed = _lex(line)
    assert lexed.row(0, named=True) | {"rubric_no": None} == {
        "line": 1,
        "rubric": "S21.G00.30.002" if "30.002" in line else "S21.G00.30.008",
        "block": "S21.G00.30",
        "value": value,
        "raw": None,
        "rubric_no": None,
    }


@pytest.mark.parametrize(
    "line",
    [
        "S21.G00.30.002,DUPONT",  # no quotes (the non-conformant sample)
        "S21.G00.30.002,'DUPONT",  # no closing quote
        "S21.G00.30.002,'",  # a single quote is not an empty value
        "S21.G00.30,'X'",  # block id, not a rubric id
        "s21.g00.30.002,'X'",
        "<DSN>",
        "",
    ],
)
def test_a_line_that_does_not_fit_is_kept_raw_with_null_rubric(line: str) -> None:
    row = _lex(line).row(0, named=True)
    assert (row["rubric"], row["block"], row["value"], row["raw"]) == (None, None, None, line)


def test_lines_are_numbered_from_the_first_line_given() -> None:
    lexed = lex(pl.Series(["S10.G00.00.001,'A'", "bad", "S10.G00.00.002,'B'"]), 41)
    assert lexed["line"].to_list() == [41, 42, 43]
    assert lexed["rubric_no"].to_list() == [1, None, 2]


def test_split_lines_keeps_blank_lines_and_strips_cr() -> None:
    chunk = b"A,'1'\r\n\r\n\nB,'x\ry'\nlast"
    assert split_lines(chunk).to_list() == ["A,'1'", "", "", "B,'x\ry'", "last"]


def test_split_lines_works_when_every_separator_candidate_occurs() -> None:
    hostile = "".join(chr(code) for code in (0x1F, 0x1E, 0x1D, 0x1C, 0x01, 0x02, 0x03))
    chunk = f"S21.G00.30.002,'{hostile}'\r\nS21.G00.30.004,'X'\n".encode()
    assert split_lines(chunk).to_list() == [f"S21.G00.30.002,'{hostile}'", "S21.G00.30.004,'X'"]
