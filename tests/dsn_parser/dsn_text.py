"""Test support: DSN flat text from (rubric, value) pairs, in any encoding and line ending.

The one DSN builder of the tests (parser, validator, quality rules). Deliberately tiny (the
product's DSN writer lives in `synthetic/`): tests state the lines they mean, this only adds the
envoi around them (S10 header, S90 totals) and joins them the way the norm says, with no
escaping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

Line = tuple[str, str]


def dsn_text(lines: Iterable[Line], *, newline: str = "\n") -> str:
    return "".join(f"{rubric},'{value}'{newline}" for rubric, value in lines)


def dsn_bytes(lines: Iterable[Line], *, encoding: str = "iso-8859-1", newline: str = "\n") -> bytes:
    return dsn_text(lines, newline=newline).encode(encoding)


def d(day: date) -> str:
    """A date as the DSN writes it (JJMMAAAA)."""
    return f"{day:%d%m%Y}"


def reader_header(norm: str = "P24V01") -> list[Line]:
    """An S10 with what the reader needs; the validator also wants the sender's name and a
    contact (`sender_header`)."""
    return [
        ("S10.G00.00.001", "LOGICIEL"),
        ("S10.G00.00.002", "EDITEUR"),
        ("S10.G00.00.003", "1.0"),
        ("S10.G00.00.005", "02"),
        ("S10.G00.00.006", norm),
        ("S10.G00.00.008", "01"),
        ("S10.G00.01.001", "123456782"),
        ("S10.G00.01.002", "00010"),
    ]


def sender_header(norm: str = "P24V01") -> list[Line]:
    """An S10 the validator accepts: the sender with its name and a contact (S10.G00.02)."""
    return [
        ("S10.G00.00.001", "PAYSOFT"),
        ("S10.G00.00.002", "EDITEUR"),
        ("S10.G00.00.005", "02"),
        ("S10.G00.00.006", norm),
        ("S10.G00.00.007", "01"),
        ("S10.G00.00.008", "01"),
        ("S10.G00.01.001", "404833048"),
        ("S10.G00.01.002", "00022"),
        ("S10.G00.01.003", "CABINET PAIE"),
        ("S10.G00.02.001", "01"),
        ("S10.G00.02.002", "DUPONT MARIE"),
        ("S10.G00.02.004", "paie@example.fr"),
        ("S10.G00.02.005", "0102030405"),
    ]


def totals(
    lines: list[Line], *, declarations: int = 1, line_count: int | None = None
) -> list[Line]:
    """The S90 closing `lines` (header and declarations): the number of lines of the envoi, S90
    included, unless `line_count` is given to get it wrong, and the number of declarations."""
    count = len(lines) + 2 if line_count is None else line_count
    return [("S90.G00.90.001", str(count)), ("S90.G00.90.002", str(declarations))]


def envoi(
    declarations: list[list[Line]],
    *,
    norm: str = "P24V01",
    header: Callable[[str], list[Line]] = reader_header,
) -> list[Line]:
    """A complete envoi (S10 ... S90) around the given declarations, with correct S90 totals."""
    lines = [*header(norm), *(line for declaration in declarations for line in declaration)]
    return [*lines, *totals(lines, declarations=len(declarations))]


def declaration(
    *, siren: str = "123456782", nic: str = "00013", month: str = "01032024"
) -> list[Line]:
    """A monthly declaration's head: S20, enterprise and establishment."""
    return [
        ("S20.G00.05.001", "01"),
        ("S20.G00.05.002", "01"),
        ("S20.G00.05.003", "11"),
        ("S20.G00.05.004", "1"),
        ("S20.G00.05.005", month),
        ("S20.G00.05.007", "05042024"),
        ("S21.G00.06.001", siren),
        ("S21.G00.06.002", "00010"),
        ("S21.G00.11.001", nic),
    ]
