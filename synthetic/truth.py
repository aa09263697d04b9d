"""The ground truth: what was injected and what the pipeline is expected to find.

The affiliation anomaly codes with their severities (DOMAIN.md §3) and the stoppage signal codes
(§2) are spelled here, by the generator, not imported from `quality/`: the ground truth is an
oracle the pipeline is measured against, and nothing of the generator may depend on the code it
measures (`tests/test_layers.py`). Tests check that they agree with `quality.anomalies.catalogue`
and `quality.stoppages.catalogue`. Every truth table is a CSV file written row by row while
companies are generated, so the truth never has to fit in memory. Format: `synthetic/TRUTH.md`.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

__all__ = [
    "ANOMALIES",
    "NTT_MONTHS_TOLERATED",
    "PORTABILITY_MONTHS",
    "PORTABILITY_REASONS",
    "TABLES",
    "Anomaly",
    "Signal",
    "TruthWriter",
]


class Anomaly(StrEnum):
    """The affiliation anomaly codes, as the quality catalogue spells them."""

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


# code -> severity expected in the truth: error when the cover is wrong now, warning when it
# goes wrong unless the company corrects its next DSN.
ANOMALIES: dict[Anomaly, str] = {
    Anomaly.NOT_AFFILIATED: "error",
    Anomaly.ABSENT_WITHOUT_END: "warning",
    Anomaly.UNKNOWN_CONTRACT: "error",
    Anomaly.UNKNOWN_OPTION: "error",
    Anomaly.UNKNOWN_POPULATION: "error",
    Anomaly.NTT_WITHOUT_NIR: "warning",
    Anomaly.NIR_CHANGE_WITHOUT_S2131: "warning",
    Anomaly.NIR_IN_TWO_ESTABLISHMENTS: "warning",
    Anomaly.DECLARED_AFTER_END: "error",
    Anomaly.DEPENDANT_COUNT_MISMATCH: "warning",
    Anomaly.AFFILIATION_END_BEFORE_START: "error",
    Anomaly.CONTRIBUTION_OFF_RATE: "warning",
    Anomaly.PORTAL_REQUEST_NOT_IN_DSN: "warning",
    Anomaly.DECLARED_BUT_EXEMPTED: "warning",
    Anomaly.DECLARED_BUT_RADIATED: "error",
}


class Signal(StrEnum):
    """The stoppage signal codes, as the stoppage catalogue spells them."""

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
        "known_from",
        "true_until",
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
        "known_from",
        "true_until",
        "still_off_on",
    ),
    "employee_keys": (
        "siren",
        "employee_key",
        "month",
        "known_from",
        "key",
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
        "provisional",
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
        # The night each DSN file lands (its arrival day), and the first night a monthly DSN of
        # each (SIRET, month) is in force: what the per-night truth (`known_from`) is built on.
        self._nights: dict[str, date] = {}
        self._monthly_nights: dict[tuple[str, ...], date] = {}

    def row(self, table: str, **values: object) -> None:
        columns = TABLES[table]
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"{table}: unknown columns {sorted(unknown)}")
        if table == "files":
            self._note_arrival(values)
        self._writers[table].writerow([_text(values.get(c)) for c in columns])
        self.counts[table] += 1

    def _note_arrival(self, values: dict[str, object]) -> None:
        if values.get("corruption") or not values.get("arrival"):
            return  # a corrupted copy is rejected: it reveals nothing
        night = date.fromisoformat(str(values["arrival"])[:10])
        self._nights[str(values["file_name"])] = night
        if values.get("nature") == "01":
            siret, month = str(values["siret"]), str(values["month"])
            for key in ((siret, month), (siret, month, str(values["fraction"]))):
                known = self._monthly_nights.get(key)
                self._monthly_nights[key] = night if known is None else min(known, night)

    def night_of(self, file_name: str) -> date | None:
        """The night a DSN file lands (its arrival day): what it shows is known from then."""
        return self._nights.get(file_name)

    def monthly_night(self, siret: str, month: date, fraction: str = "") -> date | None:
        """The first night a monthly DSN of `siret` for `month` (of that fraction, or any) is
        in: an original later replaced counts, it is in force until its replacement lands."""
        key = (siret, month.strftime("%Y-%m"), *([fraction] if fraction else []))
        return self._monthly_nights.get(key)

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
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ";".join(_text(v) for v in value)
    return str(value)
