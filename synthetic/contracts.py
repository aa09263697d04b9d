"""The insurer's contracts with one company and the contributions they call.

A company holds one santé contract (with the mutuelle of the group) and zero to two prévoyance
contracts (with its institution de prévoyance), for all staff or per population (cadres /
non-cadres). Contributions are rate × base per option and population, as the contract's
parameters say; the same function computes what payroll declares (059) and what the insurer
expects, so a fault is a deliberate deviation from it, never a rounding accident.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from contracts.parameters import (
    DEFAULT_FRANCHISE_REASONS,
    Base,
    CollectionAccount,
    ContractParameters,
    Cover,
    DueDateKind,
    DueDateRule,
    DunningDays,
    FranchiseMode,
    LateFee,
    LegalRegime,
    Option,
    Periodicity,
    Population,
    Rate,
    SepaMandate,
)

CENT = Decimal("0.01")
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
# The insurer group: a mutuelle for health, an institution de prévoyance for provident cover.
SANTE_ORGANISME = "775678584"
PREVOYANCE_ORGANISME = "P0942"
ORGANISME_REGIME = {
    SANTE_ORGANISME: LegalRegime.MUTUELLE,
    PREVOYANCE_ORGANISME: LegalRegime.INSTITUTION_PREVOYANCE,
}

CADRE_CATEGORIES = ["01", "02"]
NON_CADRE_CATEGORIES = ["04"]

SANTE_POPULATION = Population(
    code="ENSPS", label="Ensemble du personnel", categories=[*CADRE_CATEGORIES, "04"]
)
SANTE_OPTIONS = [
    Option(code="BASE", label="Régime de base"),
    Option(code="OPT1", label="Option 1 (renfort)"),
    Option(code="OPT2", label="Option 2 (confort)"),
]
CADRES = Population(code="CADPR", label="Cadres", categories=CADRE_CATEGORIES)
NON_CADRES = Population(code="NCPR", label="Non-cadres", categories=NON_CADRE_CATEGORIES)
ALL_STAFF = Population(
    code="ENSPR", label="Ensemble du personnel", categories=[*CADRE_CATEGORIES, "04"]
)


def pmss(month: date) -> Decimal:
    return PMSS_BY_YEAR[month.year]


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Contribution:
    """One affiliation's contribution for one month: base components (79) and amount (059)."""

    components: tuple[tuple[str, Decimal], ...]  # (S21.G00.79.001 type, amount)
    amount: Decimal


def rate_lines(contract: ContractParameters, option: str | None, population: str, month: date):
    """The contract's rate lines that apply to an affiliation in a month."""
    return [
        rate
        for rate in contract.rates
        if rate.population == population
        and rate.option in (None, option)
        and rate.effective_from <= month
        and (rate.effective_to is None or month <= rate.effective_to)
    ]


def contribution(
    contract: ContractParameters, option: str | None, population: str, gross: Decimal, month: date
) -> Contribution:
    """Rate × base, rounded half-up to the cent once per affiliation and month."""
    ceiling = pmss(month)
    bases = {
        Base.TRANCHE_A: min(gross, ceiling),
        Base.TRANCHE_B: min(max(gross - ceiling, Decimal(0)), 3 * ceiling),
        Base.PMSS: ceiling,
    }
    component_type = {Base.TRANCHE_A: "11", Base.TRANCHE_B: "13", Base.PMSS: "18"}
    lines = rate_lines(contract, option, population, month)
    total = sum((bases[line.base] * line.rate_percent / 100 for line in lines), Decimal(0))
    components = tuple((component_type[line.base], money(bases[line.base])) for line in lines)
    return Contribution(components=components, amount=money(total))


