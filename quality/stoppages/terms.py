"""The provident contract terms a stoppage is judged by, read from the insurer's contract
parameter files (fiche de paramétrage, `contracts.parameters.ContractParameters`).

Those files give the franchise length and how it counts days (continuous, or cumulated over
12 months), the stoppage reasons it counts, the reference-salary window and the daily
allowance percentage. A file that leaves the last two out gets the defaults below.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from contracts.parameters import (
    DEFAULT_FRANCHISE_REASONS as FILE_DEFAULT_FRANCHISE_REASONS,
)
from contracts.parameters import ContractParameters, Cover, FranchiseMode

__all__ = [
    "FranchiseMode",
    "ProvidentTerms",
    "cover_table",
    "provident_terms",
    "terms_by_reference",
    "terms_of",
    "with_provident_contract",
]

# Illness, commuting accident, occupational disease, work accident. Maternity, paternity,
# adoption and therapeutic part-time are paid otherwise (an assumption, kept configurable).
DEFAULT_FRANCHISE_REASONS = frozenset(FILE_DEFAULT_FRANCHISE_REASONS)
# Share of the reference salary paid per day after the franchise, when the file gives none.
DEFAULT_ALLOWANCE_PERCENT = Decimal("75")
DEFAULT_REFERENCE_MONTHS = 12


@dataclass(frozen=True)
class ProvidentTerms:
    contract_reference: str
    siren: str
    categories: frozenset[str]  # S21.G00.40.003 values the contract's populations cover
    franchise_days: int
    franchise_mode: FranchiseMode = FranchiseMode.CONTINUOUS
    franchise_reasons: frozenset[str] = DEFAULT_FRANCHISE_REASONS
    reference_salary_months: int = DEFAULT_REFERENCE_MONTHS
    allowance_percent: Decimal = DEFAULT_ALLOWANCE_PERCENT


def terms_of(parameters: ContractParameters) -> ProvidentTerms | None:
    """The terms of a provident contract; None for a health contract or one with no franchise."""
    if parameters.cover is not Cover.PREVOYANCE or parameters.provident_franchise_days is None:
        return None
    return ProvidentTerms(
        contract_reference=parameters.contract_reference,
        siren=parameters.siren,
        categories=frozenset(c for p in parameters.populations for c in p.categories),
        franchise_days=parameters.provident_franchise_days,
        franchise_mode=parameters.provident_franchise_mode,
        franchise_reasons=frozenset(parameters.provident_franchise_reasons),
        reference_salary_months=parameters.reference_salary_months or DEFAULT_REFERENCE_MONTHS,
        allowance_percent=parameters.provident_allowance_percent or DEFAULT_ALLOWANCE_PERCENT,
    )


def provident_terms(contracts: Iterable[ContractParameters]) -> list[ProvidentTerms]:
    """The provident terms of the contracts (health contracts are skipped)."""
    return [terms for parameters in contracts if (terms := terms_of(parameters)) is not None]


COVER_COLUMNS: dict[str, pl.DataType] = {
    "siren": pl.String(),
    "category": pl.String(),
    "contract_reference": pl.String(),
}


def cover_table(terms: Iterable[ProvidentTerms]) -> pl.DataFrame:
    """(siren, category) -> provident contract reference: who a contract covers.

    An employee is covered when his company holds a provident contract whose populations include
    his category, whether or not payroll declared his affiliation (a missing affiliation is an
    affiliation anomaly, not a reason to lose the claim). The first contract wins when two
    cover the same category.
    """
    rows = [
        {"siren": t.siren, "category": c, "contract_reference": t.contract_reference}
        for t in terms
        for c in sorted(t.categories)
    ]
    table = pl.DataFrame(rows, schema=COVER_COLUMNS)
    return table.unique(subset=["siren", "category"], keep="first", maintain_order=True)


def terms_by_reference(terms: Iterable[ProvidentTerms]) -> dict[str, ProvidentTerms]:
    return {t.contract_reference: t for t in terms}


def with_provident_contract(
    frame: pl.DataFrame, contracts: pl.DataFrame, cover: pl.DataFrame
) -> pl.DataFrame:
    """`frame` (siren + employment contract key) with the `contract_reference` of the provident
    contract covering the employee, null when none does."""
    keys = ["siren", "employee_key", "contract_start", "contract_number"]
    return (
        frame.join(contracts.select(*keys, "category"), on=keys, how="left", maintain_order="left")
        .join(cover, on=["siren", "category"], how="left", maintain_order="left")
        .drop("category")
    )
