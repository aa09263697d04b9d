"""The register against a plain Python model of the life cycle, on random night sequences."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quality.anomalies.decisions import (
    DecisionAction,
    StewardDecision,
    apply_pending_decisions,
    record_decision,
)
from quality.anomalies.lifecycle import update_register
from tests.quality.detections import detections, missing_affiliation
from warehouse.migrations import apply_migrations

NIRS = ("1850575123456", "2900133000111", "1780299000222")
FIRST_NIGHT = date(2026, 11, 1)

# One night: for each employee, None (not detected) or the detail variant detected; then an
# optional steward decision on one employee's anomaly, made after the night's report.
Night = tuple[tuple[str | None, ...], tuple[int, DecisionAction] | None]
night_strategy = st.tuples(
    st.tuples(*[st.none() | st.sampled_from(["a", "b"]) for _ in NIRS]),
    st.none()
    | st.tuples(
        st.sampled_from(range(len(NIRS))),
        st.sampled_from([DecisionAction.ACKNOWLEDGE, DecisionAction.RESOLVE]),
    ),
)


class ModelAnomaly:
    """The life cycle in plain words, for one anomaly."""

    def __init__(self) -> None:
        self.status: str | None = None
        self.last_detail: str | None = None
        self.resolved_detail: str | None = None

    def night(self, detail: str | None) -> None:
        if detail is None:
            if self.status in ("open", "acknowledged"):
                self.status = "resolved_by_data"
            return
        if self.status in (None, "resolved_by_data") or (
            self.status == "resolved_by_steward" and detail != self.resolved_detail
        ):
            self.status = "open"
        self.last_detail = detail

    def decide(self, action: DecisionAction) -> None:
        if action is DecisionAction.ACKNOWLEDGE and self.status == "open":
            self.status = "acknowledged"
        elif action is DecisionAction.RESOLVE:
            self.status, self.resolved_detail = "resolved_by_steward", self.last_detail


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(night_strategy, min_size=2, max_size=4))
def test_the_register_follows_the_life_cycle(nights: list[Night]) -> None:
    model = {nir: ModelAnomaly() for nir in NIRS}
    with duckdb.connect() as connection, tempfile.TemporaryDirectory() as folder:
        apply_migrations(connection)
        for index, (seen, decision) in enumerate(nights):
            night = FIRST_NIGHT + timedelta(days=index)
            tonight = detections(
                *[
                    missing_affiliation(nir=nir, detail=detail)
                    for nir, detail in zip(NIRS, seen, strict=True)
                    if detail is not None
                ]
            )
            update_register(connection, tonight, night)
            snapshot = _snapshot(connection)
            update_register(connection, tonight, night)  # the same night again
            assert _snapshot(connection) == snapshot

            for nir, detail in zip(NIRS, seen, strict=True):
                model[nir].night(detail)
            assert _statuses(connection) == {
                nir: m.status for nir, m in model.items() if m.status is not None
            }

            ids = dict(
                connection.execute("SELECT employee_key, anomaly_id FROM anomalies").fetchall()
            )
            if decision is not None and NIRS[decision[0]] in ids:
                nir, action = NIRS[decision[0]], decision[1]
                record_decision(
                    Path(folder),
                    StewardDecision(anomaly_id=ids[nir], action=action, decided_by="test"),
                )
                # What the next night run does first; doing it now is the same.
                apply_pending_decisions(connection, Path(folder), night)
                model[nir].decide(action)
                assert _statuses(connection)[nir] == model[nir].status


def _statuses(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(connection.execute("SELECT employee_key, status FROM anomalies").fetchall())


def _snapshot(connection: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    return (
        connection.execute("SELECT * FROM anomalies ORDER BY anomaly_id").fetchall(),
        connection.execute("SELECT * FROM anomaly_events ORDER BY event_id").fetchall(),
    )
