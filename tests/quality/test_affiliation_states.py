"""The affiliation register: the state of an employee on a contract from the DSN, the portal and
the steward's decisions (pure function over frames), its history in the warehouse, the night
entry point, and the portal files read without losing a line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from quality.affiliation.night import AffiliationNight, run_affiliation_night
from quality.affiliation.states import (
    RegisterSettings,
    StateInputs,
    Status,
    compute_states,
)
from quality.affiliation.store import refresh_states, write_states
from quality.anomalies.decisions import DecisionAction, StewardDecision, record_decision
from tests.quality.dsn_cases import (
    FEB,
    HEALTH,
    JAN,
    NIR,
    OTHER_NIR,
    PROVIDENT,
    SIREN,
    SIRET,
    Affiliation,
    Person,
    Portal,
    load_night,
    monthly,
)
from warehouse.migrations import apply_migrations
from warehouse.reference import load_reference_files, read_reference_files

NIGHT = date(2025, 7, 1)
START = date(2015, 9, 1)

_DSN = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "employee_name": pl.String(),
    "contract_reference": pl.String(),
    "affiliated_since": pl.Date(),
    "last_month": pl.Date(),
    "option_code": pl.String(),
    "population_code": pl.String(),
    "dependants": pl.Int32(),
    "end_date": pl.Date(),
    "end_reason": pl.String(),
    "keeps_cover": pl.Boolean(),
}
_REQUESTS = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "employee_name": pl.String(),
    "contract_reference": pl.String(),
    "requested_on": pl.Date(),
    "hired_on": pl.Date(),
    "completed_on": pl.Date(),
    "option_code": pl.String(),
}
_EXEMPTIONS = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "employee_name": pl.String(),
    "contract_reference": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "reason_code": pl.String(),
}
_RADIATIONS = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "employee_name": pl.String(),
    "contract_reference": pl.String(),
    "radiation_date": pl.Date(),
    "reason": pl.String(),
}
_FORCED = {
    "siren": pl.String(),
    "siret": pl.String(),
    "employee_key": pl.String(),
    "contract_reference": pl.String(),
    "action": pl.String(),
    "effective_date": pl.Date(),
    "reason": pl.String(),
}
_PERSON = {"siren": SIREN, "siret": SIRET, "employee_key": NIR, "contract_reference": HEALTH}


def night_with_inputs(
    connection: duckdb.DuckDBPyConnection, night: date, landing: Path, decisions: Path
) -> AffiliationNight:
    """The reference and portal files of `landing` loaded (as at ingestion), then the night."""
    load_reference_files(connection, landing)
    return run_affiliation_night(connection, night, decisions)


def _frame(schema: dict[str, pl.DataType], *rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([{**_PERSON, **row} for row in rows], schema=schema)


def declared(**row: Any) -> dict[str, Any]:
    return {"affiliated_since": START, "last_month": JAN, "option_code": "BASE", **row}


def inputs(
    dsn: tuple[dict[str, Any], ...] = (),
    requests: tuple[dict[str, Any], ...] = (),
    exemptions: tuple[dict[str, Any], ...] = (),
    radiations: tuple[dict[str, Any], ...] = (),
    forced: tuple[dict[str, Any], ...] = (),
) -> StateInputs:
    return StateInputs(
        contracts=pl.DataFrame(
            {"contract_reference": [HEALTH, PROVIDENT], "siren": [SIREN, SIREN]}
        ),
        dsn=_frame(_DSN, *dsn),
        requests=_frame(_REQUESTS, *requests),
        exemptions=_frame(_EXEMPTIONS, *exemptions),
        radiations=_frame(_RADIATIONS, *radiations),
        forced=_frame(_FORCED, *forced),
    )


def state(
    source: StateInputs, night: date = NIGHT, settings: RegisterSettings | None = None
) -> tuple[Any, ...]:
    [row] = compute_states(source, night, settings).iter_rows(named=True)
    return row["status"], row["status_since"], row["portability_end"], row["end_reason"]


# -- from the DSN -----------------------------------------------------------------------------


def test_declared_affiliation_is_affiliated_since_the_employment_start() -> None:
    assert state(inputs(dsn=(declared(),))) == (Status.AFFILIATED, START, None, None)


def test_dismissal_opens_twelve_months_of_portability_then_radiation() -> None:
    dismissed = inputs(dsn=(declared(end_date=date(2025, 3, 15), end_reason="014"),))
    assert state(dismissed) == (
        Status.PORTABILITY,
        date(2025, 3, 16),
        date(2026, 3, 15),
        "014",
    )
    assert state(dismissed, night=date(2026, 3, 15))[0] == Status.PORTABILITY
    assert state(dismissed, night=date(2026, 3, 16)) == (
        Status.RADIATED,
        date(2025, 3, 15),
        None,
        "014",
    )


def test_resignation_and_serious_misconduct_radiate_at_the_end_date() -> None:
    for reason in ("059", "087", "066"):
        ended = inputs(dsn=(declared(end_date=date(2025, 3, 15), end_reason=reason),))
        assert state(ended) == (Status.RADIATED, date(2025, 3, 15), None, reason)


def test_portability_reasons_are_a_setting() -> None:
    resigned = inputs(dsn=(declared(end_date=date(2025, 3, 15), end_reason="059"),))
    generous = RegisterSettings(portability_reasons=frozenset({"059"}))
    assert state(resigned, settings=generous)[0] == Status.PORTABILITY


def test_keeping_the_collective_cover_stays_affiliated() -> None:
    kept = declared(end_date=date(2025, 3, 15), end_reason="038", keeps_cover=True)
    assert state(inputs(dsn=(kept,)))[0] == Status.AFFILIATED


def test_an_end_after_the_night_is_not_yet_a_radiation() -> None:
    later = declared(end_date=date(2025, 9, 30), end_reason="059")
    assert state(inputs(dsn=(later,)))[0] == Status.AFFILIATED


# -- from the portal --------------------------------------------------------------------------


def test_request_without_action_is_pending_for_eight_days_then_to_remind() -> None:
    asked = inputs(requests=({"requested_on": date(2025, 6, 23), "hired_on": NIGHT},))
    assert state(asked) == (Status.PENDING, date(2025, 6, 23), None, None)
    assert state(asked, night=date(2025, 7, 2))[0] == Status.TO_REMIND


def test_completed_request_is_affiliated_and_the_dsn_wins_over_the_request() -> None:
    completed = {"requested_on": date(2025, 5, 2), "hired_on": date(2025, 5, 5)}
    completed["completed_on"] = date(2025, 5, 4)
    assert state(inputs(requests=(completed,)))[:2] == (Status.AFFILIATED, date(2025, 5, 5))
    pending = {"requested_on": date(2025, 5, 2), "hired_on": date(2025, 5, 5)}
    assert state(inputs(dsn=(declared(),), requests=(pending,)))[0] == Status.AFFILIATED


def test_exemption_in_force_wins_over_the_dsn_until_it_ends() -> None:
    exempted = {"start_date": date(2024, 6, 1), "reason_code": "04"}
    assert state(inputs(dsn=(declared(),), exemptions=(exempted,)))[:2] == (
        Status.EXEMPTED,
        date(2024, 6, 1),
    )
    ended = {**exempted, "end_date": date(2025, 5, 31)}
    assert state(inputs(dsn=(declared(),), exemptions=(ended,)))[0] == Status.AFFILIATED


def test_portal_radiation_radiates_from_its_date() -> None:
    radiation = {"radiation_date": date(2025, 4, 10), "reason": "Départ"}
    assert state(inputs(dsn=(declared(),), radiations=(radiation,))) == (
        Status.RADIATED,
        date(2025, 4, 10),
        None,
        "Départ",
    )
    future = {"radiation_date": date(2025, 8, 1), "reason": "Départ"}
    assert state(inputs(dsn=(declared(),), radiations=(future,)))[0] == Status.AFFILIATED


# -- from the steward -------------------------------------------------------------------------


def test_steward_decisions_win_over_everything() -> None:
    radiation = {"radiation_date": date(2025, 4, 10), "reason": "Départ"}
    forced_back = {"action": "force_affiliation", "effective_date": date(2025, 4, 10)}
    assert state(inputs(dsn=(declared(),), radiations=(radiation,), forced=(forced_back,)))[:2] == (
        Status.AFFILIATED,
        date(2025, 4, 10),
    )
    forced_out = {"action": "force_radiation", "effective_date": date(2025, 6, 30)}
    assert state(inputs(dsn=(declared(),), forced=(forced_out,)))[:2] == (
        Status.RADIATED,
        date(2025, 6, 30),
    )


def test_only_the_insurer_s_contracts_are_in_the_register() -> None:
    unknown = declared(contract_reference="INCONNU-9")
    states = compute_states(inputs(dsn=(declared(), unknown)), NIGHT)
    assert states["contract_reference"].to_list() == [HEALTH]


# -- through the warehouse, night after night -------------------------------------------------


def test_night_entry_point_keeps_history_and_applies_a_forced_affiliation(
    tmp_path: Path,
) -> None:
    decisions = tmp_path / "decisions"
    portal = Portal().radiation(date(2025, 1, 10))
    with duckdb.connect() as connection:
        apply_migrations(connection)
        files = [monthly(JAN, Person()), monthly(FEB, Person())]
        load_night(connection, tmp_path, date(2025, 3, 20), *files, portal=portal)
        first = night_with_inputs(connection, date(2025, 3, 20), tmp_path, decisions)
        assert first.states == 2
        assert _status(connection) == {HEALTH: Status.RADIATED, PROVIDENT: Status.AFFILIATED}
        [(anomaly_id,)] = connection.execute(
            "SELECT anomaly_id FROM anomalies WHERE rule_code = 'AFF015'"
        ).fetchall()

        # The radiation was a mistake: the steward forces the affiliation back.
        record_decision(
            decisions,
            StewardDecision(
                anomaly_id=anomaly_id,
                action=DecisionAction.FORCE_AFFILIATION,
                decided_by="c.steward",
                decided_at=datetime(2025, 3, 21, 9, 0, tzinfo=UTC),
                reason="radiation saisie par erreur",
                effective_date=date(2025, 1, 10),
            ),
        )
        night_with_inputs(connection, date(2025, 3, 22), tmp_path, decisions)
        assert _status(connection) == {HEALTH: Status.AFFILIATED, PROVIDENT: Status.AFFILIATED}
        assert connection.execute(
            "SELECT status FROM anomalies WHERE anomaly_id = ?", [anomaly_id]
        ).fetchall() == [("resolved_by_steward",)]
        history = connection.execute(
            """
            SELECT status, source, night FROM core.affiliation_history
            WHERE contract_reference = ? ORDER BY night
            """,
            [HEALTH],
        ).fetchall()
        assert history == [
            (Status.RADIATED, "portail", date(2025, 3, 20)),
            (Status.AFFILIATED, "gestionnaire", date(2025, 3, 22)),
        ]
        # A night without change adds nothing to the history.
        night_with_inputs(connection, date(2025, 3, 23), tmp_path, decisions)
        [(count,)] = connection.execute("SELECT count(*) FROM core.affiliation_history").fetchall()
        assert count == 3  # health twice, provident once


def test_running_a_night_again_keeps_one_history_row_its_latest_state() -> None:
    """Late files run the same night again (the night is the due date of the latest declared
    month): the history keeps, per key, the state at the end of each night, compared with
    the night before; not every run's change under the same night."""
    june, july = date(2025, 6, 15), date(2025, 7, 15)
    affiliated = inputs(dsn=(declared(),))
    resigned = inputs(dsn=(declared(end_date=date(2025, 6, 30), end_reason="059"),))
    dismissed = inputs(dsn=(declared(end_date=date(2025, 6, 30), end_reason="014"),))
    with duckdb.connect() as connection:
        apply_migrations(connection)
        assert write_states(connection, compute_states(affiliated, june), june) == 1
        assert write_states(connection, compute_states(resigned, july), july) == 1
        # A late corrected DSN gives another end reason: July's change is replaced.
        assert write_states(connection, compute_states(dismissed, july), july) == 1
        assert _history(connection) == [
            (Status.AFFILIATED, june),
            (Status.PORTABILITY, july),
        ]
        # It then cancels the end: back to June's state, so no change in July at all.
        assert write_states(connection, compute_states(affiliated, july), july) == 0
        assert _history(connection) == [(Status.AFFILIATED, june)]


