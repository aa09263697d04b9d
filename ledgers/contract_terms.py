"""What the ledgers need from a contract's parameter file (fiche de paramétrage, FPOC).

The file format is `contracts.parameters.ContractParameters`: the due-date rule, the late
fee, the dunning day counts agreed in the contract (else the legal regime's, `ledgers.dunning`),
the organisme's collection accounts and the paying company's SEPA mandates.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from stdnum import iban

from contracts.parameters import ContractParameters, DunningDays, LegalRegime
from dsn_parser.masking import mask_account
from ledgers.periods import ContractDueDateRule, DueDateRule, Periodicity

__all__ = [
    "ContractTerms",
    "DunningSchedule",
    "LateFeeRule",
    "RateLine",
    "companies_frame",
    "creditor_accounts_frame",
    "mandates_frame",
    "rates_frame",
]

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
class DunningSchedule:
    """Day counts of the road reminder → formal notice → suspension → termination."""

    reminder_days_after_due: int
    notice_days_after_due: int
    suspension_days_after_notice: int
    termination_days_after_suspension: int

    @classmethod
    def from_parameters(cls, days: DunningDays) -> DunningSchedule:
        return cls(
            reminder_days_after_due=days.reminder_days_after_due,
            notice_days_after_due=days.notice_days_after_due,
            suspension_days_after_notice=days.suspension_days_after_notice,
            termination_days_after_suspension=days.termination_days_after_suspension,
        )


@dataclass(frozen=True)
class RateLine:
    option: str | None  # None: every option
    population: str
    base: str  # contracts.parameters.Base value: tranche_a, tranche_b, pmss
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
    dunning_schedule: DunningSchedule | None = None  # None: the legal regime's day counts
    collection_accounts: tuple[str, ...] = ()  # IBANs of the organisme for this contract
    mandate_ids: tuple[str, ...] = ()  # SEPA mandates (RUM) the company signed for it

    @classmethod
    def from_parameters(cls, parameters: ContractParameters) -> ContractTerms:
        fee = parameters.late_fee
        days = parameters.dunning_days
        return cls(
            contract_reference=parameters.contract_reference,
            organisme_code=parameters.organisme_code,
            siren=parameters.siren,
            company_name=parameters.company_name,
            legal_regime=parameters.legal_regime,
            periodicity=parameters.payment_periodicity,
            due_date_rule=ContractDueDateRule(parameters.due_date_rule),
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
            late_fee=LateFeeRule(fee.annual_rate_percent, fee.flat_amount) if fee else None,
            dunning_schedule=DunningSchedule.from_parameters(days) if days else None,
            collection_accounts=tuple(a.iban for a in parameters.collection_accounts),
            mandate_ids=tuple(m.mandate_id for m in parameters.sepa_mandates),
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


CREDITOR_ACCOUNTS_SCHEMA = pl.Schema({"account_iban": pl.String(), "organisme_code": pl.String()})


def creditor_accounts_frame(
    contracts: Iterable[ContractTerms],
) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """The organismes' collection accounts the contracts name (account_iban, organisme_code;
    `ledgers.allocation`: money received on an organisme's account pays its calls only), and
    the accounts rejected (contract reference, reason in French, IBAN masked): an account that
    is not a valid IBAN, or that two organismes claim (it could not decide whose calls it pays).
    """
    claims: dict[str, set[str]] = {}
    rejected: list[tuple[str, str]] = []
    for terms in contracts:
        for account in terms.collection_accounts:
            compact = _valid_account(account)
            if compact is None:
                reason = f"compte d'encaissement invalide (IBAN {mask_account(account)})"
                rejected.append((terms.contract_reference, reason))
                continue
            claims.setdefault(compact, set()).add(terms.organisme_code)
    rows = []
    for account, organismes in sorted(claims.items()):
        if len(organismes) > 1:
            reason = (
                f"compte d'encaissement {mask_account(account)} déclaré par plusieurs organismes"
            )
            rejected.append((", ".join(sorted(organismes)), reason))
            continue
        rows.append((account, organismes.pop()))
    return pl.DataFrame(rows, schema=CREDITOR_ACCOUNTS_SCHEMA, orient="row"), rejected


@functools.cache
def _valid_account(account: str) -> str | None:
    """The IBAN compacted, or None if it is not valid. Cached: the contracts name the same few
    organismes' accounts over and over, and validating one costs half a millisecond (1,216 a
    night for 608 contracts: 0.65 s of the ledger step at 20,000 employees)."""
    return iban.compact(account) if iban.is_valid(account) else None


MANDATES_SCHEMA = pl.Schema(
    {"mandate_id": pl.String(), "siren": pl.String(), "contract_reference": pl.String()}
)


def mandates_frame(contracts: Iterable[ContractTerms]) -> pl.DataFrame:
    """The SEPA mandates of the contracts (mandate_id, siren, contract_reference): a direct
    debit under one pays that company, and that contract when the mandate names only one (a
    company often signs one mandate per organisme for all its contracts there). A mandate
    two companies claim is left out: the payer is then found by other means."""
    claims: dict[str, set[tuple[str, str]]] = {}
    for terms in contracts:
        for mandate in terms.mandate_ids:
            claims.setdefault(mandate, set()).add((terms.siren, terms.contract_reference))
    rows = []
    for mandate, owners in sorted(claims.items()):
        sirens = {siren for siren, _ in owners}
        if len(sirens) == 1:
            contract = next(iter(owners))[1] if len(owners) == 1 else None
            rows.append((mandate, sirens.pop(), contract))
    return pl.DataFrame(rows, schema=MANDATES_SCHEMA, orient="row")
