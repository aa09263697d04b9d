"""Steward decisions: written by `dsnpipe anomalies`, applied by the next night run.

The nightly writer holds the warehouse lock, so a steward's command cannot write there. It
appends the decision as one JSON line to a month file of the decisions directory (next to the
warehouse file by default); the night run reads every line it has not applied yet (by
`decision_id`), applies it to the register before tonight's detections, and keeps it in
`steward_decisions` with who, when and why. Files are never rewritten; a line that cannot be
read is kept in `steward_decision_rejects` and reported, never dropped.
"""

from __future__ import annotations

import fcntl
import getpass
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quality.anomalies.model import ANOMALY_ID_LENGTH, AnomalyStatus

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class DecisionAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    FORCE_AFFILIATION = "force_affiliation"
    FORCE_RADIATION = "force_radiation"


# The anomaly event each applied action records.
_EVENT_OF_ACTION = {
    DecisionAction.ACKNOWLEDGE: "acknowledged",
    DecisionAction.RESOLVE: "resolved_by_steward",
    DecisionAction.FORCE_AFFILIATION: "forced_affiliation",
    DecisionAction.FORCE_RADIATION: "forced_radiation",
}


class StewardDecision(BaseModel):
    """One line of a decisions file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    decision_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    anomaly_id: str = Field(pattern=rf"^[0-9a-f]{{{ANOMALY_ID_LENGTH}}}$")
    action: DecisionAction
    decided_by: str = Field(min_length=1)
    decided_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    reason: str | None = None
    effective_date: date | None = None  # forced affiliation/radiation: from when


@dataclass(frozen=True)
class DecisionsSummary:
    applied: int
    without_effect: int
    unknown_anomaly: int
    rejected_lines: int


def current_user() -> str:
    return getpass.getuser()


def record_decision(decisions_dir: Path, decision: StewardDecision) -> Path:
    """Append `decision` to this month's decisions file; return the file."""
    decisions_dir.mkdir(parents=True, exist_ok=True)
    path = decisions_dir / f"{decision.decided_at.astimezone(UTC):%Y-%m}.jsonl"
    line = decision.model_dump_json() + "\n"
    # Several stewards may record at once: one locked, flushed write per decision.
    with path.open("a", encoding="utf-8") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        try:
            stream.write(line)
            stream.flush()
            os.fsync(stream.fileno())
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)
    return path


@dataclass(frozen=True)
class _Reject:
    source: str
    line_number: int
    error: str
    raw: str


def read_decisions(decisions_dir: Path) -> tuple[list[tuple[str, StewardDecision]], list[_Reject]]:
    """Every decision of the directory with its source ("file:line"), and the unreadable lines.

    A decision id met a second time (a line copied by hand) is an unreadable line.
    """
    decisions: list[tuple[str, StewardDecision]] = []
    rejects: list[_Reject] = []
    seen: set[str] = set()
    if not decisions_dir.is_dir():
        return decisions, rejects
    for path in sorted(decisions_dir.glob("*.jsonl")):
        for number, raw_line in enumerate(path.read_bytes().splitlines(), start=1):
            text = raw_line.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                decision = StewardDecision.model_validate_json(raw_line)
            except ValidationError as error:
                rejects.append(_Reject(path.name, number, _short(error), text))
                continue
            if decision.decision_id in seen:
                rejects.append(_Reject(path.name, number, "decision_id déjà lu", text))
                continue
            seen.add(decision.decision_id)
            decisions.append((f"{path.name}:{number}", decision))
    return decisions, rejects


def _short(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'ligne'} : {e['msg']}" for e in error.errors()
    )


