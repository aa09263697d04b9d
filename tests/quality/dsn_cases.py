"""Hand-written monthly DSNs, contract parameters and portal exports for the affiliation tests,
loaded through the real parser, staging and core model into a temporary warehouse.

One company (two establishments), a health contract (options BASE/OPT1, population ENSPS for
every category, 1 % of tranche A) and a provident contract (population NC for non-cadres,
0.80 % of tranche A). The rule and register tests import it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from contracts.parameters import (
    Base,
    ContractParameters,
    Cover,
    DueDateRule,
    LegalRegime,
    Option,
    Periodicity,
    Population,
    Rate,
)
from dsn_parser import parse
from dsn_parser.model import ParsedFile
from quality.affiliation.rules import AFFILIATION_RULES
from quality.anomalies.detection import DetectionContext, RuleSettings
from synthetic.portal_files import PORTAL_FILES
from tests.dsn_parser.dsn_text import Line, d, dsn_bytes, envoi, sender_header
from warehouse import batches, load, models
from warehouse.reference import load_reference_files

SIREN = "732829320"
SIRET = "73282932000017"
OTHER_SIRET = "73282932000025"
HEALTH = "SANTE-1"
PROVIDENT = "PREV-1"
OC = "P1020"
NIR = "2850575116107"
OTHER_NIR = "1850612345678"  # born in 1985 too, as the NIR's year says (S21.G00.30.006/CCH-11)
# Numéro technique temporaire: sex, the employer's SIREN, a number (S21.G00.30.020/CCH-13).
NTT = "2" + SIREN + "000001"
JAN, FEB, MAR, APR, MAY = (date(2025, m, 1) for m in range(1, 6))


@dataclass(frozen=True)
class Affiliation:
    """One S21.G00.70 with its 73 blocks and its contribution (78 code 31, 79, 81 code 059)."""

    contract: str = HEALTH
    option: str | None = "BASE"
    population: str = "ENSPS"
    dependants: tuple[str, ...] = ()  # S21.G00.73.003 types: 01 adult, 02 child, 03 other
    counts: tuple[int, int, int, int] | None = None  # 70.008-.011; default: from dependants
    start: date | None = None  # 70.014
    end: date | None = None  # 70.015
    tranche_a: str = "3000.00"  # component 11
    amount: str | None = None  # 059; default: the contract's rate × tranche A


@dataclass(frozen=True)
class Person:
    nir: str | None = NIR
    ntt: str | None = None
    last_name: str = "MARTIN"
    first_names: str = "JEANNE"
    birth: str = "15031985"
    category: str = "04"  # S21.G00.40.003: 01 cadre, 04 non-cadre
    start: date = date(2015, 9, 1)
    number: str = "C0001"
    affiliations: tuple[Affiliation, ...] = (
        Affiliation(),
        Affiliation(contract=PROVIDENT, option=None, population="NC"),
    )
    end: tuple[date, str] | None = None  # S21.G00.62.001/.002
    keeps_cover: bool = False  # 62.016 = 01
    previous_nir: tuple[date, str] | None = None  # S21.G00.31.001/.008


RATES = {HEALTH: Decimal("1.00"), PROVIDENT: Decimal("0.80")}


def _expected(affiliation: Affiliation) -> str:
    rate = RATES.get(affiliation.contract, Decimal("1.00"))
    return str((Decimal(affiliation.tranche_a) * rate / 100).quantize(Decimal("0.01")))


def _header(
    month: date, built: date, siret: str, references: list[str], covered: set[str]
) -> list[Line]:
    """`covered`: the contracts an affiliation of the declaration references (15.004 01; 02,
    nobody covered, for the others: S21.G00.15.001/CCH-13)."""
    lines = [
        ("S20.G00.05.001", "01"),
        ("S20.G00.05.002", "01"),
        ("S20.G00.05.003", "11"),
        ("S20.G00.05.004", "1"),
        ("S20.G00.05.005", d(month)),
        ("S20.G00.05.007", d(built)),
        ("S20.G00.05.008", "01"),
        ("S20.G00.05.010", "01"),
        ("S21.G00.06.001", SIREN),
        ("S21.G00.06.003", "7010Z"),
        ("S21.G00.11.001", siret[9:]),
        ("S21.G00.11.002", "7010Z"),
        ("S21.G00.11.022", "1486"),
    ]
    for number, reference in enumerate(references, start=1):
        lines += [
            ("S21.G00.15.001", reference),
            ("S21.G00.15.002", OC),
            ("S21.G00.15.004", "01" if reference in covered else "02"),
            ("S21.G00.15.005", str(number)),
        ]
    return lines


def _person(person: Person, month: date, siret: str, adhesion_ids: dict[str, int]) -> list[Line]:
    lines = [("S21.G00.30.001", person.nir)] if person.nir else []
    lines += [
        ("S21.G00.30.002", person.last_name),
        ("S21.G00.30.004", person.first_names),
        ("S21.G00.30.006", person.birth),
        ("S21.G00.30.007", "PARIS"),
        ("S21.G00.30.013", "01"),
        ("S21.G00.30.014", "75"),
        ("S21.G00.30.015", "FR"),
    ]
    lines += [("S21.G00.30.020", person.ntt)] if person.ntt else []
    if person.previous_nir:
        lines += [
            ("S21.G00.31.001", d(person.previous_nir[0])),
            ("S21.G00.31.008", person.previous_nir[1]),
        ]
    lines += [
        ("S21.G00.40.001", d(person.start)),
        ("S21.G00.40.002", "04"),
        ("S21.G00.40.003", person.category),
        ("S21.G00.40.004", "2331"),
        ("S21.G00.40.006", "Comptable"),
        ("S21.G00.40.007", "01"),
        ("S21.G00.40.008", "99"),
        ("S21.G00.40.009", person.number),
        ("S21.G00.40.011", "10"),
        ("S21.G00.40.012", "151.67"),
        ("S21.G00.40.013", "151.67"),
        ("S21.G00.40.014", "10"),
        ("S21.G00.40.016", "99"),
        ("S21.G00.40.017", "1486"),
        ("S21.G00.40.018", "200"),
        ("S21.G00.40.019", siret),
        ("S21.G00.40.020", "200"),
        ("S21.G00.40.024", "99"),
        ("S21.G00.40.026", "99"),
        ("S21.G00.40.036", "03"),
        ("S21.G00.40.037", "03"),
        ("S21.G00.40.039", "200"),
        ("S21.G00.40.040", "7010Z"),
    ]
    if person.end:
        lines += [("S21.G00.62.001", d(person.end[0])), ("S21.G00.62.002", person.end[1])]
        lines += [("S21.G00.62.016", "01")] if person.keeps_cover else []
    for technical_id, affiliation in enumerate(person.affiliations, start=1):
        lines += _affiliation(affiliation, technical_id, adhesion_ids[affiliation.contract])
    lines.append(("S21.G00.71.002", "RUAA"))
    return lines + _pay(person, month)


def _affiliation(affiliation: Affiliation, technical_id: int, adhesion_id: int) -> list[Line]:
    kinds = affiliation.dependants
    adults, children, others = (sum(k == kind for k in kinds) for kind in ("01", "02", "03"))
    counts = affiliation.counts or (adults, len(kinds), others, children)
    lines = [("S21.G00.70.004", affiliation.option)] if affiliation.option else []
    lines += [
        ("S21.G00.70.005", affiliation.population),
        ("S21.G00.70.007", str(counts[3])),
        ("S21.G00.70.008", str(counts[0])),
        ("S21.G00.70.009", str(counts[1])),
        ("S21.G00.70.010", str(counts[2])),
        ("S21.G00.70.011", str(counts[3])),
        ("S21.G00.70.012", str(technical_id)),
        ("S21.G00.70.013", str(adhesion_id)),
    ]
    lines += [("S21.G00.70.014", d(affiliation.start))] if affiliation.start else []
    lines += [("S21.G00.70.015", d(affiliation.end))] if affiliation.end else []
    for number, kind in enumerate(kinds, start=1):
        lines += [
            ("S21.G00.73.003", kind),
            ("S21.G00.73.004", "01012020"),
            ("S21.G00.73.005", f"0{number}012015"),
            ("S21.G00.73.006", "MARTIN"),
            ("S21.G00.73.009", "LOU"),
        ]
    return lines


def _pay(person: Person, month: date) -> list[Line]:
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    lines = [
        ("S21.G00.50.001", d(last)),
        ("S21.G00.50.002", "2340.00"),
        ("S21.G00.50.004", "2265.12"),
        ("S21.G00.50.006", "3.20"),
        ("S21.G00.50.007", "01"),
        ("S21.G00.50.009", "74.88"),
        ("S21.G00.50.013", "2340.00"),
        ("S21.G00.51.001", d(month)),
        ("S21.G00.51.002", d(last)),
        ("S21.G00.51.010", person.number),
        ("S21.G00.51.011", "001"),
        ("S21.G00.51.013", "3000.00"),
    ]
    for technical_id, affiliation in enumerate(person.affiliations, start=1):
        lines += [
            ("S21.G00.78.001", "31"),
            ("S21.G00.78.002", d(month)),
            ("S21.G00.78.003", d(last)),
            ("S21.G00.78.004", "0.00"),
            ("S21.G00.78.005", str(technical_id)),
            ("S21.G00.78.006", person.number),
            ("S21.G00.79.001", "11"),
            ("S21.G00.79.004", affiliation.tranche_a),
            ("S21.G00.81.001", "059"),
            ("S21.G00.81.004", affiliation.amount or _expected(affiliation)),
        ]
    return lines


def monthly(month: date, *people: Person, siret: str = SIRET) -> bytes:
    """The monthly DSN (nature 01, type 01) of `month` for one establishment."""
    built = (month.replace(day=28) + timedelta(days=8)).replace(day=5)
    references = [HEALTH, PROVIDENT]
    for person in people:
        references += [a.contract for a in person.affiliations if a.contract not in references]
    adhesion_ids = {reference: n for n, reference in enumerate(references, start=1)}
    covered = {a.contract for person in people for a in person.affiliations}
    lines = _header(month, built, siret, references, covered)
    for person in people:
        lines += _person(person, month, siret, adhesion_ids)
    return dsn_bytes(envoi([lines], norm="P25V01", header=sender_header), newline="\r\n")


# -- the OC's side: contract parameters and portal exports ------------------------------------


def contract_parameters() -> list[ContractParameters]:
    common = {
        "organisme_code": OC,
        "legal_regime": LegalRegime.INSTITUTION_PREVOYANCE,
        "siren": SIREN,
        "company_name": "BOULANGERIE DU PORT",
        "effective_from": date(2015, 1, 1),
        "payment_periodicity": Periodicity.MONTHLY,
        "due_date_rule": DueDateRule(days_after_period_end=15),
    }
    return [
        ContractParameters(
            contract_reference=HEALTH,
            cover=Cover.SANTE,
            options=[Option(code="BASE", label="Base"), Option(code="OPT1", label="Option 1")],
            populations=[Population(code="ENSPS", label="Ensemble", categories=["01", "02", "04"])],
            rates=[
                Rate(
                    option=None,
                    population="ENSPS",
                    base=Base.TRANCHE_A,
                    rate_percent=RATES[HEALTH],
                    effective_from=date(2015, 1, 1),
                )
            ],
            **common,  # type: ignore[arg-type]
        ),
        ContractParameters(
            contract_reference=PROVIDENT,
            cover=Cover.PREVOYANCE,
            options=[],
            populations=[Population(code="NC", label="Non-cadres", categories=["04"])],
            rates=[
                Rate(
                    option=None,
                    population="NC",
                    base=Base.TRANCHE_A,
                    rate_percent=RATES[PROVIDENT],
                    effective_from=date(2015, 1, 1),
                )
            ],
            provident_franchise_days=90,
            **common,  # type: ignore[arg-type]
        ),
    ]


@dataclass
class Portal:
    """Rows of the portal's exports, as the portal writes them (French headers, JJ/MM/AAAA)."""

    requests: list[dict[str, str]] = field(default_factory=list)
    completions: list[dict[str, str]] = field(default_factory=list)
    exemptions: list[dict[str, str]] = field(default_factory=list)
    radiations: list[dict[str, str]] = field(default_factory=list)

    def request(
        self, asked: date, hired: date, nir: str = OTHER_NIR, completed: date | None = None
    ) -> Portal:
        request_id = f"D{len(self.requests) + 1:08d}"
        self.requests.append(
            {
                "id_demande": request_id,
                "date_demande": f"{asked:%d/%m/%Y}",
                "siren": SIREN,
                "siret": SIRET,
                "contrat": HEALTH,
                "nom": "NOUVEAU",
                "prenoms": "Léa",
                "date_naissance": "11/02/1990",
                "nir": nir,
                "date_embauche": f"{hired:%d/%m/%Y}",
                "statut_professionnel": "non-cadre",
                "email_salarie": "lea@example.fr",
            }
        )
        if completed:
            self.completions.append(
                {
                    "id_demande": request_id,
                    "date_completion": f"{completed:%d/%m/%Y}",
                    "option": "BASE",
                    "nb_ayants_droit": "0",
                    "mandat_sepa": "oui",
                }
            )
        return self

    def exemption(self, since: date, nir: str = NIR, contract: str = HEALTH) -> Portal:
        self.exemptions.append(
            {
                "id_dispense": f"X{len(self.exemptions) + 1:08d}",
                "date_saisie": f"{since:%d/%m/%Y}",
                "siren": SIREN,
                "siret": SIRET,
                "contrat": contract,
                "nom": "MARTIN",
                "prenoms": "JEANNE",
                "nir": nir,
                "motif_code": "04",
                "motif_libelle": "Contrat individuel en cours jusqu'à échéance",
                "date_debut": f"{since:%d/%m/%Y}",
                "date_fin": "",
                "justificatif_recu": "oui",
            }
        )
        return self

    def radiation(self, day: date, nir: str = NIR, contract: str = HEALTH) -> Portal:
        self.radiations.append(
            {
                "id_radiation": f"R{len(self.radiations) + 1:08d}",
                "date_saisie": f"{day:%d/%m/%Y}",
                "siren": SIREN,
                "siret": SIRET,
                "contrat": contract,
                "nom": "MARTIN",
                "prenoms": "JEANNE",
                "nir": nir,
                "date_radiation": f"{day:%d/%m/%Y}",
                "motif": "Départ de l'entreprise",
            }
        )
        return self

    def write(self, landing: Path) -> None:
        folder = landing / "portal"
        folder.mkdir(parents=True, exist_ok=True)
        rows = {
            "demandes_affiliation.csv": self.requests,
            "completions_affiliation.csv": self.completions,
            "dispenses.csv": self.exemptions,
            "radiations.csv": self.radiations,
        }
        for name, columns in PORTAL_FILES.items():
            with (folder / name).open("w", encoding="utf-8-sig", newline="") as stream:
                writer = csv.DictWriter(stream, columns, delimiter=";", lineterminator="\r\n")
                writer.writeheader()
                writer.writerows(rows[name])


