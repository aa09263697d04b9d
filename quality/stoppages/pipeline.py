"""All stoppage results from the inputs: episodes, employee events, signals, claims."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from contracts.parameters import Cover
from quality.stoppages.claims import claims
from quality.stoppages.episodes import consolidate, observation_end, stoppage_episodes
from quality.stoppages.events import employee_events
from quality.stoppages.franchise import franchise_starts
from quality.stoppages.inputs import StoppageInputs, read_inputs
from quality.stoppages.scope import warehouse_observation_end, with_sharers
from quality.stoppages.signals import all_signals
from quality.stoppages.terms import (
    ProvidentTerms,
    cover_table,
    provident_terms,
    terms_by_reference,
    with_provident_contract,
)
from warehouse.changes import EVERY_COMPANY, CompanyScope
from warehouse.reference import contract_parameters


@dataclass(frozen=True)
class StoppageResults:
    as_of: date | None  # the observation end the results are stated for
    episodes: pl.DataFrame  # stoppage episodes (episodes.EPISODE_COLUMNS + provident columns)
    events: pl.DataFrame  # invalidity and death (events.EVENT_COLUMNS + contract_reference)
    signals: pl.DataFrame  # signals.OUTPUT_COLUMNS
    claims: pl.DataFrame  # claims.CLAIM_COLUMNS

    def of(self, scope: CompanyScope) -> StoppageResults:
        """The results of the companies and employees of `scope` only."""
        return StoppageResults(
            as_of=self.as_of,
            episodes=scope.keep(self.episodes),
            events=scope.keep(self.events),
            signals=scope.keep(self.signals),
            claims=scope.keep(self.claims),
        )


def build(
    inputs: StoppageInputs, terms: Iterable[ProvidentTerms], as_of: date | None = None
) -> StoppageResults:
    """`as_of` defaults to the end of the latest month with a monthly DSN."""
    terms = list(terms)
    as_of = as_of or observation_end(inputs)
    cover = cover_table(terms)
    by_reference = terms_by_reference(terms)
    every_episode = with_provident_contract(consolidate(inputs), inputs.contracts, cover)
    episodes = every_episode.join(
        franchise_starts(every_episode, by_reference, as_of), on="episode_id", how="left"
    )
    events = with_provident_contract(employee_events(inputs), inputs.contracts, cover)
    return StoppageResults(
        as_of=as_of,
        episodes=stoppage_episodes(episodes),
        events=events,
        signals=all_signals(episodes, events, inputs.monthly, as_of),
        claims=claims(stoppage_episodes(episodes), inputs.gross_pay, by_reference, as_of),
    )


def build_from_warehouse(
    connection: duckdb.DuckDBPyConnection,
    scope: CompanyScope = EVERY_COMPANY,
    as_of: date | None = None,
    read: CompanyScope | None = None,
) -> StoppageResults:
    """The results of the companies and employees in `scope` (`quality.stoppages.scope`) from
    the core model and the contracts' parameters loaded at ingestion, stated for the
    observation end `as_of` (default: the warehouse's, `warehouse_observation_end`), from the
    rows of `read` (default: `scope`'s companies and their sharers)."""
    read = read or with_sharers(connection, scope)
    inputs = read_inputs(connection, read)
    # a contract covers the employees of its company only: the companies read are enough
    sirens = None if read.everything else _sirens(inputs)
    terms = provident_terms(contract_parameters(connection, sirens, Cover.PREVOYANCE))
    return build(inputs, terms, as_of or warehouse_observation_end(connection)).of(scope)


def _sirens(inputs: StoppageInputs) -> set[str]:
    """Every company a row of `inputs` belongs to."""
    frames = (inputs.stoppages, inputs.suspensions, inputs.contract_ends, inputs.gross_pay)
    return set().union(*(frame.get_column("siren") for frame in (*frames, inputs.contracts)))