def applied_decision_ids(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute("SELECT decision_id FROM steward_decisions").fetchall()
    return {row[0] for row in rows}


def apply_pending_decisions(
    connection: duckdb.DuckDBPyConnection, decisions_dir: Path, night: date
) -> DecisionsSummary:
    """Apply every new decision of `decisions_dir`, oldest first (register schema must exist)."""
    decisions, rejects = read_decisions(decisions_dir)
    applied = applied_decision_ids(connection)
    pending = sorted(
        ((s, d) for s, d in decisions if d.decision_id not in applied),
        key=lambda item: (item[1].decided_at, item[1].decision_id),
    )
    outcomes = {"applied": 0, "no_effect": 0, "unknown_anomaly": 0}
    for source, decision in pending:
        outcomes[_apply(connection, source, decision, night)] += 1
    new_rejects = sum(_keep_reject(connection, reject, night) for reject in rejects)
    if new_rejects:
        # The file and line only: the raw line may name an employee in its reason.
        log.warning(
            "%d ligne(s) de décision illisible(s) : voir steward_decision_rejects", new_rejects
        )
    if outcomes["unknown_anomaly"]:
        log.warning("%d décision(s) sur une anomalie inconnue", outcomes["unknown_anomaly"])
    return DecisionsSummary(
        applied=outcomes["applied"],
        without_effect=outcomes["no_effect"],
        unknown_anomaly=outcomes["unknown_anomaly"],
        rejected_lines=new_rejects,
    )


def _keep_reject(connection: duckdb.DuckDBPyConnection, reject: _Reject, night: date) -> bool:
    """Record an unreadable line once; True when it was not known yet."""
    inserted = connection.execute(
        """
        INSERT INTO steward_decision_rejects (source, line_number, error, raw, rejected_on)
        VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1
        """,
        [reject.source, reject.line_number, reject.error, reject.raw, night],
    ).fetchall()
    return bool(inserted)


def _next_status(action: DecisionAction, status: AnomalyStatus) -> AnomalyStatus | None:
    """The status a decision moves the anomaly to, or None when it has no effect on it."""
    if action is DecisionAction.ACKNOWLEDGE:
        return AnomalyStatus.ACKNOWLEDGED if status is AnomalyStatus.OPEN else None
    # resolve and forced affiliation/radiation close the anomaly, even one already resolved by
    # data: the steward's word then holds if it comes back with the same detail.
    return AnomalyStatus.RESOLVED_BY_STEWARD


def _apply(
    connection: duckdb.DuckDBPyConnection, source: str, decision: StewardDecision, night: date
) -> str:
    # fetchall: DuckDB 2 refuses further work on a connection with a half-read result.
    rows = connection.execute(
        """
        SELECT status, detail_fingerprint, rule_code, siren, siret, employee_key,
               contract_reference
        FROM anomalies WHERE anomaly_id = ?
        """,
        [decision.anomaly_id],
    ).fetchall()
    anomaly = rows[0] if rows else None
    decided_at = decision.decided_at.astimezone(UTC).replace(tzinfo=None)
    if anomaly is None:
        outcome, keys = "unknown_anomaly", [None] * 5
    else:
        status, fingerprint, *keys = anomaly
        next_status = _next_status(decision.action, AnomalyStatus(status))
        outcome = "applied" if next_status is not None else "no_effect"
        if next_status is not None:
            connection.execute(
                """
                UPDATE anomalies
                SET status = ?,
                    status_since = CASE WHEN status = ? THEN status_since ELSE ? END,
                    resolved_fingerprint = CASE WHEN ? THEN detail_fingerprint ELSE NULL END
                WHERE anomaly_id = ?
                """,
                [
                    next_status.value,
                    next_status.value,
                    night,
                    next_status is AnomalyStatus.RESOLVED_BY_STEWARD,
                    decision.anomaly_id,
                ],
            )
        connection.execute(
            """
            INSERT INTO anomaly_events (anomaly_id, night, event, from_status, to_status,
                detail_fingerprint, decision_id, decided_by, decided_at, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                decision.anomaly_id,
                night,
                _EVENT_OF_ACTION[decision.action] if next_status else "decision_without_effect",
                status,
                next_status.value if next_status else status,
                fingerprint,
                decision.decision_id,
                decision.decided_by,
                decided_at,
                decision.reason,
            ],
        )
    connection.execute(
        """
        INSERT INTO steward_decisions (decision_id, anomaly_id, action, decided_by, decided_at,
            reason, effective_date, source, applied_on, outcome, rule_code, siren, siret,
            employee_key, contract_reference)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            decision.decision_id,
            decision.anomaly_id,
            decision.action.value,
            decision.decided_by,
            decided_at,
            decision.reason,
            decision.effective_date,
            source,
            night,
            outcome,
            *keys,
        ],
    )
    return outcome