def write_reference(landing: Path) -> None:
    folder = landing / "reference"
    folder.mkdir(parents=True, exist_ok=True)
    for parameters in contract_parameters():
        name = parameters.contract_reference.replace("/", "_") + ".json"
        (folder / name).write_text(parameters.model_dump_json(indent=2), encoding="utf-8")


@cache
def _parsed(data: bytes) -> ParsedFile:
    """Parsed once per test session: many tests load the same hand-written month."""
    [parsed] = parse(data)
    return parsed


def load_night(
    connection: duckdb.DuckDBPyConnection,
    landing: Path,
    night: date,
    *files: bytes,
    portal: Portal | None = None,
    rejecting: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """DSN files through the parser, staging and core model; reference and portal files into
    the OC-side tables, as a night does before the rules run. `rejecting`: the official
    controls a test breaks on purpose (its individual rejected, its declaration still loaded
    partially accepted, as a night loads it)."""
    # One insert per staging table for all the files: a night's batch, and fast.
    tables: dict[str, list[pl.DataFrame]] = {}
    for data in files:
        parsed = _parsed(data)
        # A rejected declaration would never reach the rules: negative tests would pass idly.
        errors = parsed.diagnostics.filter(
            (pl.col("severity") == "error") & ~pl.col("code").is_in(rejecting)
        )
        assert errors.is_empty(), errors["message"].to_list()
        tables.setdefault("declarations", []).append(parsed.declarations)
        for block, table in parsed.blocks.items():
            tables.setdefault(batches.block_table_name(block), []).append(table)
    for name, frames in tables.items():
        load.insert_frame(connection, name, pl.concat(frames, how="diagonal_relaxed"))
    models.rebuild_core(connection)
    write_reference(landing)
    (portal or Portal()).write(landing)
    load_reference_files(connection, landing)
    return connection


def detect(
    connection: duckdb.DuckDBPyConnection,
    code: str,
    night: date = date(2025, 7, 1),
    settings: RuleSettings | None = None,
) -> list[dict[str, object]]:
    """The rows rule `code` finds tonight, sorted by period."""
    rule = AFFILIATION_RULES[code]
    frame = rule(DetectionContext(connection, night, settings or RuleSettings()))
    return sorted(frame.iter_rows(named=True), key=lambda row: str(row.get("period")))
