"""Test support shared by the quality DSN builders: one declaration wrapped in a full envoi.

The S10 header carries the sender and contact blocks the validator requires, which
`tests/dsn_parser/dsn_text.envoi` leaves out; the text itself is joined by `dsn_bytes`.
"""

from __future__ import annotations

from datetime import date

from tests.dsn_parser.dsn_text import Line, dsn_bytes


def d(day: date) -> str:
    """A date as the DSN writes it (JJMMAAAA)."""
    return f"{day:%d%m%Y}"


def envoi(declaration: list[Line], *, norm: str) -> bytes:
    """One declaration in an envoi (S10 ... S90, correct totals), CRLF, Latin-1."""
    lines = [
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
        *declaration,
    ]
    totals = [("S90.G00.90.001", str(len(lines) + 2)), ("S90.G00.90.002", "1")]
    return dsn_bytes([*lines, *totals], encoding="latin-1", newline="\r\n")