def _revision_date(rng: random.Random, start: date, months: int) -> date | None:
    """Most contracts are re-rated on 1 January; some mid-year; some not within the window."""
    end_year = start.year + (start.month - 1 + months - 1) // 12
    if end_year > start.year and rng.random() < 0.7:
        return date(start.year + 1, 1, 1)
    if months > 6 and rng.random() < 0.4:
        month_index = start.month - 1 + rng.randrange(3, months)
        return date(start.year + month_index // 12, month_index % 12 + 1, 1)
    return None


def _rates(
    rng: random.Random,
    targets: Sequence[tuple[str | None, str, Base, Decimal]],
    since: date,
    revision: date | None,
) -> list[Rate]:
    rates: list[Rate] = []
    for option, population, base, percent in targets:
        if revision is None:
            rates.append(
                Rate(
                    option=option,
                    population=population,
                    base=base,
                    rate_percent=percent,
                    effective_from=since,
                )
            )
            continue
        increase = Decimal(rng.choice(["1.02", "1.03", "1.05"]))
        rates.append(
            Rate(
                option=option,
                population=population,
                base=base,
                rate_percent=percent,
                effective_from=since,
                effective_to=date.fromordinal(revision.toordinal() - 1),
            )
        )
        rates.append(
            Rate(
                option=option,
                population=population,
                base=base,
                rate_percent=(percent * increase).quantize(Decimal("0.001")),
                effective_from=revision,
            )
        )
    return rates


def draw_contracts(
    rng: random.Random, siren: str, company_name: str, start: date, months: int, number: int
) -> list[ContractParameters]:
    """The contracts of one company; `number` makes contract references unique in the portfolio."""
    since = date(rng.randrange(2015, start.year + 1), 1, 1)
    periodicity = rng.choice([Periodicity.MONTHLY, Periodicity.MONTHLY, Periodicity.QUARTERLY])
    sante_rate = Decimal(rng.choice(["1.20", "1.35", "1.50", "1.80"]))
    sante_targets = [
        (opt.code, SANTE_POPULATION.code, Base.PMSS, sante_rate + Decimal(k) * Decimal("0.45"))
        for k, opt in enumerate(SANTE_OPTIONS)
    ]
    contracts = [
        ContractParameters(
            contract_reference=f"{number:06d}/S{rng.randrange(100, 999)}",
            organisme_code=SANTE_ORGANISME,
            legal_regime=ORGANISME_REGIME[SANTE_ORGANISME],
            cover=Cover.SANTE,
            siren=siren,
            company_name=company_name,
            effective_from=since,
            options=SANTE_OPTIONS,
            populations=[SANTE_POPULATION],
            rates=_rates(rng, sante_targets, since, _revision_date(rng, start, months)),
            payment_periodicity=periodicity,
            due_date_rule=DueDateRule(days_after_period_end=rng.choice([10, 15, 30])),
        )
    ]
    layout = rng.choice(["both", "split", "cadres", "none"])
    populations: list[list[Population]] = {
        "both": [[ALL_STAFF]],
        "split": [[CADRES], [NON_CADRES]],
        "cadres": [[CADRES]],
        "none": [],
    }[layout]
    for index, contract_populations in enumerate(populations):
        targets = []
        for population in contract_populations:
            cadre = population is CADRES
            rate_a = Decimal("1.50") if cadre else Decimal(rng.choice(["0.60", "0.80", "1.10"]))
            rate_b = Decimal(rng.choice(["1.20", "1.90", "2.40"]))
            targets += [
                (None, population.code, Base.TRANCHE_A, rate_a),
                (None, population.code, Base.TRANCHE_B, rate_b),
            ]
        contracts.append(
            ContractParameters(
                contract_reference=f"{number:06d}/P{index + 1}{rng.randrange(10, 99)}",
                organisme_code=PREVOYANCE_ORGANISME,
                legal_regime=ORGANISME_REGIME[PREVOYANCE_ORGANISME],
                cover=Cover.PREVOYANCE,
                siren=siren,
                company_name=company_name,
                effective_from=since,
                options=[],
                populations=contract_populations,
                rates=_rates(rng, targets, since, _revision_date(rng, start, months)),
                payment_periodicity=periodicity,
                due_date_rule=DueDateRule(days_after_period_end=rng.choice([10, 15, 30])),
                provident_franchise_days=rng.choice([30, 60, 90]),
                reference_salary_months=12,
            )
        )
    return contracts


def with_terms(
    rng: random.Random,
    contract: ContractParameters,
    accounts: list[CollectionAccount],
    mandate: SepaMandate | None,
) -> ContractParameters:
    """The contract with the terms drawn once the company is known: due-date rule, franchise,
    late fee, dunning day counts, the organisme's accounts and the payer's mandate. Drawn from
    their own random stream so that the rest of the portfolio does not change with them."""
    update: dict[str, object] = {"collection_accounts": accounts}
    if mandate is not None:
        update["sepa_mandates"] = [mandate]
    if rng.random() < 0.35:
        day = rng.choice([10, 15, 20, 31])
        update["due_date_rule"] = DueDateRule(
            kind=DueDateKind.DAY_OF_NEXT_MONTH, day_of_next_month=day
        )
    if rng.random() < 0.3:
        update["late_fee"] = rng.choice(
            [LateFee(annual_rate_percent=Decimal(r)) for r in ("3.00", "5.00", "10.00")]
            + [LateFee(flat_amount=Decimal("40.00"))]
        )
    if rng.random() < 0.2:
        update["dunning_days"] = DunningDays(
            reminder_days_after_due=rng.choice([5, 8]),
            notice_days_after_due=rng.choice([10, 15, 20]),
            suspension_days_after_notice=30,
            termination_days_after_suspension=10,
        )
    if contract.cover is Cover.PREVOYANCE:
        cumulated = rng.random() < 0.35
        update |= {
            "provident_franchise_mode": FranchiseMode.CUMULATED_12_MONTHS
            if cumulated
            else FranchiseMode.CONTINUOUS,
            # Some contracts pay work accidents and occupational diseases without franchise.
            "provident_franchise_reasons": ["01", "04"]
            if rng.random() < 0.25
            else list(DEFAULT_FRANCHISE_REASONS),
            "provident_allowance_percent": Decimal(rng.choice(["70", "75", "80", "100"])),
            "reference_salary_months": rng.choice([3, 12, 12]),
        }
    return contract.model_copy(update=update)


def population_for(contract: ContractParameters, category: str) -> str | None:
    """The population of a contract an employee of this category belongs to, if covered."""
    for population in contract.populations:
        if category in population.categories:
            return population.code
    return None
