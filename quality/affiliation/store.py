"""The affiliation register in the warehouse: the inputs of `states.compute_states` read from
the core model, the OC's reference tables, the portal's exports and the steward decisions; the
register (`core.affiliation_states`) and its history written back."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from quality.affiliation.sources import query
from quality.affiliation.states import (
    STATE_KEY,
    RegisterSettings,
    StateInputs,
    compute_states,
)
from warehouse.changes import EVERY_COMPANY, CompanyScope, register_scope


def read_state_inputs(
    connection: duckdb.DuckDBPyConnection, scope: CompanyScope = EVERY_COMPANY
) -> StateInputs:
    """The inputs of the companies and employees in `scope` (registered on the connection:
    `register_scope`); the DSN's are those of the sources: every company's, or within
    `night_sources` what the scope reads (`refresh_states` keeps the scope's states). The
    contracts are every company's when the scope has employees: theirs may be anywhere."""
    in_scope = scope.sql("siren", "employee_key")
    dsn = query(
        connection,
        """
        WITH per_employment AS (
            -- An employment contract declared under a NIR, then under another without
            -- S21.G00.31 (AFF007), is one person: he is known under the latest key.
            SELECT * FROM aff_affiliations WHERE contract_reference IS NOT NULL
            QUALIFY row_number() OVER (
                PARTITION BY siren, siret, contract_start, contract_number, contract_reference
                -- A total order, so that a night is reproducible: within the latest month,
                -- the affiliation that started last (an option changed mid-month), then the
                -- block declared last.
                ORDER BY month DESC, start_date DESC NULLS LAST, file_id DESC,
                    declaration_id DESC, instance_id DESC) = 1
        ),
        latest AS (
            SELECT * FROM per_employment
            QUALIFY row_number() OVER (
                PARTITION BY siren, employee_key, contract_reference
                ORDER BY month DESC, siret DESC, start_date DESC NULLS LAST,
                    contract_start DESC, contract_number DESC, file_id DESC,
                    declaration_id DESC, instance_id DESC) = 1
        )
        SELECT l.siren, l.siret, l.employee_key, n.employee_name, l.contract_reference,
            l.contract_start AS affiliated_since, l.month AS last_month, l.option_code,
            l.population_code, l.dependants, e.end_date, e.end_reason, e.keeps_cover
        FROM latest AS l
        LEFT JOIN aff_names AS n ON n.employee_key = l.employee_key
        LEFT JOIN aff_contract_ends AS e
            ON e.siret = l.siret AND e.employee_key = l.employee_key
            AND e.contract_start = l.contract_start AND e.contract_number = l.contract_number
        """,
    )
    return StateInputs(
        contracts=query(
            connection,
            "SELECT contract_reference, siren FROM reference.oc_contracts "
            f"WHERE {'TRUE' if scope.keys else scope.sql('siren')}",
        ),
        dsn=dsn,
        requests=query(
            connection,
            f"""
            SELECT r.siren, r.siret, r.nir AS employee_key,
                trim(coalesce(r.last_name, '') || ' ' || coalesce(r.first_names, ''))
                    AS employee_name,
                r.contract_reference, r.requested_on, r.hired_on,
                min(c.completed_on) AS completed_on, arg_min(c.option_code, c.completed_on)
                    AS option_code
            FROM aff_requests AS r
            LEFT JOIN from_portal.affiliation_completions AS c USING (request_id)
            WHERE r.nir IS NOT NULL AND {scope.sql("r.siren", "r.nir")}
                -- once the DSN declares the person, the DSN decides (AFF001 if unaffiliated)
                AND NOT EXISTS (
                    SELECT 1 FROM aff_contract_months AS m
                    WHERE m.siren = r.siren AND m.employee_key = r.nir)
            GROUP BY ALL
            """,
        ),
        exemptions=query(
            connection,
            f"""
            SELECT siren, siret, nir AS employee_key,
                trim(coalesce(last_name, '') || ' ' || coalesce(first_names, ''))
                    AS employee_name,
                contract_reference, start_date, end_date, reason_code
            FROM from_portal.exemptions WHERE {scope.sql("siren", "nir")}
            """,
        ),
        radiations=query(
            connection,
            f"""
            SELECT siren, siret, nir AS employee_key,
                trim(coalesce(last_name, '') || ' ' || coalesce(first_names, ''))
                    AS employee_name,
                contract_reference, radiation_date, reason
            FROM from_portal.radiations WHERE {scope.sql("siren", "nir")}
            """,
        ),
        forced=query(
            connection,
            f"""
            SELECT siren, siret, employee_key, contract_reference, action, effective_date,
                reason
            FROM aff_forced_decisions WHERE {in_scope}
            """,
        ),
    )


_COMPARED = [
    "siret",
    "status",
    "status_since",
    "portability_end",
    "end_reason",
    "option_code",
    "population_code",
]


def write_states(
    connection: duckdb.DuckDBPyConnection,
    states: pl.DataFrame,
    night: date,
    scope: CompanyScope = EVERY_COMPANY,
) -> int:
    """Replace the rows of `scope`'s companies and employees in `core.affiliation_states` with
    `states` (the others' states are those of their last computation, dated tonight); record in
    `core.affiliation_history`, under `night`, every state of theirs that is new or changed
    since the nights before. Returns the changes recorded for `night`.

    The history holds one row per key and night, the state at the end of that night: late
    files run the same night again (its date is the due date of the latest declared month), so
    that night's rows are replaced, compared with the history before it rather than with the
    register of the previous run (which may already be tonight's). The history records no
    departure from the register: a key coming back in the state it left in is no change."""
    register_scope(connection, scope)
    in_scope = scope.sql("siren", "employee_key")
    previous = connection.sql(
        f"""
        SELECT {", ".join([*STATE_KEY, *_COMPARED])} FROM core.affiliation_history
        WHERE night < ? AND {in_scope}
        QUALIFY row_number() OVER (PARTITION BY {", ".join(STATE_KEY)} ORDER BY night DESC) = 1
        """,
        params=[night],
    ).pl()
    changed = states.join(
        previous.cast({"status_since": pl.Date()}),
        on=[*STATE_KEY, *_COMPARED],
        how="anti",
        nulls_equal=True,
    ).with_columns(night=pl.lit(night))
    current = states.with_columns(night=pl.lit(night))
    connection.register("_states", current)
    connection.register("_changes", changed)
    try:
        connection.execute(f"DELETE FROM core.affiliation_states WHERE {in_scope}")
        connection.execute(
            "UPDATE core.affiliation_states SET night = ? WHERE night <> ?", [night, night]
        )
        connection.execute("INSERT INTO core.affiliation_states BY NAME SELECT * FROM _states")
        connection.execute(
            f"DELETE FROM core.affiliation_history WHERE night = ? AND {in_scope}", [night]
        )
        connection.execute(
            """
            INSERT INTO core.affiliation_history BY NAME
            SELECT siren, siret, employee_key, contract_reference, status, status_since,
                portability_end, end_reason, option_code, population_code, source, night
            FROM _changes
            """
        )
    finally:
        connection.unregister("_states")
        connection.unregister("_changes")
    return changed.height


def refresh_states(
    connection: duckdb.DuckDBPyConnection,
    night: date,
    settings: RegisterSettings | None = None,
    scope: CompanyScope = EVERY_COMPANY,
) -> pl.DataFrame:
    """Recompute and write the states of `scope`'s companies and employees; returns them."""
    register_scope(connection, scope)
    # the DSN rows are every company's, or what the scope reads
    states = scope.keep(compute_states(read_state_inputs(connection, scope), night, settings))
    write_states(connection, states, night, scope)
    return states
