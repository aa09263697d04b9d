"""The format of the insurer's reference files: one contract-parameter file (fiche de
paramétrage, FPOC) per contract, and the yearly social security ceiling (PMSS).

The pipeline reads them with these models (`ContractParameters.model_validate_json`,
`PmssTable.model_validate_json`); the synthetic generator writes them with the same models.
The format is documented in `synthetic/FORMATS.md`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class DueDateKind(StrEnum):
    DAYS_AFTER_PERIOD_END = "jours_apres_fin_de_periode"  # N days after the period's last day
    DAY_OF_NEXT_MONTH = "jour_du_mois_suivant"  # day D of the month after the period, or its last


class DueDateRule(BaseModel):
    """When the contributions of a period are due: `days_after_period_end` days after the
    period's last day (the default kind), or on day `day_of_next_month` of the month after the
    period (its last day when the month is shorter; 31 always means the last day)."""

    days_after_period_end: int = Field(default=0, ge=0)
    kind: DueDateKind = DueDateKind.DAYS_AFTER_PERIOD_END
    day_of_next_month: int | None = Field(default=None, ge=1, le=31)

    @model_validator(mode="after")
    def _day_given_for_its_kind(self) -> DueDateRule:
        if (self.kind is DueDateKind.DAY_OF_NEXT_MONTH) != (self.day_of_next_month is not None):
            raise ValueError(
                "day_of_next_month est requis pour (et réservé à) jour_du_mois_suivant"
            )
        return self

    def due_date(self, period_end: date) -> date:
        """The due date of a period ending on `period_end`."""
        if self.day_of_next_month is None:
            return period_end + timedelta(days=self.days_after_period_end)
        first_of_next = (period_end.replace(day=1) + timedelta(days=32)).replace(day=1)
        last_of_next = (first_of_next + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first_of_next.replace(day=min(self.day_of_next_month, last_of_next.day))


class FranchiseMode(StrEnum):
    """How a provident franchise counts days off (quality.stoppages.terms reads it as is)."""

    CONTINUOUS = "continue"  # days of the same stoppage
    CUMULATED_12_MONTHS = "cumul_12_mois"  # days off of every counted stoppage in 12 months


# Illness, commuting accident, occupational disease, work accident (S21.G00.60.001).
DEFAULT_FRANCHISE_REASONS = ("01", "04", "05", "06")


class LateFee(BaseModel):
    """Late-payment fees: simple interest at `annual_rate_percent` on the overdue amount per day
    late (365-day year), and/or `flat_amount` once a formal notice is sent."""

    model_config = ConfigDict(frozen=True)
    annual_rate_percent: Decimal = Field(default=Decimal(0), ge=0)
    flat_amount: Decimal = Field(default=Decimal(0), ge=0)


class DunningDays(BaseModel):
    """Day counts of the dunning path agreed in the contract, overriding the legal regime's."""

    model_config = ConfigDict(frozen=True)
    reminder_days_after_due: int = Field(ge=0)
    notice_days_after_due: int = Field(ge=0)
    suspension_days_after_notice: int = Field(ge=0)
    termination_days_after_suspension: int = Field(ge=0)


class AccountPurpose(StrEnum):
    DIRECT_DEBIT = "prelevement"  # where SEPA direct debits are collected
    TRANSFER = "virement"  # where companies' transfers arrive


class CollectionAccount(BaseModel):
    """An account of the organisme on which it collects this contract's contributions."""

    model_config = ConfigDict(frozen=True)
    iban: str
    bic: str
    purpose: AccountPurpose


class SepaMandate(BaseModel):
    """The SEPA direct-debit mandate (RUM) a paying company signed for this contract."""

    model_config = ConfigDict(frozen=True)
    mandate_id: str  # RUM, as in the direct debit's MndtId / CFONB "RUM" complement
    debtor_iban: str
    signed_on: date | None = None


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
    # Fields below were added in format 1 with defaults, so older files still read.
    # Provident only: how the franchise counts days, which stoppage reasons it counts, and the
    # daily allowance in percent of the daily reference salary once it is reached.
    provident_franchise_mode: FranchiseMode = FranchiseMode.CONTINUOUS
    provident_franchise_reasons: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FRANCHISE_REASONS)
    )
    provident_allowance_percent: Decimal | None = Field(default=None, ge=0)
    late_fee: LateFee | None = None  # None: no late fee
    dunning_days: DunningDays | None = None  # None: the legal regime's day counts
    collection_accounts: list[CollectionAccount] = Field(default_factory=list)
    sepa_mandates: list[SepaMandate] = Field(default_factory=list)  # direct-debit payers only


class PmssTable(BaseModel):
    """Plafond mensuel de la sécurité sociale by year, in euros."""

    format_version: Literal[1] = FORMAT_VERSION
    pmss_by_year: dict[int, Decimal]
    assumed_years: list[int]  # years whose value is an assumption, not a published figure
