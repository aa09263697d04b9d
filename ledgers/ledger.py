"""Every ledger table of one nightly run, from the core model's frames: what the pipeline's
ledger asset calls and the warehouse stores (each table is documented in its own module)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from ledgers.allocation import AllocationResult, allocate
from ledgers.balances import (
    balances_by_call,
    balances_by_company,
    balances_by_period,
    bank_identity_breaks,
    company_identity_breaks,
)
from ledgers.calls import build_calls
from ledgers.contract_terms import ContractTerms, companies_frame
from ledgers.dunning import dunning_state

__all__ = ["Ledger", "build_ledger"]


@dataclass(frozen=True)
class Ledger:
    calls: pl.DataFrame  # ledgers.calls.CALLS_SCHEMA
    lettrage: AllocationResult  # allocations, movements counted, ignored, duplicates
    by_call: pl.DataFrame
    by_period: pl.DataFrame  # the portal's per contract and period view
    by_company: pl.DataFrame
    dunning: pl.DataFrame  # as of the run date

    def identity_breaks(self) -> dict[str, pl.DataFrame]:
        """The rows breaking each identity (all empty when the ledger is consistent)."""
        allocations = self.lettrage.allocations
        return {
            "entreprise": company_identity_breaks(self.calls, allocations, self.by_company),
            "banque": bank_identity_breaks(self.lettrage.movements, allocations),
        }


def build_ledger(
    contributions: pl.DataFrame,
    contracts: Iterable[ContractTerms],
    movements: pl.DataFrame,
    as_of: date,
    *,
    declared_payments: pl.DataFrame | None = None,
    mandates: pl.DataFrame | None = None,
    creditor_accounts: pl.DataFrame | None = None,
    dsn_filing_day: int = 15,
) -> Ledger:
    terms = list(contracts)
    calls = build_calls(
        contributions, terms, declared_payments=declared_payments, dsn_filing_day=dsn_filing_day
    )
    lettrage = allocate(
        calls,
        movements,
        declared_payments=declared_payments,
        mandates=mandates,
        companies=companies_frame(terms),
        creditor_accounts=creditor_accounts,
    )
    allocations = lettrage.allocations
    return Ledger(
        calls=calls,
        lettrage=lettrage,
        by_call=balances_by_call(calls, allocations),
        by_period=balances_by_period(calls, allocations, declared_payments=declared_payments),
        by_company=balances_by_company(calls, allocations),
        dunning=dunning_state(calls, allocations, terms, as_of),
    )
