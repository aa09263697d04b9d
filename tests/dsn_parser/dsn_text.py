"""Test support: DSN flat text from (rubric, value) pairs, in any encoding and line ending.

Deliberately tiny (the product's DSN writer lives in `synthetic/`): tests state the lines they
mean, this only joins them the way the norm says, with no escaping.
"""

from __future__ import annotations

from collections.abc import Iterable

Line = tuple[str, str]


def dsn_text(lines: Iterable[Line], *, newline: str = "\n") -> str:
    return "".join(f"{rubric},'{value}'{newline}" for rubric, value in lines)


def dsn_bytes(lines: Iterable[Line], *, encoding: str = "iso-8859-1", newline: str = "\n") -> bytes:
    return dsn_text(lines, newline=newline).encode(encoding)


def envoi(declarations: list[list[Line]], *, norm: str = "P24V01") -> list[Line]:
    """A complete envoi (S10 ... S90) around the given declarations, with correct S90 totals."""
    header = [
        ("S10.G00.00.001", "LOGICIEL"),
        ("S10.G00.00.002", "EDITEUR"),
        ("S10.G00.00.003", "1.0"),
        ("S10.G00.00.005", "02"),
        ("S10.G00.00.006", norm),
        ("S10.G00.00.008", "01"),
        ("S10.G00.01.001", "123456782"),
        ("S10.G00.01.002", "00010"),
    ]
    body = [line for declaration in declarations for line in declaration]
    count = len(header) + len(body) + 2
    return [
        *header,
        *body,
        ("S90.G00.90.001", str(count)),
        ("S90.G00.90.002", str(len(declarations))),
    ]


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
