"""Steward decisions: written by `dsnpipe anomalies` or in the report's workbook, applied by
the next night run.

The nightly writer holds the warehouse lock, so a steward's command cannot write there. It
appends the decision as one JSON line to a month file of the decisions directory (next to the
warehouse file by default). A steward may instead fill the decision columns of the night's
Excel workbook (`quality.report.excel`) and save it into the same directory. The night run
reads every decision it has not applied yet (by `decision_id`), applies it to the register
before tonight's detections, and keeps it in `steward_decisions` with who, when and why. Files
are never rewritten; a line or row that cannot be read is kept in `steward_decision_rejects`
with a French reason and reported, never dropped.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import io
import logging
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

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


# The steward's workbook, written by `quality.report.excel` and read back here: its sheet, the
# columns a steward fills, the words of the « Décision » drop-down list, and the document
# property that names the report's night.
WORKBOOK_SHEET = "Anomalies à traiter"
ID_HEADER = "Identifiant"
DECISION_HEADER = "Décision"
REASON_HEADER = "Motif"
EFFECTIVE_DATE_HEADER = "Date d'effet"
STEWARD_HEADER = "Gestionnaire"
WORKBOOK_NIGHT_PROPERTY = "dsnpipe:nuit"
ACTION_WORDS = {
    "prendre en charge": DecisionAction.ACKNOWLEDGE,
    "résoudre": DecisionAction.RESOLVE,
    "forcer l'affiliation": DecisionAction.FORCE_AFFILIATION,
    "forcer la radiation": DecisionAction.FORCE_RADIATION,
}
_FORCED = (DecisionAction.FORCE_AFFILIATION, DecisionAction.FORCE_RADIATION)
_ANOMALY_ID = re.compile(rf"[0-9a-f]{{{ANOMALY_ID_LENGTH}}}")


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


# A decision read from a file, or the French reason it cannot be: (file, line, read, raw text).
_Entry = tuple[str, int, StewardDecision | str, str]


def read_decisions(decisions_dir: Path) -> tuple[list[tuple[str, StewardDecision]], list[_Reject]]:
    """Every decision of the directory with its source ("file:line"), and the unreadable lines.

    JSON lines first, then the filled rows of the workbooks (`*.xlsx`). A decision id met a
    second time (a line copied by hand, a workbook saved twice) is an unreadable line.
    """
    decisions: list[tuple[str, StewardDecision]] = []
    rejects: list[_Reject] = []
    seen: set[str] = set()
    if not decisions_dir.is_dir():
        return decisions, rejects
    entries = [
        *(e for path in sorted(decisions_dir.glob("*.jsonl")) for e in _json_lines(path)),
        *(e for path in _workbooks(decisions_dir) for e in _workbook_rows(path)),
    ]
    for name, number, read, raw in entries:
        if isinstance(read, str):
            rejects.append(_Reject(name, number, read, raw))
        elif read.decision_id in seen:
            rejects.append(_Reject(name, number, "decision_id déjà lu", raw))
        else:
            seen.add(read.decision_id)
            decisions.append((f"{name}:{number}", read))
    return decisions, rejects


def _json_lines(path: Path) -> Iterator[_Entry]:
    for number, raw_line in enumerate(path.read_bytes().splitlines(), start=1):
        text = raw_line.decode("utf-8", errors="replace")
        if not text.strip():
            continue
        try:
            yield path.name, number, StewardDecision.model_validate_json(raw_line), text
        except ValidationError as error:
            yield path.name, number, _short(error), text


def _workbooks(decisions_dir: Path) -> Iterator[Path]:
    for path in sorted(decisions_dir.glob("*.xlsx")):
        # Excel's owner file (~$name.xlsx) sits beside a workbook while it is open: not a
        # workbook, and gone once it is closed.
        if not path.name.startswith(("~$", ".")):
            yield path


def _workbook_rows(path: Path) -> Iterator[_Entry]:
    """One entry per row of the workbook whose « Décision » is filled, or per refused row."""
    if path.is_symlink() or not path.is_file():
        yield path.name, 0, "lien ou fichier spécial ignoré : déposer le classeur lui-même", ""
        return
    try:
        content, saved_at = path.read_bytes(), path.stat().st_mtime
    except OSError:
        # Being moved or saved right now: read the next night, as the landing files are.
        log.warning("Classeur de décisions illisible cette nuit, relu la suivante : %s", path.name)
        return
    # Imported here: 0.3 s of every night's start (python -X importtime), for the nights a
    # steward dropped a workbook only.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, SyntaxError):
        yield path.name, 0, "classeur Excel illisible : l'enregistrer au format .xlsx", ""
        return
    try:
        if WORKBOOK_SHEET not in workbook.sheetnames:
            yield path.name, 0, f"feuille « {WORKBOOK_SHEET} » absente du classeur", ""
            return
        rows = workbook[WORKBOOK_SHEET].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        wanted = (ID_HEADER, DECISION_HEADER, REASON_HEADER, EFFECTIVE_DATE_HEADER)
        missing = [h for h in (*wanted, STEWARD_HEADER) if h not in header]
        if missing:
            names = ", ".join(f"« {h} »" for h in missing)
            yield path.name, 1, f"colonne(s) absente(s) de la feuille : {names}", ""
            return
        columns = [header.index(h) for h in (*wanted, STEWARD_HEADER)]
        context = _WorkbookContext(
            key=_workbook_key(workbook, content),
            decided_at=datetime.fromtimestamp(saved_at, UTC),
        )
        for number, row in enumerate(rows, start=2):
            cells = [row[i] if i < len(row) else None for i in columns]
            read = _row_decision(context, number, cells)
            if read is not None:
                yield path.name, number, read, " | ".join(_text(c) for c in cells)
    finally:
        workbook.close()


@dataclass
class _WorkbookContext:
    key: str  # the report's night, or the file's content hash for a workbook made by hand
    decided_at: datetime  # when the workbook was saved
    # anomaly id -> row that decided it: two decisions on one anomaly in one workbook have no
    # order to be applied in.
    decided_rows: dict[str, int] = field(default_factory=dict)


def _workbook_key(workbook: Any, content: bytes) -> str:
    """What a decision id is derived from besides its row: the night of the report.

    Not the file's bytes: a steward completes and saves the same workbook again, and the rows
    already applied must keep their ids so that they are never applied twice.
    """
    for prop in workbook.custom_doc_props.props:
        if prop.name == WORKBOOK_NIGHT_PROPERTY and prop.value:
            return f"nuit {prop.value}"
    return hashlib.sha256(content).hexdigest()


def _row_decision(
    context: _WorkbookContext, number: int, cells: list[Any]
) -> StewardDecision | str | None:
    """The row's decision, the French reasons it is refused, or None for a row left blank."""
    anomaly_cell, word_cell, reason_cell, date_cell, steward_cell = cells
    word, reason, steward = _text(word_cell), _text(reason_cell), _text(steward_cell)
    if not word:
        if reason or _text(date_cell):
            return "décision manquante alors que le motif ou la date d'effet est rempli"
        return None
    errors = []
    action = _ACTION_OF_WORD.get(_normalised(word))
    if action is None:
        errors.append(f"décision inconnue « {word} » : attendu {', '.join(ACTION_WORDS)}")
    anomaly_id = _text(anomaly_cell).lower()
    if not _ANOMALY_ID.fullmatch(anomaly_id):
        errors.append(
            f"identifiant d'anomalie mal formé « {_text(anomaly_cell)} » : "
            f"{ANOMALY_ID_LENGTH} caractères hexadécimaux attendus"
        )
    if not reason and action not in (None, DecisionAction.ACKNOWLEDGE):
        errors.append(f"motif obligatoire pour « {word} »")
    effective_date = _effective_date(date_cell)
    if isinstance(effective_date, str):
        errors.append(effective_date)
    elif effective_date is not None and action not in (None, *_FORCED):
        errors.append(
            f"date d'effet sans objet pour « {word} » : elle ne sert qu'à forcer "
            "l'affiliation ou la radiation"
        )
    if not steward:
        errors.append("gestionnaire manquant : indiquer qui décide")
    if anomaly_id in context.decided_rows:
        first = context.decided_rows[anomaly_id]
        errors.append(f"anomalie déjà décidée ligne {first} de ce classeur")
    if errors or action is None or isinstance(effective_date, str):
        return "; ".join(errors)
    context.decided_rows[anomaly_id] = number
    # From the row's content, not its position: sorting the sheet moves the rows.
    identity = "\x1f".join(
        (context.key, anomaly_id, action.value, reason, str(effective_date), steward)
    )
    return StewardDecision(
        decision_id=hashlib.sha256(identity.encode()).hexdigest()[:32],
        anomaly_id=anomaly_id,
        action=action,
        decided_by=steward,
        decided_at=context.decided_at,
        reason=reason or None,
        effective_date=effective_date,
    )


