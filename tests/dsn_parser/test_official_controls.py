"""The official controls (CCH, SIG) against a real file: one of the real monthly DSNs in
tests/fixtures/dsn (an employer's December 2020 declaration, with its OC chain: adhésions,
payment and components, affiliations, bases 31 and cotisations 059), declared in P24V01 so the
P24V01 catalogue applies. Each case edits the lines its control reads: `setup` makes the
control apply and still hold (the negative case), `fire` then breaks it (the positive case).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsn_parser import parse, read, validate
from dsn_parser.norm import official_controls
from dsn_parser.validation import CATALOGUE, controls_doc
from dsn_parser.validation.base_period import CONTROL_ID as SIG_17
from dsn_parser.validation.official import implemented

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dsn"
BASE = SAMPLES / "keuwa_dsn-parser_pseudonymized" / "teledsn_pseudo_01_12_2020_1610446633844.dsn"
LINE = re.compile(r"^(S\d{2}\.G\d{2}\.\d{2}\.\d{3}),'(.*)'$")

Lines = list[tuple[str, str]]
Edit = Callable[[Lines], Lines]


def base_lines() -> Lines:
    lines = []
    for text in BASE.read_text(encoding="latin-1").splitlines():
        found = LINE.match(text)
        assert found, text
        lines.append((found.group(1), found.group(2)))
    # Declared in P24V01; its DGFiP payment's 20.002 then names the PAS (a SIRET in P21V01).
    lines = set_("S10.G00.00.006", "P24V01")(lines)
    return set_("S21.G00.20.002", "DGFIP_PAS", 3)(lines)


def _positions(lines: Lines, rubric: str) -> list[int]:
    return [i for i, (name, _) in enumerate(lines) if name == rubric]


def set_(rubric: str, value: str, occurrence: int = 0) -> Edit:
    def edit(lines: Lines) -> Lines:
        changed = list(lines)
        changed[_positions(lines, rubric)[occurrence]] = (rubric, value)
        return changed

    return edit


def drop(rubric: str, occurrence: int | None = 0) -> Edit:
    """Remove one occurrence of the rubric, or every one (occurrence None)."""

    def edit(lines: Lines) -> Lines:
        positions = _positions(lines, rubric)
        gone = set(positions) if occurrence is None else {positions[occurrence]}
        return [line for i, line in enumerate(lines) if i not in gone]

    return edit


def drop_block(block: str) -> Edit:
    return lambda lines: [line for line in lines if not line[0].startswith(block)]


def after(rubric: str, added: Sequence[tuple[str, str]], occurrence: int = 0) -> Edit:
    def edit(lines: Lines) -> Lines:
        at = _positions(lines, rubric)[occurrence] + 1
        return [*lines[:at], *added, *lines[at:]]

    return edit


def individuals_removed(lines: Lines) -> Lines:
    first = _positions(lines, "S21.G00.30.001")[0]
    return [line for i, line in enumerate(lines) if i < first or line[0].startswith("S90")]


STOPPAGE = [
    ("S21.G00.60.001", "01"),
    ("S21.G00.60.002", "01122020"),
    ("S21.G00.60.003", "20122020"),
    ("S21.G00.60.004", "02"),
]
CONTRACT_END = [("S21.G00.62.001", "31122020"), ("S21.G00.62.002", "059")]
SUSPENSION = [
    ("S21.G00.65.001", "200"),
    ("S21.G00.65.002", "07122020"),
    ("S21.G00.65.003", "11122020"),
]
DEPENDANT = [
    ("S21.G00.73.001", "01"),
    ("S21.G00.73.002", "OPT1"),
    ("S21.G00.73.003", "01"),
    ("S21.G00.73.004", "01122020"),
    ("S21.G00.73.005", "01012010"),
]
IN_CONTRACT = "S21.G00.40.043"  # the contract's last rubric: its child blocks go after it
IN_AFFILIATION = "S21.G00.70.014"


def cancellation_in_the_envoi(cancelled: str) -> Edit:
    """A second declaration in the envoi: a copy of the first, of type 04 (annule), cancelling
    the declaration whose id (built date + order number) is `cancelled`."""

    def edit(lines: Lines) -> Lines:
        start, end = _positions(lines, "S20.G00.05.001")[0], _positions(lines, "S90.G00.90.001")[0]
        copy = set_("S20.G00.05.002", "04")(set_("S20.G00.05.004", "1")(lines[start:end]))
        copy = after("S20.G00.05.005", [("S20.G00.05.006", cancelled)])(copy)
        totals = [("S90.G00.90.001", str(end + len(copy) + 2)), ("S90.G00.90.002", "2")]
        return [*lines[:end], *copy, *totals]

    return edit


def stoppage(*extra: tuple[str, str]) -> Edit:
    return after(IN_CONTRACT, [*STOPPAGE, *extra])


def contract_end(*extra: tuple[str, str]) -> Edit:
    return after(IN_CONTRACT, [*CONTRACT_END, *extra])


@dataclass(frozen=True)
class Case:
    control_id: str
    fire: Sequence[Edit]
    setup: Sequence[Edit] = ()


CASES = [
    # envoi, declaration
    Case("S10.G00.00.008/CCH-11", [set_("S10.G00.00.008", "02")]),
    Case("S10.G00.01.005/CCH-12", [after("S10.G00.01.006", [("S10.G00.01.007", "BE")])]),
    Case("S10.G00.01.006/CCH-11", [drop("S10.G00.01.006")]),
    Case("S20.G00.05.002/CCH-13", [set_("S20.G00.05.002", "04")]),
    Case("S20.G00.05.002/CCH-14", [set_("S20.G00.05.001", "04"), set_("S20.G00.05.002", "02")]),
    Case(
        "S20.G00.05.002/CCH-15",
        [set_("S20.G00.05.002", "03")],
        setup=[set_("S20.G00.05.001", "08")],
    ),
    Case("S20.G00.05.002/CCH-16", [individuals_removed]),
    Case("S20.G00.05.001/CCH-11", [individuals_removed], setup=[set_("S20.G00.05.001", "08")]),
    Case(
        "S20.G00.05.001/CCH-12",
        [drop_block("S21.G00.86")],
        setup=[set_("S20.G00.05.001", "08")],
    ),
    Case(
        "S20.G00.05.001/CCH-13",
        [set_("S21.G00.70.013", "1", 2)],
        setup=[set_("S20.G00.05.001", "08")],
    ),
    Case("S20.G00.05.003/CCH-11", [set_("S20.G00.05.001", "04"), set_("S20.G00.05.003", "12")]),
    Case(
        "S20.G00.05.006/CCH-12",
        [set_("S20.G00.05.002", "01")],
        setup=[
            set_("S20.G00.05.001", "04"),
            set_("S20.G00.05.002", "03"),
            after("S20.G00.05.005", [("S20.G00.05.006", "1")]),
        ],
    ),
    Case(
        "S20.G00.05.009/CCH-11",
        [set_("S20.G00.05.009", "1740575056002")],
        setup=[after("S20.G00.05.008", [("S20.G00.05.009", "ID-1")])],
    ),
    Case("S20.G00.05.010/SIG-11", [set_("S20.G00.05.010", "02")]),
    Case(
        "S20.G00.05.011/CCH-12",
        [drop_block("S21.G00.15")],
        setup=[set_("S20.G00.05.001", "08"), after("S20.G00.05.010", [("S20.G00.05.011", "03")])],
    ),
    Case(
        "S20.G00.05.011/CCH-14",
        [set_("S20.G00.05.011", "07")],
        setup=[set_("S20.G00.05.001", "08"), after("S20.G00.05.010", [("S20.G00.05.011", "01")])],
    ),
    Case(
        "S20.G00.05.012/CCH-11",
        [set_("S20.G00.05.011", "02")],
        setup=[set_("S20.G00.05.001", "08"), after("S20.G00.05.010", [("S20.G00.05.011", "01")])],
    ),
    # company, establishment
    Case("S21.G00.06.005/CCH-11", [after("S21.G00.06.009", [("S21.G00.06.010", "BE")])]),
    Case("S21.G00.06.006/CCH-11", [drop("S21.G00.06.006")]),
    Case("S21.G00.11.004/CCH-11", [after("S21.G00.11.008", [("S21.G00.11.015", "BE")])]),
    Case("S21.G00.11.005/CCH-11", [drop("S21.G00.11.005")]),
    Case(
        "S21.G00.11.017/CCH-11",
        [drop("S21.G00.11.017")],
        setup=[
            after("S21.G00.11.008", [("S21.G00.11.017", "02")]),
            after("S21.G00.40.026", [("S21.G00.40.029", "03"), ("S21.G00.40.030", "01012019")]),
        ],
    ),
    # adhésions
    Case("S21.G00.15.001/CCH-11", [set_("S21.G00.15.001", "PR-1486", 0)]),
    Case("S21.G00.15.005/CCH-11", [set_("S21.G00.15.005", "1", 0)]),
    Case("S21.G00.15.001/CCH-13", [set_("S21.G00.70.013", "1", 2)]),
    Case("S21.G00.15.001/CCH-14", [set_("S21.G00.15.004", "02", 0)]),
    # payments and components
    Case("S21.G00.20.001/CCH-12", [drop_block("S21.G00.55")]),
    Case("S21.G00.20.002/CCH-11", [set_("S21.G00.20.002", "DGFIP_X", 3)]),
    Case("S21.G00.20.003/CCH-12", [set_("S21.G00.20.012", "12345678200028", 2)]),
    Case("S21.G00.20.005/CCH-12", [set_("S21.G00.55.001", "25.38", 0)]),
    Case("S21.G00.20.005/CCH-13", [set_("S21.G00.20.005", "1000000000.00", 3)]),
    Case(
        "S21.G00.20.007/CCH-11",
        [set_("S21.G00.20.006", "15122020", 2), set_("S21.G00.20.007", "10122020", 2)],
    ),
    Case("S21.G00.20.007/CCH-13", [set_("S21.G00.20.007", "05012021", 2)]),
    Case("S21.G00.20.010/CCH-12", [drop("S21.G00.20.004", 2)]),
    Case("S21.G00.20.010/SIG-13", [drop("S21.G00.20.003", 2)]),
    Case(
        "S21.G00.22.004/CCH-11",
        [set_("S21.G00.22.003", "15122020"), set_("S21.G00.22.004", "10122020")],
    ),
    Case("S21.G00.22.004/CCH-12", [set_("S21.G00.22.004", "05012021")]),
    Case(
        "S21.G00.55.005/CCH-11",
        [set_("S21.G00.20.007", "31122020", 2)],
        setup=[
            set_("S21.G00.20.007", "30112020", 2),
            set_("S21.G00.20.006", "01112020", 2),
            after("S21.G00.55.004", [("S21.G00.55.005", "CRM1")]),
        ],
    ),
    # individual
    Case("S21.G00.30.001/CCH-11", [set_("S21.G00.30.001", "174052A056002")]),
    Case("S21.G00.30.001/CCH-13", [set_("S21.G00.30.001", "1999999999999")]),
    Case("S21.G00.30.001/CCH-16", [set_("S21.G00.30.001", "1740575999999")]),
    Case("S21.G00.30.006/CCH-11", [set_("S21.G00.30.006", "15051975")]),
    Case("S21.G00.30.006/CCH-12", [set_("S21.G00.30.006", "15051890")]),
    Case("S21.G00.30.007/CCH-11", [drop("S21.G00.30.007")]),
    Case("S21.G00.30.009/CCH-12", [after("S21.G00.30.010", [("S21.G00.30.011", "BE")])]),
    Case("S21.G00.30.010/CCH-11", [drop("S21.G00.30.010")]),
    Case("S21.G00.30.014/CCH-11", [set_("S21.G00.30.014", "2A")]),
    Case(
        "S21.G00.30.020/CCH-12",
        [drop("S21.G00.30.020")],
        setup=[drop("S21.G00.30.001"), after("S21.G00.30.019", [("S21.G00.30.020", "123456782")])],
    ),
    Case(
        "S21.G00.30.029/CCH-11",
        [drop("S21.G00.30.007")],
        setup=[set_("S21.G00.30.014", "99")],
    ),
    # contract
    Case("S21.G00.40.001/CCH-15", [set_("S21.G00.40.001", "01011970")]),
    Case("S21.G00.40.001/SIG-14", [set_("S21.G00.40.001", "05012021")]),
    Case(
        "S21.G00.40.001/CCH-13",
        [set_("S21.G00.62.001", "31052019")],
        setup=[contract_end()],
    ),
    Case("S21.G00.40.005/CCH-21", [after("S21.G00.40.004", [("S21.G00.40.005", "999999")])]),
    Case(
        "S21.G00.40.008/CCH-14",
        [set_("S21.G00.40.007", "07")],
        setup=[set_("S21.G00.40.008", "64")],
    ),
    Case(
        "S21.G00.40.008/CCH-13",
        [set_("S21.G00.40.007", "02")],
        setup=[set_("S21.G00.40.008", "80")],
    ),
    Case(
        "S21.G00.40.009/CCH-15",
        [set_("S21.G00.40.009", "00000")],
        setup=[set_("S21.G00.40.007", "03"), set_("S21.G00.40.009", "M0001")],
    ),
    Case("S21.G00.40.010/CCH-12", [set_("S21.G00.40.007", "02")]),
    Case(
        "S21.G00.40.010/CCH-11",
        [set_("S21.G00.40.010", "01012019")],
        setup=[after("S21.G00.40.009", [("S21.G00.40.010", "31122021")])],
    ),
    Case("S21.G00.40.011/CCH-13", [set_("S21.G00.40.013", "251.00")]),
    Case("S21.G00.40.012/CCH-11", [set_("S21.G00.40.012", "0.00")]),
    Case("S21.G00.40.014/CCH-11", [set_("S21.G00.40.014", "41")]),
    Case("S21.G00.40.019/CCH-12", [set_("S21.G00.40.007", "03")]),
    Case("S21.G00.40.039/CCH-11", [set_("S21.G00.40.039", "300")]),
    Case("S21.G00.40.043/SIG-11", [drop("S21.G00.40.043")]),
    Case("S21.G00.40.046/CCH-12", [set_("S21.G00.40.007", "08")]),
    Case("S21.G00.40.057/CCH-11", [after("S21.G00.40.043", [("S21.G00.40.057", "0350")])]),
    # stoppage, contract end, suspension
    Case(
        "S21.G00.60.001/CCH-12",
        [set_("S21.G00.60.001", "99")],
        setup=[set_("S20.G00.05.001", "04"), stoppage()],
    ),
    Case("S21.G00.60.002/CCH-12", [set_("S21.G00.60.003", "30112020")], setup=[stoppage()]),
    Case("S21.G00.60.002/CCH-13", [set_("S21.G00.60.002", "01012019")], setup=[stoppage()]),
    Case(
        "S21.G00.60.002/CCH-16",
        [set_("S21.G00.60.002", "05012021"), set_("S21.G00.60.003", "20012021")],
        setup=[stoppage()],
    ),
    Case("S21.G00.60.005/CCH-11", [set_("S21.G00.60.004", "01")], setup=[stoppage()]),
    Case(
        "S21.G00.60.012/CCH-11",
        [set_("S21.G00.60.001", "06")],
        setup=[set_("S20.G00.05.001", "04"), stoppage()],
    ),
    Case(
        "S21.G00.62.001/CCH-11",
        [set_("S21.G00.62.004", "31122020")],
        setup=[contract_end(("S21.G00.62.004", "01122020"))],
    ),
    Case("S21.G00.62.001/SIG-13", [set_("S21.G00.62.001", "31012021")], setup=[contract_end()]),
    Case("S21.G00.62.002/CCH-14", [set_("S21.G00.62.002", "116")], setup=[contract_end()]),
    Case(
        "S21.G00.65.002/CCH-11",
        [set_("S21.G00.65.002", "01012019")],
        setup=[after(IN_CONTRACT, SUSPENSION)],
    ),
    Case(
        "S21.G00.65.003/CCH-11",
        [set_("S21.G00.65.003", "01122020")],
        setup=[after(IN_CONTRACT, SUSPENSION)],
    ),
    Case(
        "S21.G00.65.002/SIG-12",
        [set_("S21.G00.65.002", "04012021"), set_("S21.G00.65.003", "11012021")],
        setup=[after(IN_CONTRACT, SUSPENSION)],
    ),
    # affiliations, dependants
    Case("S21.G00.70.012/CCH-11", [set_("S21.G00.70.012", "21", 1)]),
    Case("S21.G00.70.013/CCH-11", [set_("S21.G00.70.013", "9", 1)]),
    Case(
        "S21.G00.70.013/CCH-12",
        [set_("S21.G00.70.013", "2", 1), set_("S21.G00.70.005", "B-ENSPS", 1)],
        setup=[
            after(IN_CONTRACT, [("S21.G00.70.004", "OPT")]),
            after(IN_AFFILIATION, [("S21.G00.70.004", "OPT")]),
        ],
    ),
    Case("S21.G00.70.014/SIG-11", [set_("S21.G00.70.014", "01012021")]),
    Case(
        "S21.G00.70.015/CCH-11",
        [set_("S21.G00.70.015", "31122019")],
        setup=[after(IN_AFFILIATION, [("S21.G00.70.015", "31122020")])],
    ),
    Case(
        "S21.G00.73.005/CCH-11",
        [set_("S21.G00.73.005", "01011850")],
        setup=[after(IN_AFFILIATION, DEPENDANT)],
    ),
    Case(
        "S21.G00.73.011/CCH-11",
        [set_("S21.G00.73.011", "30112020")],
        setup=[after(IN_AFFILIATION, [*DEPENDANT, ("S21.G00.73.011", "31122020")])],
    ),
    # bases, components, cotisations
    Case("S21.G00.78.001/CCH-13", [set_("S21.G00.78.005", "22", 0)]),
    Case(
        "S21.G00.78.003/CCH-12",
        [set_("S21.G00.78.002", "15122020", 4), set_("S21.G00.78.003", "10122020", 4)],
    ),
    Case("S21.G00.78.003/CCH-16", [set_("S21.G00.78.002", "01112019", 4)]),
    Case("S21.G00.78.003/SIG-11", [set_("S21.G00.78.002", "01112020", 4)]),
    # the bases 31 cover December: the contract behind their affiliations starts on the 10th
    Case("S21.G00.78.003/SIG-17", [set_("S21.G00.40.001", "10122020")]),
    Case("S21.G00.78.004/CCH-11", [set_("S21.G00.78.004", "1.00", 4)]),
    Case("S21.G00.78.005/CCH-11", [drop("S21.G00.78.005", 0)]),
    Case("S21.G00.79.001/CCH-11", [drop("S21.G00.79.001", 1), drop("S21.G00.79.004", 1)]),
    Case("S21.G00.79.001/CCH-12", [set_("S21.G00.79.001", "02", 1)]),
    Case("S21.G00.79.001/CCH-14", [set_("S21.G00.78.001", "04", 1)]),
    Case("S21.G00.79.001/CCH-16", [set_("S21.G00.79.001", "11", 3)]),
    Case("S21.G00.79.001/CCH-17", [set_("S21.G00.79.001", "01", 1)]),
    Case(
        "S21.G00.79.001/SIG-19",
        [set_("S21.G00.79.004", "1.00", 1)],
        setup=[
            set_("S21.G00.79.001", "23", 1),
            set_("S21.G00.79.004", "0.00", 1),
            set_("S21.G00.81.004", "0.00", 4),
        ],
    ),
    Case("S21.G00.81.001/CCH-13", [set_("S21.G00.81.001", "059", 0)]),
    Case("S21.G00.81.001/CCH-15", [drop("S21.G00.81.001", 4), drop("S21.G00.81.004", 4)]),
    Case("S21.G00.81.001/CCH-16", [drop("S21.G00.81.003", 0)]),
    Case("S21.G00.81.002/CCH-11", [after("S21.G00.81.001", [("S21.G00.81.002", "P1020")], 4)]),
    Case("S21.G00.81.003/CCH-12", [after("S21.G00.81.001", [("S21.G00.81.003", "47.00")], 4)]),
    Case("S21.G00.81.004/CCH-11", [drop("S21.G00.81.004", 4)]),
    Case("S21.G00.81.004/CCH-12", [drop("S21.G00.81.004", 0)]),
    # a block the insurer does not read, behind a control of its own it used to run
    Case(
        "S21.G00.51.002/CCH-11",
        [set_("S21.G00.51.001", "15122020", 0), set_("S21.G00.51.002", "10122020", 0)],
    ),
]


SUBROGATION = [
    ("S21.G00.60.004", "01"),
    ("S21.G00.60.005", "02122020"),
    ("S21.G00.60.006", "20122020"),
    ("S21.G00.60.007", "FR7630006000011234567890189"),
    ("S21.G00.60.008", "AGRIFRPP"),
]
PAYER_ELSEWHERE = [set_("S21.G00.20.012", "12345678200028", 2)]
EVENT = set_("S20.G00.05.001", "04")
FCTU = set_("S20.G00.05.001", "07")
CONTRACT_RUBRIC = "S21.G00.40.043"


def contract_rubric(rubric: str, value: str) -> Edit:
    return after(CONTRACT_RUBRIC, [(rubric, value)])


MORE_CASES = [
    Case(
        "S21.G00.16.001/SIG-11",
        [after("S21.G00.15.005", [("S21.G00.16.001", "05012021"), ("S21.G00.16.002", "P1020")])],
    ),
    Case("S21.G00.20.004/CCH-12", PAYER_ELSEWHERE),
    Case("S21.G00.20.010/SIG-14", PAYER_ELSEWHERE),
    Case("S21.G00.20.012/CCH-11", PAYER_ELSEWHERE),
    Case("S21.G00.20.012/CCH-12", [set_("S21.G00.20.010", "06", 2)]),
    Case("S21.G00.20.013/CCH-11", [after("S21.G00.20.012", [("S21.G00.20.013", "CRM1")], 2)]),
    Case("S21.G00.22.006/CCH-11", [after("S21.G00.22.005", [("S21.G00.22.006", "CRM1")])]),
    Case(
        "S21.G00.30.020/CCH-13",
        [set_("S21.G00.30.020", "X999999999")],
        setup=[after("S21.G00.30.019", [("S21.G00.30.020", "X123456782")])],
    ),
    Case("S21.G00.30.025/CCH-11", [set_("S21.G00.40.008", "64")]),
    Case("S21.G00.31.001/CCH-12", [after("S21.G00.30.019", [("S21.G00.31.001", "01122020")])]),
    Case(
        "S21.G00.31.001/SIG-11",
        [after("S21.G00.30.019", [("S21.G00.31.001", "05012021"), ("S21.G00.31.009", "NOM")])],
    ),
    Case(
        "S21.G00.31.011/CCH-12",
        [after("S21.G00.30.019", [("S21.G00.31.001", "01122020"), ("S21.G00.31.011", "01011800")])],
    ),
    Case("S21.G00.40.005/CCH-11", [set_("S21.G00.40.004", "389b")]),
    Case("S21.G00.40.005/CCH-12", [set_("S21.G00.40.004", "352a")]),
    Case("S21.G00.40.005/CCH-13", [set_("S21.G00.40.004", "463a")]),
    Case("S21.G00.40.005/CCH-14", [set_("S21.G00.40.004", "643a")]),
    Case("S21.G00.40.005/SIG-20", [set_("S21.G00.40.004", "546d")]),
    Case("S21.G00.40.005/CCH-19", [after("S21.G00.40.004", [("S21.G00.40.005", "S001")])]),
    Case("S21.G00.40.008/CCH-11", [set_("S21.G00.40.008", "81")]),
    Case("S21.G00.40.008/CCH-12", [set_("S21.G00.40.008", "70")]),
    Case(
        "S21.G00.40.008/CCH-15",
        [set_("S21.G00.40.007", "07")],
        setup=[set_("S21.G00.40.008", "21")],
    ),
    Case("S21.G00.40.008/CCH-16", [set_("S21.G00.40.008", "71")]),
    Case(
        "S21.G00.40.008/CCH-18",
        [set_("S21.G00.40.007", "07")],
        setup=[set_("S10.G00.00.006", "P26V01"), set_("S21.G00.40.008", "83")],
    ),
    Case("S21.G00.40.011/CCH-11", [set_("S21.G00.40.011", "31")]),
    Case("S21.G00.40.011/CCH-12", [set_("S21.G00.40.011", "12")]),
    Case("S21.G00.40.011/SIG-14", [set_("S21.G00.40.011", "32")]),
    Case("S21.G00.40.021/CCH-12", [after("S21.G00.40.020", [("S21.G00.40.021", "11")])]),
    Case("S21.G00.40.021/CCH-13", [after("S21.G00.40.020", [("S21.G00.40.021", "14")])]),
    Case("S21.G00.40.022/CCH-11", [after("S21.G00.40.020", [("S21.G00.40.022", "99")])]),
    Case(
        "S21.G00.40.027/CCH-11",
        [after("S21.G00.40.026", [("S21.G00.40.027", "01"), ("S21.G00.40.029", "01")])],
    ),
    Case("S21.G00.40.029/CCH-11", [after("S21.G00.40.026", [("S21.G00.40.029", "05")])]),
    Case(
        "S21.G00.40.029/SIG-12",
        [set_("S21.G00.11.017", "02")],
        setup=[after("S21.G00.11.008", [("S21.G00.11.017", "01")])],
    ),
    Case("S21.G00.40.030/CCH-11", [after("S21.G00.40.026", [("S21.G00.40.029", "03")])]),
    Case(
        "S21.G00.40.032/CCH-11",
        [after("S21.G00.40.026", [("S21.G00.40.029", "01"), ("S21.G00.40.032", "01012020")])],
    ),
    Case("S21.G00.40.033/CCH-11", [after("S21.G00.40.026", [("S21.G00.40.029", "02")])]),
    Case("S21.G00.40.040/CCH-15", [set_("S21.G00.40.040", "RA123")]),
    Case("S21.G00.40.041/CCH-11", [after("S21.G00.40.040", [("S21.G00.40.041", "ZZZ")])]),
    Case("S21.G00.40.042/CCH-11", [after("S21.G00.40.040", [("S21.G00.40.042", "12345")])]),
    Case("S21.G00.40.046/CCH-11", [set_("S21.G00.40.007", "03")]),
    *(
        Case(f"{rubric}/CCH-11", [contract_rubric(rubric, "1")])
        for rubric in (
            "S21.G00.40.050",
            "S21.G00.40.052",
            "S21.G00.40.053",
            "S21.G00.40.054",
            "S21.G00.40.058",
            "S21.G00.40.059",
            "S21.G00.40.060",
            "S21.G00.40.061",
            "S21.G00.40.062",
            "S21.G00.40.063",
            "S21.G00.40.064",
            "S21.G00.40.065",
            "S21.G00.40.066",
            "S21.G00.40.076",
            "S21.G00.40.080",
        )
    ),
    *(
        Case(f"{rubric}/CCH-12", [contract_rubric(rubric, "ZZ9")])
        for rubric in (
            "S21.G00.40.057",
            "S21.G00.40.060",
            "S21.G00.40.061",
            "S21.G00.40.063",
            "S21.G00.40.064",
            "S21.G00.40.065",
        )
    ),
    Case("S21.G00.40.069/CCH-11", [contract_rubric("S21.G00.40.069", "ZZZ")]),
    Case("S21.G00.40.071/CCH-11", [contract_rubric("S21.G00.40.071", "000")]),
    Case("S21.G00.40.079/CCH-11", [contract_rubric("S21.G00.40.079", "99999")]),
    Case("S21.G00.40.080/CCH-12", [contract_rubric("S21.G00.40.080", "999")]),
    Case("S21.G00.40.081/CCH-11", [contract_rubric("S21.G00.40.081", "999999999")]),
    Case("S21.G00.40.074/CCH-11", [contract_rubric("S21.G00.40.074", "03")]),
    Case("S21.G00.60.001/CCH-14", [set_("S21.G00.60.001", "15")], setup=[EVENT, stoppage()]),
    Case("S21.G00.60.001/SIG-13", [set_("S21.G00.60.001", "15")], setup=[stoppage()]),
    Case(
        "S21.G00.60.002/CCH-17",
        [set_("S21.G00.62.001", "30112020")],
        setup=[stoppage(), after("S21.G00.60.004", CONTRACT_END)],
    ),
    Case("S21.G00.60.002/CCH-18", [set_("S21.G00.60.002", "01012019")], setup=[EVENT, stoppage()]),
    Case(
        "S21.G00.60.002/SIG-14",
        [set_("S21.G00.60.002", "15012021"), set_("S21.G00.60.003", "20012021")],
        setup=[EVENT, stoppage()],
    ),
    Case(
        "S21.G00.60.006/CCH-11",
        [after("S21.G00.60.004", [("S21.G00.60.006", "20122020")])],
        setup=[stoppage()],
    ),
    Case(
        "S21.G00.60.006/CCH-12",
        [set_("S21.G00.60.006", "01112020")],
        setup=[after(IN_CONTRACT, [*STOPPAGE[:3], *SUBROGATION])],
    ),
    Case(
        "S21.G00.60.007/CCH-11",
        [drop("S21.G00.60.007")],
        setup=[after(IN_CONTRACT, [*STOPPAGE[:3], *SUBROGATION])],
    ),
    Case(
        "S21.G00.60.008/CCH-11",
        [drop("S21.G00.60.008")],
        setup=[after(IN_CONTRACT, [*STOPPAGE[:3], *SUBROGATION])],
    ),
    Case(
        "S21.G00.60.010/CCH-11",
        [set_("S21.G00.60.010", "30112020")],
        setup=[stoppage(("S21.G00.60.010", "21122020"), ("S21.G00.60.011", "01"))],
    ),
    Case(
        "S21.G00.60.010/SIG-12",
        [set_("S21.G00.60.010", "05012021")],
        setup=[stoppage(("S21.G00.60.010", "21122020"), ("S21.G00.60.011", "01"))],
    ),
    Case(
        "S21.G00.60.011/CCH-12",
        [set_("S21.G00.60.011", "02")],
        setup=[EVENT, stoppage(("S21.G00.60.010", "21122020"), ("S21.G00.60.011", "01"))],
    ),
    Case(
        "S21.G00.60.012/SIG-14",
        [set_("S21.G00.60.012", "01012019")],
        setup=[EVENT, stoppage(("S21.G00.60.012", "01122020")), set_("S21.G00.60.001", "06")],
    ),
    Case("S21.G00.62.002/CCH-13", [set_("S21.G00.62.002", "099")], setup=[FCTU, contract_end()]),
    Case(
        "S21.G00.62.003/CCH-11",
        [set_("S21.G00.62.003", "05012021")],
        setup=[FCTU, contract_end(("S21.G00.62.003", "01122020"))],
    ),
    Case("S21.G00.62.011/CCH-11", [set_("S21.G00.62.002", "026")], setup=[FCTU, contract_end()]),
    Case("S21.G00.62.013/CCH-11", [set_("S21.G00.62.002", "114")], setup=[FCTU, contract_end()]),
    Case("S21.G00.62.018/CCH-11", [set_("S21.G00.62.002", "114")], setup=[FCTU, contract_end()]),
    Case(
        "S21.G00.65.002/CCH-13",
        [set_("S21.G00.62.001", "05122020")],
        setup=[after(IN_CONTRACT, [*CONTRACT_END, *SUSPENSION])],
    ),
    Case(
        "S21.G00.65.004/CCH-11",
        [set_("S21.G00.65.001", "655")],
        setup=[after(IN_CONTRACT, SUSPENSION)],
    ),
    Case(
        "S21.G00.70.015/SIG-12",
        [set_("S21.G00.70.015", "05012021")],
        setup=[after(IN_AFFILIATION, [("S21.G00.70.015", "31122020")])],
    ),
    Case("S21.G00.71.002/CCH-12", [after("S21.G00.71.002", [("S21.G00.71.002", "90000")])]),
    Case("S21.G00.71.002/SIG-11", [set_("S21.G00.71.002", "CRPCEN")]),
    Case("S21.G00.71.002/SIG-14", [set_("S21.G00.40.020", "140")]),
    Case("S21.G00.71.003/SIG-11", [set_("S21.G00.71.002", "IRCANTEC")]),
    Case(
        "S21.G00.73.004/SIG-11",
        [set_("S21.G00.73.004", "05012021")],
        setup=[after(IN_AFFILIATION, DEPENDANT)],
    ),
    Case(
        "S21.G00.73.007/CCH-11",
        [set_("S21.G00.73.007", "2100520056002")],
        setup=[after(IN_AFFILIATION, [*DEPENDANT, ("S21.G00.73.007", "2100575056002")])],
    ),
    Case(
        "S21.G00.73.007/CCH-12",
        [set_("S21.G00.73.007", "2100575999999")],
        setup=[after(IN_AFFILIATION, [*DEPENDANT, ("S21.G00.73.007", "2100575056002")])],
    ),
    Case("S21.G00.78.003/CCH-15", [set_("S21.G00.78.003", "05012021", 4)]),
    Case("S21.G00.78.007/CCH-11", [after("S21.G00.78.006", [("S21.G00.78.007", "CRM1")], 4)]),
    Case("S21.G00.79.005/CCH-11", [after("S21.G00.79.004", [("S21.G00.79.005", "CRM1")], 1)]),
    Case("S21.G00.79.001/CCH-13", [set_("S21.G00.79.001", "23", 1)]),
    Case("S21.G00.79.001/SIG-18", [set_("S21.G00.79.001", "23", 2)]),
    Case("S21.G00.81.001/CCH-11", [set_("S21.G00.78.001", "28", 0)]),
    Case("S21.G00.81.003/CCH-11", [set_("S21.G00.81.001", "060", 0)]),
    Case("S21.G00.81.004/CCH-13", [set_("S21.G00.81.001", "060", 0), drop("S21.G00.81.004", 0)]),
    Case("S21.G00.81.005/CCH-11", [after("S21.G00.81.004", [("S21.G00.81.005", "75056")], 4)]),
    Case("S21.G00.81.006/CCH-11", [after("S21.G00.81.004", [("S21.G00.81.006", "CRM1")], 4)]),
    # issue 19: the controls the coverage table still listed as to do
    Case(
        "S20.G00.05.002/CCH-11",
        [cancellation_in_the_envoi("120120210")],  # the first one: built 12/01/2021, order 0
        setup=[cancellation_in_the_envoi("050120210")],  # one sent in another envoi
    ),
    Case(
        "S21.G00.06.012/SIG-11",
        [drop("S21.G00.06.012")],
        setup=[after("S21.G00.06.009", [("S21.G00.06.010", "BE"), ("S21.G00.06.012", "02")])],
    ),
    Case(
        "S21.G00.20.008/CCH-15",
        [after("S21.G00.20.007", [("S21.G00.20.008", "GES001")], 0)],  # to the Urssaf
        setup=[after("S21.G00.20.007", [("S21.G00.20.008", "GES001")], 2)],  # to the OC
    ),
    Case(
        "S21.G00.40.021/SIG-11",
        [drop("S21.G00.40.021")],
        setup=[
            set_("S21.G00.40.007", "02"),
            after("S21.G00.40.020", [("S21.G00.40.021", "01")]),
        ],
    ),
    # the quarter after the one over on 31/12/2020 may be paid (2021T01), not the next one
    Case(
        "S21.G00.55.004/CCH-11",
        [set_("S21.G00.55.004", "2021T02", 1)],
        setup=[set_("S21.G00.55.004", "2021T01", 0)],
    ),
    Case(
        "S21.G00.62.021/CCH-11",
        [set_("S21.G00.40.007", "01")],
        setup=[
            set_("S10.G00.00.006", "P25V01"),
            set_("S21.G00.40.007", "02"),
            contract_end(("S21.G00.62.021", "01")),
        ],
    ),
]
CASES += MORE_CASES


def apply(edits: Sequence[Edit]) -> Lines:
    lines = base_lines()
    for edit in edits:
        lines = edit(lines)
    return lines


def raised(lines: Lines, control_id: str) -> pl.DataFrame:
    text = "\n".join(f"{rubric},'{value}'" for rubric, value in lines) + "\n"
    [parsed] = parse(text.encode("latin-1"))
    return parsed.diagnostics.filter(pl.col("code") == control_id)


@pytest.mark.parametrize("case", CASES, ids=[case.control_id for case in CASES])
def test_an_official_control_holds_on_the_real_file_and_fires_once_broken(case: Case) -> None:
    assert raised(apply(case.setup), case.control_id).is_empty()
    found = raised(apply([*case.setup, *case.fire]), case.control_id)
    control = official_controls()[case.control_id]
    assert found.height >= 1
    assert set(found["message"]) == {control.message}
    blocking = control.blocking and not control.on_trial
    assert set(found["severity"]) == {"error" if blocking else "warning"}


def test_every_case_names_an_implemented_control_once() -> None:
    ids = [case.control_id for case in CASES]
    assert len(ids) == len(set(ids))
    assert set(ids) <= implemented()


def test_every_control_implemented_or_raised_is_in_the_catalogue() -> None:
    assert implemented() <= set(official_controls())
    assert implemented() <= set(CATALOGUE)
    # none is both implemented and argued away
    assert not [c for c in implemented() if official_controls()[c].not_applicable]


def test_the_real_monthly_file_raises_no_official_control_once_declared_in_p24() -> None:
    [parsed] = parse(
        "\n".join(f"{rubric},'{value}'" for rubric, value in base_lines()).encode("latin-1") + b"\n"
    )
    assert not parsed.diagnostics["code"].str.contains("/").any()


def test_an_envoi_in_an_older_norm_is_not_held_to_the_p24_catalogue() -> None:
    lines = set_("S10.G00.00.006", "P21V01")(apply([set_("S21.G00.30.006", "15051975")]))
    assert raised(lines, "S21.G00.30.006/CCH-11").is_empty()


def test_on_an_oc_copy_a_blocking_control_is_only_a_warning() -> None:
    lines = apply(
        [
            set_("S21.G00.30.001", "1999999999999"),
            after("S10.G00.01.006", [("S10.G00.95.001", "DEPOSANT")]),
        ]
    )
    assert official_controls()["S21.G00.30.001/CCH-13"].blocking
    [found] = raised(lines, "S21.G00.30.001/CCH-13").to_dicts()
    assert found["severity"] == "warning"


def test_the_coverage_table_is_up_to_date() -> None:
    assert controls_doc.DOC.read_text(encoding="utf-8") == controls_doc.render(), (
        "run python -m dsn_parser.validation.controls_doc"
    )


def test_in_a_file_mixing_norms_a_control_fires_only_on_the_envois_of_its_versions() -> None:
    broken = apply([set_("S21.G00.30.006", "15051975")])
    older = set_("S10.G00.00.006", "P21V01")(broken)
    [parsed] = parse(
        "\n".join(f"{rubric},'{value}'" for rubric, value in [*older, *broken]).encode("latin-1")
        + b"\n"
    )
    found = parsed.diagnostics.filter(pl.col("code") == "S21.G00.30.006/CCH-11")
    second_envoi = len(older) + 1
    assert found["line"].to_list() == [second_envoi + _positions(broken, "S21.G00.30.006")[0]]


def test_a_declared_value_that_does_not_fit_its_type_is_still_declared_for_the_rules() -> None:
    # The cotisation 059's amount, unreadable as an amount: the typed table holds a null, but
    # the amount is declared, so "declared for a cotisation 059" holds (the format control
    # reports the value).
    lines = apply([set_("S21.G00.81.004", "47,00", 4)])
    text = "\n".join(f"{rubric},'{value}'" for rubric, value in lines).encode("latin-1") + b"\n"
    [parsed] = parse(text)
    assert parsed.blocks["S21.G00.81"]["S21.G00.81.004"].null_count() == 1
    assert raised(lines, "S21.G00.81.004/CCH-11").is_empty()
    assert parsed.diagnostics.filter(pl.col("rubric") == "S21.G00.81.004")["code"].to_list() == [
        "CSL-FORMAT"
    ]


def test_the_rules_find_the_same_without_the_block_tables() -> None:
    # A reader that hands validation its lines without block tables (or tables missing a
    # block) gets the same findings: the values are then read from the lines.
    lines = apply(
        [
            set_("S21.G00.30.006", "15051975"),  # a code
            set_("S21.G00.78.004", "1.00", 4),  # an amount
            contract_end(),
            set_("S21.G00.62.001", "31012021"),  # a date
        ]
    )
    text = "\n".join(f"{rubric},'{value}'" for rubric, value in lines).encode("latin-1") + b"\n"
    [with_tables] = parse(text)
    [read_alone] = read(text)
    read_alone.blocks = {}
    without_tables = validate(read_alone)
    assert {"S21.G00.30.006/CCH-11", "S21.G00.78.004/CCH-11", "S21.G00.62.001/SIG-13"} <= set(
        with_tables.diagnostics["code"]
    )
    assert with_tables.diagnostics.equals(without_tables.diagnostics)


def test_a_damaged_payment_period_is_left_to_its_format_control() -> None:
    # S21.G00.55.004/CCH-11 reads the period as numbers: garbage there is CSL-REGEXP's, and must
    # not break the validation of the whole file.
    lines = apply([set_("S21.G00.55.004", "¼/±ïM01", 0)])
    assert raised(lines, "S21.G00.55.004/CCH-11").is_empty()
    assert not raised(lines, "CSL-REGEXP").is_empty()


# --- S21.G00.78.003/SIG-17: a base 31's period within the activity of its affiliation's contract
# (the sample's employee: one contract from 01/06/2019, three affiliations 21-23 under it, and
# three bases 31 naming them, each covering December 2020).


def second_contract(start: str) -> Edit:
    """A second contract of the employee, from `start`, after his first one's affiliations, with
    an affiliation of its own (id 24)."""

    def edit(lines: Lines) -> Lines:
        contract = [(rubric, value) for rubric, value in lines if rubric.startswith("S21.G00.40.")]
        contract = set_("S21.G00.40.009", "00002")(set_("S21.G00.40.001", start)(contract))
        affiliation = [
            ("S21.G00.70.005", "C4P"),
            ("S21.G00.70.012", "24"),
            ("S21.G00.70.013", "3"),
            ("S21.G00.70.014", "01012020"),
        ]
        return after(IN_AFFILIATION, [*contract, *affiliation], 2)(lines)

    return edit


@pytest.mark.parametrize(
    ("edits", "fires"),
    [
        ([contract_end()], False),  # ended on the last day of the bases' period
        ([contract_end(), set_("S21.G00.62.001", "15122020")], True),
        # a cancelled end is no end: the contract runs to the end of the declared month
        ([contract_end(("S21.G00.62.001", "15122020")), set_("S21.G00.62.002", "099")], False),
        ([set_("S21.G00.40.001", "01122020")], False),  # started on the period's first day
        # affiliations of a mission contract only: the control does not apply
        ([set_("S21.G00.40.001", "10122020"), set_("S21.G00.40.007", "03")], False),
        # an envoi in a version whose catalogue lacks the control
        ([set_("S21.G00.40.001", "10122020"), set_("S10.G00.00.006", "P21V01")], False),
    ],
    ids=[
        "end-on-period-end",
        "end-mid-period",
        "cancelled-end",
        "start-on-period-start",
        "mission",
        "older-norm",
    ],
)
def test_sig17_reads_the_contract_activity_the_catalogue_defines(
    edits: Sequence[Edit], fires: bool
) -> None:
    lines = apply(edits)
    found = raised(lines, SIG_17)
    # one finding per base 31, on its S21.G00.78.003 line; the other bases are not checked
    bases_31 = _positions(lines, "S21.G00.78.003")[4:]
    assert found["line"].to_list() == ([i + 1 for i in bases_31] if fires else [])


def test_sig17_follows_each_base_to_the_contract_of_its_own_affiliation() -> None:
    later = second_contract("10122020")
    # the third base 31 still names affiliation 23, of the first contract
    assert raised(apply([later]), SIG_17).is_empty()
    lines = apply([later, set_("S21.G00.78.005", "24", 2)])
    third_base = _positions(lines, "S21.G00.78.003")[6]
    assert raised(lines, SIG_17)["line"].to_list() == [third_base + 1]


def _ddmmyyyy(day: date) -> str:
    return day.strftime("%d%m%Y")


DECEMBER = date(2020, 12, 1)


@settings(max_examples=20, deadline=None)
@given(
    start=st.dates(date(2020, 11, 1), date(2020, 12, 31)),
    ends_after=st.none() | st.integers(0, 60),
    cancelled=st.booleans(),
    base_start=st.integers(0, 30),
    base_days=st.integers(0, 30),
)
def test_sig17_fires_exactly_when_the_period_leaves_the_activity(
    start: date, ends_after: int | None, cancelled: bool, base_start: int, base_days: int
) -> None:
    first = DECEMBER + timedelta(days=base_start)
    last = min(first + timedelta(days=base_days), date(2020, 12, 31))
    edits = [set_("S21.G00.40.001", _ddmmyyyy(start))]
    activity_end = date(2020, 12, 31)  # the declared month's last day
    if ends_after is not None:
        end = start + timedelta(days=ends_after)
        reason = "099" if cancelled else "059"
        edits.append(contract_end())
        edits += [set_("S21.G00.62.001", _ddmmyyyy(end)), set_("S21.G00.62.002", reason)]
        activity_end = activity_end if cancelled else end
    for base in (4, 5, 6):
        edits += [
            set_("S21.G00.78.002", _ddmmyyyy(first), base),
            set_("S21.G00.78.003", _ddmmyyyy(last), base),
        ]
    outside = first < start or last > activity_end
    assert raised(apply(edits), SIG_17).height == (3 if outside else 0)


def test_sig17_finds_the_same_without_the_block_tables() -> None:
    lines = apply([set_("S21.G00.40.001", "10122020"), contract_end()])
    text = "\n".join(f"{rubric},'{value}'" for rubric, value in lines).encode("latin-1") + b"\n"
    [with_tables] = parse(text)
    [read_alone] = read(text)
    read_alone.blocks = {}
    without_tables = validate(read_alone)
    assert with_tables.diagnostics.filter(pl.col("code") == SIG_17).height == 3
    assert with_tables.diagnostics.equals(without_tables.diagnostics)
