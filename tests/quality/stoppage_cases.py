"""Hand-written DSN sequences for the stoppage tests: one employee (NIR 2850575116107, contract
C0001 started 01/09/2015, non-cadre) of one establishment, covered by a provident contract with
a 90-day franchise; the monthly DSNs and signalements payroll would send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

import polars as pl

from dsn_parser import parse
from dsn_parser.model import ParsedFile
from quality.stoppages import StoppageResults, build
from quality.stoppages.inputs import inputs_from_parsed
from quality.stoppages.terms import ProvidentTerms
from tests.dsn_parser.dsn_text import Line, d, dsn_bytes, envoi, sender_header

SIREN = "732829320"
SIRET = SIREN + "00017"
NIR = "2850575116107"
# Her temporary number before the NIR: sex, the employer's SIREN, a number (S21.G00.30.020/CCH-13).
NTT = "2" + SIREN + "00000001"
# The employer's account, where the daily allowances go under subrogation (S21.G00.60.007/.008).
IBAN, BIC = "FR7630006000011234567890189", "AGRIFRPPXXX"
CONTRACT_START = date(2015, 9, 1)
CONTRACT_REFERENCE = "PREV-1"
TERMS = ProvidentTerms(
    contract_reference=CONTRACT_REFERENCE,
    siren=SIREN,
    categories=frozenset({"01", "04"}),
    franchise_days=90,
    reference_salary_months=3,
    allowance_percent=Decimal("80"),
)


@dataclass(frozen=True)
class Stoppage:
    """An S21.G00.60 block as one file declares it."""

    reason: str
    last_day_worked: date
    planned_end: date
    subrogation_end: date | None = None
    return_date: date | None = None
    return_reason: str = "01"
    therapeutic: tuple[date, date, str] | None = None  # S21.G00.66 period and pay

    def lines(self, nature: str) -> list[Line]:
        lines = [
            ("S21.G00.60.001", self.reason),
            ("S21.G00.60.002", d(self.last_day_worked)),
            ("S21.G00.60.003", d(self.planned_end)),
        ]
        if nature in ("01", "04"):
            lines.append(("S21.G00.60.004", "01" if self.subrogation_end else "02"))
            if self.subrogation_end:
                first_off = self.last_day_worked + timedelta(days=1)
                lines += [
                    ("S21.G00.60.005", d(first_off)),
                    ("S21.G00.60.006", d(self.subrogation_end)),
                    ("S21.G00.60.007", IBAN),
                    ("S21.G00.60.008", BIC),
                ]
        if self.return_date:
            lines += [
                ("S21.G00.60.010", d(self.return_date)),
                ("S21.G00.60.011", self.return_reason),
            ]
        if self.therapeutic:
            start, end, pay = self.therapeutic
            lines += [
                ("S21.G00.66.001", d(start)),
                ("S21.G00.66.002", d(end)),
                ("S21.G00.66.003", pay),
            ]
        return lines


def _header(
    nature: str, month: date, built: date, kind: str = "01", replaces: str | None = None
) -> list[Line]:
    """Declaration, company, establishment and adhésion; a signalement has no main month."""
    full = nature == "01"
    lines = [
        ("S20.G00.05.001", nature),
        ("S20.G00.05.002", kind),
        ("S20.G00.05.003", "11"),
        ("S20.G00.05.004", f"{int(nature)}{built:%m%d}{kind}"),
    ]
    lines += [("S20.G00.05.005", d(month.replace(day=1)))] if full else []
    lines += [("S20.G00.05.006", replaces)] if replaces else []
    lines.append(("S20.G00.05.007", d(built)))
    lines += [("S20.G00.05.008", "01"), ("S20.G00.05.010", "01")] if full else []
    lines.append(("S21.G00.06.001", SIREN))
    lines += [("S21.G00.06.003", "7010Z")] if full else []
    lines.append(("S21.G00.11.001", SIRET[9:]))
    lines += [("S21.G00.11.002", "7010Z"), ("S21.G00.11.022", "1486")] if full else []
    lines += [("S21.G00.15.001", CONTRACT_REFERENCE), ("S21.G00.15.002", "P1020")]
    lines += [("S21.G00.15.004", "01")] if full else []
    return [*lines, ("S21.G00.15.005", "1")]


def _individual(nature: str, ntt: str | None = None, nir: str | None = NIR) -> list[Line]:
    lines = [("S21.G00.30.001", nir)] if nir else []
    lines += [("S21.G00.30.002", "MARTIN"), ("S21.G00.30.004", "JEANNE")]
    lines += [("S21.G00.30.006", "15031985")]
    if nature == "01":
        lines += [
            ("S21.G00.30.007", "PARIS"),
            ("S21.G00.30.013", "01"),
            ("S21.G00.30.014", "75"),
            ("S21.G00.30.015", "FR"),
        ]
    lines += [("S21.G00.30.020", ntt)] if ntt else []
    lines.append(("S21.G00.40.001", d(CONTRACT_START)))
    if nature == "01":
        lines += [
            ("S21.G00.40.002", "04"),
            ("S21.G00.40.003", "04"),
            ("S21.G00.40.004", "2331"),
            ("S21.G00.40.006", "Comptable"),
            ("S21.G00.40.007", "01"),
            ("S21.G00.40.008", "99"),
        ]
    lines.append(("S21.G00.40.009", "C0001"))
    if nature == "01":
        lines += [
            ("S21.G00.40.011", "10"),
            ("S21.G00.40.012", "151.67"),
            ("S21.G00.40.013", "151.67"),
            ("S21.G00.40.014", "10"),
            ("S21.G00.40.016", "99"),
            ("S21.G00.40.017", "1486"),
            ("S21.G00.40.018", "200"),
            ("S21.G00.40.019", SIRET),
            ("S21.G00.40.020", "200"),
            ("S21.G00.40.024", "99"),
            ("S21.G00.40.026", "99"),
            ("S21.G00.40.036", "03"),
            ("S21.G00.40.037", "03"),
            ("S21.G00.40.039", "200"),
            ("S21.G00.40.040", "7010Z"),
        ]
    return lines


def _pay(month: date, gross: str) -> list[Line]:
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return [
        ("S21.G00.70.012", "1"),
        ("S21.G00.70.013", "1"),
        ("S21.G00.71.002", "RUAA"),
        ("S21.G00.50.001", d(last)),
        ("S21.G00.50.002", gross),
        ("S21.G00.50.004", gross),
        ("S21.G00.50.006", "4.00"),
        ("S21.G00.50.007", "01"),
        ("S21.G00.50.009", "100.00"),
        ("S21.G00.50.013", gross),
        ("S21.G00.51.001", d(month)),
        ("S21.G00.51.002", d(last)),
        ("S21.G00.51.010", "C0001"),
        ("S21.G00.51.011", "001"),
        ("S21.G00.51.013", gross),
        # The affiliation's contribution (base 31 for affiliation 1: S21.G00.78.001/CCH-13).
        ("S21.G00.78.001", "31"),
        ("S21.G00.78.002", d(month)),
        ("S21.G00.78.003", d(last)),
        ("S21.G00.78.004", "0.00"),
        ("S21.G00.78.005", "1"),
        ("S21.G00.78.006", "C0001"),
        ("S21.G00.79.001", "11"),
        ("S21.G00.79.004", gross),
        ("S21.G00.81.001", "059"),
        ("S21.G00.81.004", str((Decimal(gross) * Decimal("0.008")).quantize(Decimal("0.01")))),
    ]


def monthly(
    month: date,
    *stoppages: Stoppage,
    gross: str = "3000.00",
    end: tuple[date, str] | None = None,
    invalidity: tuple[str, date] | None = None,
    built: date | None = None,
    kind: str = "01",
    ntt: str | None = None,
    nir: str | None = NIR,
) -> bytes:
    """The monthly DSN (nature 01) of `month`, built on the 5th of the next month. A type 03
    replaces the monthly of the same establishment, month and fraction (no 05.006)."""
    built = built or (month.replace(day=28) + timedelta(days=8)).replace(day=5)
    lines = _header("01", month, built, kind) + _individual("01", ntt, nir)
    for stoppage in stoppages:
        lines += stoppage.lines("01")
    if end:
        lines += [("S21.G00.62.001", d(end[0])), ("S21.G00.62.002", end[1])]
    if invalidity:
        lines += [("S21.G00.65.001", invalidity[0]), ("S21.G00.65.002", d(invalidity[1]))]
    lines += _pay(month, gross)
    return dsn_bytes(envoi([lines], norm="P24V01", header=sender_header), newline="\r\n")


def signalement(
    nature: str, built: date, stoppage: Stoppage, replaces: bytes | None = None
) -> bytes:
    """A signalement 04 (arrêt) or 05 (reprise): no salary, no affiliation. With `replaces`,
    a type 03 naming the signalement it replaces in S20.G00.05.006."""
    kind, replaced = ("03", replacement_id(replaces)) if replaces else ("01", None)
    lines = _header(nature, built, built, kind, replaced) + _individual(nature)
    lines += stoppage.lines(nature)
    return dsn_bytes(envoi([lines], norm="P24V01", header=sender_header), newline="\r\n")


@cache
def parsed_file(data: bytes) -> ParsedFile:
    [parsed] = parse(data)
    return parsed


def run(*files: bytes, terms: list[ProvidentTerms] | None = None) -> StoppageResults:
    parsed = [parsed_file(data) for data in files]
    return build(inputs_from_parsed(parsed), [TERMS] if terms is None else terms)


def codes(results: StoppageResults) -> list[tuple[str, date]]:
    return [(c, day) for c, day in results.signals.select("code", "signal_date").iter_rows()]


def file_id(data: bytes) -> str:
    return parsed_file(data).file_id


def replacement_id(data: bytes) -> str:
    """What a replacing declaration puts in S20.G00.05.006: built date + order number."""
    declarations = parsed_file(data).declarations
    [(built, order)] = declarations.select("built_on", "order_number").rows()
    return f"{d(built)}{order}"


def signals_of(results: StoppageResults, code: str) -> list[date]:
    return results.signals.filter(pl.col("code") == code).get_column("signal_date").to_list()


JAN, FEB, MAR, APR, MAY, JUN = (date(2024, m, 1) for m in range(1, 7))
ILLNESS = Stoppage("01", date(2024, 3, 10), date(2024, 3, 31), subrogation_end=date(2024, 4, 9))


def prolonged(planned_end: date, returned: date | None = None) -> Stoppage:
    return Stoppage(
        "01",
        ILLNESS.last_day_worked,
        planned_end,
        subrogation_end=ILLNESS.subrogation_end,
        return_date=returned,
    )
