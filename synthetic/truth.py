"""The ground truth: what was injected and what the pipeline is expected to find.

The catalogues of affiliation anomaly codes (DOMAIN.md §3) and stoppage signal codes (§2, issue
6) are defined here for now; the `quality/` rules should own them (and this module import them)
once they exist. Every truth table is a CSV file written row by row while companies are
generated, so the truth never has to fit in memory. Format: `synthetic/TRUTH.md`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class CodeDefinition:
    code: str
    severity: Severity
    label: str  # short French label, as the portal shows it


def _catalogue(*definitions: CodeDefinition) -> dict[str, CodeDefinition]:
    return {d.code: d for d in definitions}


class Anomaly(StrEnum):
    """Affiliation anomalies the insurer must detect (DOMAIN.md §3)."""

    NOT_AFFILIATED = "AFF001"
    ABSENT_WITHOUT_END = "AFF002"
    UNKNOWN_CONTRACT = "AFF003"
    UNKNOWN_OPTION = "AFF004"
    UNKNOWN_POPULATION = "AFF005"
    NTT_WITHOUT_NIR = "AFF006"
    NIR_CHANGE_WITHOUT_S2131 = "AFF007"
    NIR_IN_TWO_ESTABLISHMENTS = "AFF008"
    DECLARED_AFTER_END = "AFF009"
    DEPENDANT_COUNT_MISMATCH = "AFF010"
    AFFILIATION_END_BEFORE_START = "AFF011"
    CONTRIBUTION_OFF_RATE = "AFF012"
    PORTAL_REQUEST_NOT_IN_DSN = "AFF013"
    DECLARED_BUT_EXEMPTED = "AFF014"
    DECLARED_BUT_RADIATED = "AFF015"


ANOMALIES = _catalogue(
    CodeDefinition(
        Anomaly.NOT_AFFILIATED,
        Severity.ERROR,
        "Salarié déclaré sans affiliation alors que sa population est couverte",
    ),
    CodeDefinition(
        Anomaly.ABSENT_WITHOUT_END,
        Severity.WARNING,
        "Salarié affilié absent de la DSN du mois sans fin de contrat",
    ),
    CodeDefinition(
        Anomaly.UNKNOWN_CONTRACT,
        Severity.ERROR,
        "Affiliation sur un contrat inconnu de l'organisme",
    ),
    CodeDefinition(
        Anomaly.UNKNOWN_OPTION,
        Severity.ERROR,
        "Code option absent de la fiche de paramétrage du contrat",
    ),
    CodeDefinition(
        Anomaly.UNKNOWN_POPULATION,
        Severity.ERROR,
        "Code population absent de la fiche de paramétrage du contrat",
    ),
    CodeDefinition(
        Anomaly.NTT_WITHOUT_NIR,
        Severity.WARNING,
        "Salarié déclaré avec un NTT sans NIR depuis plus de 3 mois",
    ),
    CodeDefinition(
        Anomaly.NIR_CHANGE_WITHOUT_S2131, Severity.WARNING, "Changement de NIR sans bloc S21.G00.31"
    ),
    CodeDefinition(
        Anomaly.NIR_IN_TWO_ESTABLISHMENTS,
        Severity.WARNING,
        "Même NIR déclaré dans deux établissements",
    ),
    CodeDefinition(
        Anomaly.DECLARED_AFTER_END,
        Severity.ERROR,
        "Salarié toujours déclaré après la fin de son contrat",
    ),
    CodeDefinition(
        Anomaly.DEPENDANT_COUNT_MISMATCH,
        Severity.WARNING,
        "Nombre d'ayants droit différent des blocs S21.G00.73",
    ),
    CodeDefinition(
        Anomaly.AFFILIATION_END_BEFORE_START,
        Severity.ERROR,
        "Fin d'affiliation antérieure à son début",
    ),
    CodeDefinition(
        Anomaly.CONTRIBUTION_OFF_RATE,
        Severity.WARNING,
        "Cotisation différente du taux contractuel appliqué à l'assiette",
    ),
    CodeDefinition(
        Anomaly.PORTAL_REQUEST_NOT_IN_DSN,
        Severity.WARNING,
        "Demande d'affiliation du portail jamais retrouvée en DSN",
    ),
    CodeDefinition(
        Anomaly.DECLARED_BUT_EXEMPTED,
        Severity.WARNING,
        "Salarié déclaré affilié mais dispensé auprès de l'organisme",
    ),
    CodeDefinition(
        Anomaly.DECLARED_BUT_RADIATED,
        Severity.ERROR,
        "Salarié déclaré affilié mais radié auprès de l'organisme",
    ),
)


class Signal(StrEnum):
    """Stoppage signals for the provident claims team (DOMAIN.md §2, issue 6)."""

    NEW_STOPPAGE = "ARR001"
    PROLONGATION = "ARR002"
    RETURN = "ARR003"
    FRANCHISE_REACHED = "ARR004"
    LONGER_THAN_A_YEAR = "ARR005"
    RETURN_WITHOUT_STOPPAGE = "ARR006"
    OVERLAPPING_STOPPAGES = "ARR007"
    SIGNALEMENT_NOT_IN_MONTHLY = "ARR008"
    SUBROGATION_ENDED_WHILE_OFF = "ARR009"
    INVALIDITY = "ARR010"
    DEATH = "ARR011"


SIGNALS = _catalogue(
    CodeDefinition(Signal.NEW_STOPPAGE, Severity.INFO, "Nouvel arrêt de travail"),
    CodeDefinition(Signal.PROLONGATION, Severity.INFO, "Prolongation d'arrêt"),
    CodeDefinition(Signal.RETURN, Severity.INFO, "Reprise du travail"),
    CodeDefinition(
        Signal.FRANCHISE_REACHED,
        Severity.WARNING,
        "Franchise du contrat atteinte : indemnités journalières à prévoir",
    ),
    CodeDefinition(
        Signal.LONGER_THAN_A_YEAR,
        Severity.WARNING,
        "Arrêt de plus d'un an : examen de l'invalidité",
    ),
    CodeDefinition(Signal.RETURN_WITHOUT_STOPPAGE, Severity.WARNING, "Reprise déclarée sans arrêt"),
    CodeDefinition(Signal.OVERLAPPING_STOPPAGES, Severity.WARNING, "Arrêts qui se chevauchent"),
    CodeDefinition(
        Signal.SIGNALEMENT_NOT_IN_MONTHLY,
        Severity.WARNING,
        "Arrêt signalé absent de la DSN mensuelle suivante",
    ),
    CodeDefinition(
        Signal.SUBROGATION_ENDED_WHILE_OFF, Severity.INFO, "Fin de subrogation pendant l'arrêt"
    ),
    CodeDefinition(Signal.INVALIDITY, Severity.WARNING, "Invalidité d'un salarié affilié"),
    CodeDefinition(Signal.DEATH, Severity.WARNING, "Décès d'un salarié affilié"),
)

# End reasons (S21.G00.62.002) that open portability of cover (unemployment rights). This is
# the generator's rule, an *unconfirmed* reading of the law: resignation (059), gross or
# serious misconduct (087, 088), retirement (038, 039) and death (066) do not.
PORTABILITY_REASONS = frozenset(
    {
        "011",
        "012",
        "014",
        "015",
        "020",
        "025",
        "026",
        "031",
        "032",
        "033",
        "034",
        "036",
        "043",
        "084",
        "086",
        "091",
        "092",
        "110",
        "111",
        "112",
        "113",
        "117",
    }
)
PORTABILITY_MONTHS = 12
# Beyond this many consecutive monthly DSNs with an NTT and no NIR, AFF006 is expected.
NTT_MONTHS_TOLERATED = 3


# Table name -> columns, in file order. Keys (SIREN, SIRET, employee, contract, period, file) are
# always spelled the same way so tables join: employee_key is the NIR, or the NTT when no NIR was
# ever declared; dates are ISO (YYYY-MM-DD), months YYYY-MM, amounts with a dot and 2 decimals.
TABLES: dict[str, tuple[str, ...]] = {
    "files": (
        "file_name",
        "folder",
        "format",
        "encoding",
        "line_ending",
        "lot",
        "corruption",
        "nature",
        "type",
        "siren",
        "siret",
        "month",
        "fraction",
        "built_on",
        "arrival",
        "replaces_file",
        "situation",
    ),
    "anomalies": (
        "code",
        "severity",
        "siren",
        "siret",
        "employee_key",
        "nir",
        "ntt",
        "last_name",
        "contract_start",
        "contract_number",
        "contract_reference",
        "month",
        "file_name",
        "detail",
    ),
    "signals": (
        "code",
        "siren",
        "siret",
        "employee_key",
        "contract_start",
        "contract_number",
        "contract_reference",
        "stoppage_first_day",
        "signal_date",
        "file_name",
        "detail",
    ),
    "stoppages": (
        "siren",
        "siret",
        "employee_key",
        "contract_start",
        "contract_number",
        "reason",
        "last_day_worked",
        "first_day_off",
        "planned_end",
        "prolongations",
        "return_date",
        "return_reason",
        "status",
        "subrogation_end",
        "therapeutic",
        "first_file",
        "files",
    ),
    "affiliations": (
        "siren",
        "siret",
        "employee_key",
        "nir",
        "ntt",
        "contract_reference",
        "cover",
        "option",
        "population",
        "status",
        "status_since",
        "portability_end",
        "end_reason",
    ),
    "contributions": (
        "siren",
        "contract_reference",
        "period",
        "due",
        "expected",
        "paid",
        "balance",
        "due_date",
    ),
    "bank_allocations": (
        "bank_line_id",
        "bank_file",
        "end_to_end_id",
        "scenario",
        "siren",
        "contract_reference",
        "period",
        "amount",
    ),
    "payments": (
        "siren",
        "siret",
        "organisme",
        "period",
        "declared_amount",
        "mode",
        "scenario",
        "bank_line_ids",
    ),
    "situations": (
        "situation",
        "siren",
        "siret",
        "employee_key",
        "contract_reference",
        "month",
        "file_name",
        "detail",
    ),
}


class TruthWriter:
    """Writes the truth tables row by row (one CSV per table) and `meta.json` at the end."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        for table, columns in TABLES.items():
            handle = (folder / f"{table}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            self._handles[table], self._writers[table] = handle, writer
        self.counts = dict.fromkeys(TABLES, 0)

    def row(self, table: str, **values: object) -> None:
        columns = TABLES[table]
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"{table}: unknown columns {sorted(unknown)}")
        self._writers[table].writerow([_text(values.get(c)) for c in columns])
        self.counts[table] += 1

    def close(self, meta: dict[str, object]) -> None:
        for handle in self._handles.values():
            handle.close()
        meta = {**meta, "rows": self.counts}
        (self.folder / "meta.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ";".join(_text(v) for v in value)
    return str(value)