def _normalised(word: str) -> str:
    """Case, accents, typographic apostrophes and spaces do not matter in a decision word."""
    decomposed = unicodedata.normalize("NFD", word.replace("’", "'").casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_ACTION_OF_WORD = {_normalised(word): action for word, action in ACTION_WORDS.items()}


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return f"{cell:%d/%m/%Y}"
    return str(cell).strip()


def _effective_date(cell: Any) -> date | str | None:
    """The cell's date, a French reason when it is not one, None when empty."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if not text:
        return None
    for form in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    return f"date d'effet illisible « {text} » : attendu JJ/MM/AAAA"


def _short(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'ligne'} : {e['msg']}" for e in error.errors()
    )


def applied_decision_ids(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute("SELECT decision_id FROM steward_decisions").fetchall()
    return {row[0] for row in rows}


def _pending_decisions(
    connection: duckdb.DuckDBPyConnection, decisions_dir: Path
) -> tuple[list[tuple[str, StewardDecision]], list[_Reject]]:
    """The decisions of `decisions_dir` not applied yet, oldest first, and the lines rejected."""
    decisions, rejects = read_decisions(decisions_dir)
    applied = applied_decision_ids(connection)
    pending = sorted(
        ((s, d) for s, d in decisions if d.decision_id not in applied),
        key=lambda item: (item[1].decided_at, item[1].decision_id),
    )
    return pending, rejects


def pending_anomaly_ids(connection: duckdb.DuckDBPyConnection, decisions_dir: Path) -> set[str]:
    """The anomalies the decisions of `decisions_dir` not applied yet are about."""
    pending, _ = _pending_decisions(connection, decisions_dir)
    return {decision.anomaly_id for _, decision in pending}


def apply_pending_decisions(
    connection: duckdb.DuckDBPyConnection, decisions_dir: Path, night: date
) -> DecisionsSummary:
    """Apply every new decision of `decisions_dir`, oldest first (register schema must exist)."""
    pending, rejects = _pending_decisions(connection, decisions_dir)
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
