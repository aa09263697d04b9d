"""The register across nights: statuses, seen dates, reopening, idempotence."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from quality.anomalies.lifecycle import update_register
from tests.quality.detections import detections, missing_affiliation
from warehouse.changes import CompanyScope

NIGHT_1 = date(2026, 11, 20)
NIGHT_2 = NIGHT_1 + timedelta(days=1)
NIGHT_3 = NIGHT_2 + timedelta(days=1)
NIGHT_4 = NIGHT_3 + timedelta(days=1)


def register(connection: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cursor = connection.execute(
        "SELECT anomaly_id, status, first_seen, last_seen, status_since, detail "
        "FROM anomalies ORDER BY anomaly_id"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def events(connection: duckdb.DuckDBPyConnection) -> list[tuple[str, date, str | None, str]]:
    return connection.execute(
        "SELECT event, night, from_status, to_status FROM anomaly_events ORDER BY event_id"
    ).fetchall()


def test_new_then_still_there_then_gone_then_back(connection: duckdb.DuckDBPyConnection) -> None:
    tonight = detections(missing_affiliation())

    first = update_register(connection, tonight, NIGHT_1)
    assert (first.new, first.reopened, first.resolved_by_data) == (1, 0, 0)
    [row] = register(connection)
    assert (row["status"], row["first_seen"], row["last_seen"]) == ("open", NIGHT_1, NIGHT_1)

    second = update_register(connection, tonight, NIGHT_2)
    assert (second.new, second.reopened, second.resolved_by_data) == (0, 0, 0)
    [row] = register(connection)
    assert (row["status"], row["first_seen"], row["last_seen"]) == ("open", NIGHT_1, NIGHT_2)

    third = update_register(connection, detections(), NIGHT_3)
    assert third.resolved_by_data == 1
    [row] = register(connection)
    assert (row["status"], row["last_seen"], row["status_since"]) == (
        "resolved_by_data",
        NIGHT_2,
        NIGHT_3,
    )

    fourth = update_register(connection, tonight, NIGHT_4)
    assert fourth.reopened == 1 and fourth.new == 0
    [row] = register(connection)
    assert (row["status"], row["first_seen"], row["last_seen"]) == ("open", NIGHT_1, NIGHT_4)
    assert events(connection) == [
        ("detected", NIGHT_1, None, "open"),
        ("resolved_by_data", NIGHT_3, "open", "resolved_by_data"),
        ("reopened", NIGHT_4, "resolved_by_data", "open"),
    ]


def test_same_night_twice_changes_nothing(connection: duckdb.DuckDBPyConnection) -> None:
    update_register(connection, detections(missing_affiliation(nir="1850575123456")), NIGHT_1)
    tonight = detections(missing_affiliation(nir="2900133000111"))
    update_register(connection, tonight, NIGHT_2)
    snapshot = (register(connection), events(connection))

    again = update_register(connection, tonight, NIGHT_2)

    assert (register(connection), events(connection)) == snapshot
    assert (again.new, again.reopened, again.resolved_by_data) == (0, 0, 0)


def test_an_older_night_is_refused(connection: duckdb.DuckDBPyConnection) -> None:
    update_register(connection, detections(missing_affiliation()), NIGHT_2)
    with pytest.raises(ValueError, match="antérieure"):
        update_register(connection, detections(), NIGHT_1)
    assert register(connection)[0]["status"] == "open"


def test_a_new_detail_refreshes_the_anomaly_without_making_a_new_one(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    update_register(connection, detections(missing_affiliation(detail="avant")), NIGHT_1)
    update_register(connection, detections(missing_affiliation(detail="après")), NIGHT_2)

    [row] = register(connection)
    assert (row["status"], row["detail"], row["first_seen"]) == ("open", "après", NIGHT_1)
    assert [e[0] for e in events(connection)] == ["detected", "detail_changed"]


def test_each_employee_is_an_anomaly_of_its_own(connection: duckdb.DuckDBPyConnection) -> None:
    summary = update_register(
        connection,
        detections(
            missing_affiliation(nir="1850575123456"),
            missing_affiliation(nir="2900133000111"),
            # the same situation seen in a later month: still one anomaly
            missing_affiliation(nir="2900133000111", period=date(2026, 11, 1)),
        ),
        NIGHT_1,
    )
    assert summary.new == 2
    assert len(register(connection)) == 2


def test_out_of_scope_anomalies_are_seen_again_unless_resolved_by_data(
    connection: duckdb.DuckDBPyConnection,
) -> None:
    """A company out of tonight's scope keeps what the previous night detected for it, seen
    tonight; one resolved by data on a rerun of that night stays resolved and unseen."""
    changed = missing_affiliation(siret="73282932000074")
    still = missing_affiliation(siret="55210055400014")
    gone = missing_affiliation(nir="2850575116107", siret="55210055400014")
    update_register(connection, detections(changed, still, gone), NIGHT_1)
    update_register(connection, detections(changed, still), NIGHT_1)  # the night run again

    scope = CompanyScope(False, frozenset({"732829320"}), NIGHT_1, 1)
    summary = update_register(connection, detections(changed), NIGHT_2, scope)

    assert summary.detected == 2 and summary.resolved_by_data == 0
    seen = sorted((r["status"], r["last_seen"]) for r in register(connection))
    assert seen == [("open", NIGHT_2), ("open", NIGHT_2), ("resolved_by_data", NIGHT_1)]
    nights = connection.execute("SELECT night, detected FROM anomaly_nights ORDER BY night")
    assert nights.fetchall() == [(NIGHT_1, 2), (NIGHT_2, 2)]
