"""A complete monthly DSN (P24V01) that a national validator would accept, and the small edits
the validation tests make to it: one establishment with an adhésion, a payment to the OC split in
two components, and two employees each affiliated, with a base 31 and its cotisation 059."""

from __future__ import annotations

from typing import Any

import polars as pl

from dsn_parser import parse
from dsn_parser.model import ParsedFile
from tests.dsn_parser.dsn_text import Line, dsn_bytes, sender_header, totals

SIREN = "732829320"  # valid Luhn key
NIC = "00017"  # SIREN + NIC is a valid SIRET


def individual(nir: str, name: str, born: str, affiliation: str, adhesion: str) -> list[Line]:
    return [
        ("S21.G00.30.001", nir),
        ("S21.G00.30.002", name),
        ("S21.G00.30.004", "JEANNE"),
        ("S21.G00.30.006", born),
        ("S21.G00.30.007", "PARIS"),
        ("S21.G00.30.013", "01"),
        ("S21.G00.30.014", "75"),
        ("S21.G00.30.015", "FR"),
        ("S21.G00.40.001", "01092015"),
        ("S21.G00.40.002", "04"),
        ("S21.G00.40.003", "04"),
        ("S21.G00.40.004", "2331"),
        ("S21.G00.40.006", "Comptable"),
        ("S21.G00.40.007", "01"),
        ("S21.G00.40.008", "99"),
        ("S21.G00.40.009", "C0001"),
        ("S21.G00.40.011", "10"),
        ("S21.G00.40.012", "151.67"),
        ("S21.G00.40.013", "151.67"),
        ("S21.G00.40.014", "10"),
        ("S21.G00.40.016", "99"),
        ("S21.G00.40.017", "1486"),
        ("S21.G00.40.018", "200"),
        ("S21.G00.40.019", SIREN + NIC),
        ("S21.G00.40.020", "200"),
        ("S21.G00.40.024", "99"),
        ("S21.G00.40.026", "99"),
        ("S21.G00.40.036", "03"),
        ("S21.G00.40.037", "03"),
        ("S21.G00.40.039", "200"),
        ("S21.G00.40.040", "7010Z"),
        ("S21.G00.40.043", "1.50"),
        ("S21.G00.70.012", affiliation),
        ("S21.G00.70.013", adhesion),
        ("S21.G00.71.002", "RUAA"),
        ("S21.G00.50.001", "31052024"),
        ("S21.G00.50.002", "2500.00"),
        ("S21.G00.50.004", "2400.00"),
        ("S21.G00.50.006", "4.00"),
        ("S21.G00.50.007", "01"),
        ("S21.G00.50.009", "100.00"),
        ("S21.G00.50.013", "2500.00"),
        ("S21.G00.51.001", "01052024"),
        ("S21.G00.51.002", "31052024"),
        ("S21.G00.51.010", "C0001"),
        ("S21.G00.51.011", "001"),
        ("S21.G00.51.013", "3200.00"),
        ("S21.G00.78.001", "31"),
        ("S21.G00.78.002", "01052024"),
        ("S21.G00.78.003", "31052024"),
        ("S21.G00.78.004", "0.00"),
        ("S21.G00.78.005", affiliation),
        ("S21.G00.79.001", "10"),
        ("S21.G00.79.004", "2500.00"),
        ("S21.G00.81.001", "059"),
        ("S21.G00.81.004", "25.00"),
    ]


def monthly() -> list[Line]:
    """The envoi up to its S90 (added by `render`), so tests can change its header too."""
    return [
        *sender_header("P24V01"),
        ("S20.G00.05.001", "01"),
        ("S20.G00.05.002", "01"),
        ("S20.G00.05.003", "11"),
        ("S20.G00.05.004", "1"),
        ("S20.G00.05.005", "01052024"),
        ("S20.G00.05.007", "05062024"),
        ("S20.G00.05.008", "01"),
        ("S20.G00.05.010", "01"),
        ("S21.G00.06.001", SIREN),
        ("S21.G00.06.003", "7010Z"),
        ("S21.G00.11.001", NIC),
        ("S21.G00.11.002", "7010Z"),
        ("S21.G00.11.022", "1486"),
        ("S21.G00.15.001", "CONTRAT-PREV-1"),
        ("S21.G00.15.002", "P1020"),
        ("S21.G00.15.004", "01"),
        ("S21.G00.15.005", "1"),
        ("S21.G00.20.001", "P1020"),
        ("S21.G00.20.003", "AGRIFRPP"),
        ("S21.G00.20.004", "FR7630006000011234567890189"),
        ("S21.G00.20.005", "50.00"),
        ("S21.G00.20.006", "01052024"),
        ("S21.G00.20.007", "31052024"),
        ("S21.G00.20.010", "05"),
        ("S21.G00.55.001", "25.00"),
        ("S21.G00.55.003", "CONTRAT-PREV-1"),
        ("S21.G00.55.004", "2024M05"),
        ("S21.G00.55.001", "25.00"),
        ("S21.G00.55.003", "CONTRAT-PREV-1"),
        ("S21.G00.55.004", "2024M05"),
        *individual("2850575116107", "MARTIN", "15051985", affiliation="1", adhesion="1"),
        *individual("1920169123456", "DURAND", "15011992", affiliation="2", adhesion="1"),
    ]


def render(
    lines: list[Line],
    *,
    line_count: int | None = None,
    declarations: int = 1,
    encoding: str = "latin-1",
) -> bytes:
    """The DSN text of `lines` followed by a correct S90 total unless told otherwise."""
    closed = [*lines, *totals(lines, declarations=declarations, line_count=line_count)]
    return dsn_bytes(closed, encoding=encoding, newline="\r\n")


def validated(lines: list[Line], **options: Any) -> ParsedFile:
    [parsed] = parse(render(lines, **options))
    return parsed


def replaced(lines: list[Line], rubric: str, value: str, occurrence: int = 0) -> list[Line]:
    """`lines` with the value of the `occurrence`-th line of `rubric` replaced."""
    positions = [i for i, (name, _) in enumerate(lines) if name == rubric]
    changed = list(lines)
    changed[positions[occurrence]] = (rubric, value)
    return changed


def without(lines: list[Line], rubric: str, occurrence: int = 0) -> list[Line]:
    positions = [i for i, (name, _) in enumerate(lines) if name == rubric]
    changed = list(lines)
    del changed[positions[occurrence]]
    return changed


def line_of(lines: list[Line], rubric: str, occurrence: int = 0) -> int:
    return [i for i, (name, _) in enumerate(lines) if name == rubric][occurrence] + 1


def findings(parsed: ParsedFile, code: str) -> list[dict[str, object]]:
    return parsed.diagnostics.filter(pl.col("code") == code).to_dicts()


def status(parsed: ParsedFile) -> int:
    [value] = parsed.declarations["status"].to_list()
    return int(value)
