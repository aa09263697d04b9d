"""The format of the insurer's reference files: one contract-parameter file (fiche de
paramétrage, FPOC) per contract, and the yearly social security ceiling (PMSS).

These models are what the pipeline reads (`ContractParameters.model_validate_json`); the
generator writes them. They belong with the pipeline's reference data and should move there
once the pipeline reads them. Documented in `synthetic/FORMATS.md`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION: Literal[1] = 1


class Cover(StrEnum):
    SANTE = "sante"
    PREVOYANCE = "prevoyance"


class LegalRegime(StrEnum):
    """The insurer's legal regime; it decides the dunning day counts."""

    INSTITUTION_PREVOYANCE = "institution_prevoyance"  # code social security (L.932-*)
    MUTUELLE = "mutuelle"  # code de la mutualité
    ENTREPRISE_ASSURANCE = "entreprise_assurance"  # code des assurances (L.113-3)


class Periodicity(StrEnum):
    MONTHLY = "mensuelle"
    QUARTERLY = "trimestrielle"


class Base(StrEnum):
    """What a rate applies to (S21.G00.79 component type in brackets)."""

    TRANCHE_A = "tranche_a"  # min(gross, PMSS) [11]
    TRANCHE_B = "tranche_b"  # gross between 1 and 4 PMSS [13]
    PMSS = "pmss"  # the month's ceiling, a flat base [18]


class Option(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str  # what payroll declares in S21.G00.70.004
    label: str


class Population(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str  # what payroll declares in S21.G00.70.005 (and S21.G00.55.002)
    label: str
    # S21.G00.40.003 categories this population covers: 01 cadre, 02 extension cadre, 04 non-cadre
    categories: list[str]


class Rate(BaseModel):
    """A rate in percent of a base, for one option (None: any) and population, over a period."""

    model_config = ConfigDict(frozen=True)
    option: str | None
    population: str
    base: Base
    rate_percent: Decimal = Field(ge=0)
    effective_from: date
    effective_to: date | None = None  # inclusive; None: still in force


class DueDateRule(BaseModel):
    """Contributions of a period are due this many days after the period's last day."""

    days_after_period_end: int = Field(ge=0)


class ContractParameters(BaseModel):
    """One fiche de paramétrage: everything the insurer knows about one company contract."""

    format_version: Literal[1] = FORMAT_VERSION
    contract_reference: str  # S21.G00.15.001
    organisme_code: str  # S21.G00.15.002 (P.... for an IP, 9 digits for a mutuelle)
    delegate_code: str | None = None  # S21.G00.15.003
    legal_regime: LegalRegime
    cover: Cover
    siren: str
    company_name: str
    effective_from: date
    effective_to: date | None = None
    options: list[Option]
    populations: list[Population]
    rates: list[Rate]
    payment_periodicity: Periodicity
    due_date_rule: DueDateRule
    # Provident only: continuous days off before daily allowances start.
    provident_franchise_days: int | None = None
    # Provident only: months of gross salary before the stoppage used as reference salary.
    reference_salary_months: int | None = None


class PmssTable(BaseModel):
    """Plafond mensuel de la sécurité sociale by year, in euros."""

    format_version: Literal[1] = FORMAT_VERSION
    pmss_by_year: dict[int, Decimal]
    assumed_years: list[int]  # years whose value is an assumption, not a published figure


# Published values; 2026 is an assumption (see FORMATS.md).
PMSS_BY_YEAR: dict[int, Decimal] = {
    2019: Decimal("3377"),
    2020: Decimal("3428"),
    2021: Decimal("3428"),
    2022: Decimal("3428"),
    2023: Decimal("3666"),
    2024: Decimal("3864"),
    2025: Decimal("3925"),
    2026: Decimal("4005"),
}
ASSUMED_PMSS_YEARS = [2026]
