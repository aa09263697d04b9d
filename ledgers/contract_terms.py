"""What the ledgers need from a contract's parameter file (fiche de paramétrage, FPOC).

The file format is `synthetic.reference_formats.ContractParameters`. It does not carry a late
fee, nor a due-date rule other than "N days after the period's end": both can be given here
when building the terms (`ContractTerms.from_parameters(..., late_fee=..., due_date_rule=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl

from ledgers.periods import DaysAfterPeriodEnd, DueDateRule, Periodicity
from synthetic.reference_formats import ContractParameters, LegalRegime

__all__ = ["ContractTerms", "LateFeeRule", "RateLine", "companies_frame", "rates_frame"]

# Rates are percentages with at most this many decimals; they are handled as integers
# (percent × 10^RATE_DECIMALS) so that rate × base stays exact (Polars' Decimal product keeps
# only the larger of the two scales, which would silently truncate).
RATE_DECIMALS = 4


@dataclass(frozen=True)
class LateFeeRule:
    """Late-payment fees of a contract: simple interest at `annual_rate_percent` on the overdue
    amount per day late (365-day year), plus `flat_amount` once a formal notice is reached."""

    annual_rate_percent: Decimal = Decimal(0)
    flat_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class RateLine:
    option: str | None  # None: every option
    population: str
    base: str  # synthetic.reference_formats.Base value: tranche_a, tranche_b, pmss
    rate_percent: Decimal
    effective_from: date
    effective_to: date | None  # inclusive


@dataclass(frozen=True)
class ContractTerms:
    contract_reference: str
    organisme_code: str
    siren: str
    company_name: str
    legal_regime: LegalRegime
    periodicity: Periodicity
    due_date_rule: DueDateRule
    rates: tuple[RateLine, ...] = ()
    late_fee: LateFeeRule | None = None

    @classmethod
    def from_parameters(
        cls,
        parameters: ContractParameters,
        *,
        due_date_rule: DueDateRule | None = None,
        late_fee: LateFeeRule | None = None,
    ) -> ContractTerms:
        return cls(
            contract_reference=parameters.contract_reference,
            organisme_code=parameters.organisme_code,
            siren=parameters.siren,
            company_name=parameters.company_name,
            legal_regime=parameters.legal_regime,
            periodicity=parameters.payment_periodicity,
            due_date_rule=due_date_rule
            or DaysAfterPeriodEnd(parameters.due_date_rule.days_after_period_end),
            rates=tuple(
                RateLine(
                    option=rate.option,
                    population=rate.population,
                    base=str(rate.base),
                    rate_percent=rate.rate_percent,
                    effective_from=rate.effective_from,
                    effective_to=rate.effective_to,
                )
                for rate in parameters.rates
            ),
            late_fee=late_fee,
        )


RATES_SCHEMA = pl.Schema(
    {
        "contract_reference": pl.String(),
        "option": pl.String(),
        "population": pl.String(),
        "base": pl.String(),
        "rate_scaled": pl.Int64(),  # rate percent × 10^RATE_DECIMALS
        "effective_from": pl.Date(),
        "effective_to": pl.Date(),
    }
)


def _scaled_rate(rate: Decimal, contract_reference: str) -> int:
    scaled = rate.scaleb(RATE_DECIMALS)
    if scaled != scaled.to_integral_value():
        raise ValueError(
            f"Contrat {contract_reference} : taux {rate} % avec plus de {RATE_DECIMALS} décimales"
        )
    return int(scaled)


def rates_frame(contracts: Iterable[ContractTerms]) -> pl.DataFrame:
    """Every rate line of the contracts, one row each, rates as scaled integers."""
    rows = [
        {
            "contract_reference": terms.contract_reference,
            "option": line.option,
            "population": line.population,
            "base": line.base,
            "rate_scaled": _scaled_rate(line.rate_percent, terms.contract_reference),
            "effective_from": line.effective_from,
            "effective_to": line.effective_to,
        }
        for terms in contracts
        for line in terms.rates
    ]
    return pl.DataFrame(rows, schema=RATES_SCHEMA)


def companies_frame(contracts: Iterable[ContractTerms]) -> pl.DataFrame:
    """siren, name of the companies the contracts name (to recognise a payer by name)."""
    names = sorted({(t.siren, t.company_name) for t in contracts})
    return pl.DataFrame(names, schema={"siren": pl.String(), "name": pl.String()}, orient="row")