def test_late_files_on_the_same_night_do_not_duplicate_the_follow_up(tmp_path: Path) -> None:
    decisions, night = tmp_path / "decisions", date(2025, 3, 15)
    with duckdb.connect() as connection:
        apply_migrations(connection)
        load_night(connection, tmp_path, night, monthly(JAN, Person()))
        night_with_inputs(connection, night, tmp_path, decisions)
        # February's DSN arrives late, before March's: same night, the employee was dismissed.
        leaving = Person(end=(date(2025, 2, 10), "014"))
        load_night(connection, tmp_path, night, monthly(FEB, leaving))
        night_with_inputs(connection, night, tmp_path, decisions)
        assert _status(connection) == {HEALTH: Status.PORTABILITY, PROVIDENT: Status.PORTABILITY}
        assert connection.execute(
            """
            SELECT contract_reference, status, night FROM core.affiliation_history
            ORDER BY contract_reference
            """
        ).fetchall() == [
            (PROVIDENT, Status.PORTABILITY, night),
            (HEALTH, Status.PORTABILITY, night),
        ]


def _history(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, date]]:
    return connection.execute(
        "SELECT status, night FROM core.affiliation_history ORDER BY night"
    ).fetchall()


def _status(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = connection.execute(
        "SELECT contract_reference, status FROM core.affiliation_states WHERE employee_key = ?",
        [NIR],
    ).fetchall()
    return dict(rows)


# -- reading the portal's files ---------------------------------------------------------------


def test_an_unreadable_portal_line_is_kept_as_a_reject_and_the_rest_is_loaded(
    tmp_path: Path,
) -> None:
    Portal().request(date(2025, 1, 10), date(2025, 1, 13)).write(tmp_path)
    path = tmp_path / "portal" / "demandes_affiliation.csv"
    good = path.read_text(encoding="utf-8-sig")
    broken = good.splitlines()[1].replace("10/01/2025", "31/02/2025").replace("D0", "E0")
    path.write_text(good + broken + "\r\n", encoding="utf-8-sig")

    read = read_reference_files(tmp_path)
    requests = read.tables["from_portal.affiliation_requests"]
    assert requests["nir"].to_list() == [OTHER_NIR]
    [reject] = read.rejects
    assert (reject.source_file, reject.line_number) == ("portal/demandes_affiliation.csv", 3)
    assert OTHER_NIR not in reject.error  # the reason, never the personal line


# -- by hand ----------------------------------------------------------------------------------


def test_dsnpipe_affiliations_runs_the_night_and_counts_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main
    from warehouse.connections import connect

    warehouse = tmp_path / "warehouse.duckdb"
    with connect(warehouse, read_only=False) as connection:
        load_night(connection, tmp_path, NIGHT, monthly(JAN, Person()))
    arguments = ["affiliations", "--landing", str(tmp_path), "--warehouse", str(warehouse)]
    assert main([*arguments, "--night", "2025-03-20"]) == 0
    out = capsys.readouterr().out
    assert "Affiliations au 20/03/2025" in out and "affilié" in out
    assert NIR not in out  # counts only, no employee
    with connect(warehouse) as connection:
        assert _status(connection) == {HEALTH: Status.AFFILIATED, PROVIDENT: Status.AFFILIATED}


def test_dsnpipe_affiliations_dates_the_night_by_the_latest_declared_month(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not by today's date: the same files give the same register whatever day they run,
    and the same night as `dsnpipe run` (the 15th after the latest declared month)."""
    from pipelines.cli import main
    from warehouse.connections import connect

    warehouse = tmp_path / "warehouse.duckdb"
    with connect(warehouse, read_only=False) as connection:
        load_night(connection, tmp_path, NIGHT, monthly(JAN, Person()))
    assert main(["affiliations", "--landing", str(tmp_path), "--warehouse", str(warehouse)]) == 0
    assert "Affiliations au 15/02/2025" in capsys.readouterr().out


def test_a_night_without_portal_files_keeps_the_previous_exports(tmp_path: Path) -> None:
    with duckdb.connect() as connection:
        apply_migrations(connection)
        portal = Portal().radiation(date(2025, 1, 10))
        load_night(connection, tmp_path, NIGHT, monthly(JAN, Person()), portal=portal)
        for exported in (tmp_path / "portal").iterdir():
            exported.unlink()
        load_reference_files(connection, tmp_path)
        assert connection.execute("SELECT nir FROM from_portal.radiations").fetchall() == [(NIR,)]


def test_a_request_speaks_until_the_dsn_declares_the_person(tmp_path: Path) -> None:
    portal = Portal().request(date(2025, 1, 10), date(2025, 1, 13))
    provident_only = Person(
        nir=OTHER_NIR, number="C0002", affiliations=(Affiliation(PROVIDENT, None, "NC"),)
    )
    with duckdb.connect() as connection:
        apply_migrations(connection)
        load_night(connection, tmp_path, NIGHT, monthly(JAN, Person()), portal=portal)
        states = refresh_states(connection, date(2025, 1, 15))
        assert _rows_of(states, OTHER_NIR) == {HEALTH: Status.PENDING}
        assert _rows_of(refresh_states(connection, date(2025, 1, 20)), OTHER_NIR) == {
            HEALTH: Status.TO_REMIND
        }
        # February: payroll declares her, on the provident contract only (AFF001 for health).
        load_night(
            connection, tmp_path, NIGHT, monthly(FEB, Person(), provident_only), portal=portal
        )
        states = refresh_states(connection, date(2025, 3, 20))
        assert _rows_of(states, OTHER_NIR) == {PROVIDENT: Status.AFFILIATED}


def _rows_of(states: pl.DataFrame, key: str) -> dict[str, str]:
    rows = states.filter(pl.col("employee_key") == key).select("contract_reference", "status")
    return dict(rows.iter_rows())


def test_dsnpipe_affiliations_is_refused_while_a_night_holds_the_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import subprocess
    import sys

    from pipelines.cli import main

    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from warehouse.lock import night_lock\n"
            "with night_lock(Path(sys.argv[1])):\n    print('tenu', flush=True); time.sleep(60)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "tenu"
        code = main(["affiliations", "--landing", str(tmp_path), "--warehouse", str(warehouse)])
    finally:
        holder.kill()
        holder.wait()
    assert code == 3
    assert "Une nuit est déjà en cours" in capsys.readouterr().err
