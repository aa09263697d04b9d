"""Steward decisions made in the night's Excel workbook, applied by the next night."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from quality.anomalies.nightly import RegisterRefresh
from quality.report import write_steward_report
from tests.quality.detections import detections, missing_affiliation
from tests.quality.register_nights import NIGHT_1, NIGHT_2, NIGHT_3, night, query
from warehouse.connections import connect

NIRS = [f"18505751234{n:02d}" for n in range(1, 8)]
SHEET = "Anomalies à traiter"


def tonight() -> Any:
    return detections(*(missing_affiliation(nir=nir) for nir in NIRS))


@pytest.fixture
def workbook_path(tmp_path: Path) -> Path:
    """The workbook of night 1, as the night run writes it beside the warehouse."""
    warehouse = tmp_path / "warehouse.duckdb"
    night(warehouse, tonight(), NIGHT_1)
    with connect(warehouse) as connection:
        files = write_steward_report(connection, NIGHT_1, tmp_path / "reports")
    return files.excel


def fill(path: Path, decisions: dict[str, tuple[Any, ...]], extra: list[tuple[Any, ...]]) -> None:
    """Fill the decision columns of the rows of `decisions` (by NIR), as a steward does in
    Excel, and add `extra` rows (identifier, decision, motif, date, steward) by hand."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook[SHEET]
    header = [cell.value for cell in sheet[1]]
    nir_column = header.index("NIR / NTT")
    targets = [header.index(h) + 1 for h in ("Décision", "Motif", "Date d'effet", "Gestionnaire")]
    for row in sheet.iter_rows(min_row=2):
        for column, value in zip(targets, decisions.get(row[nir_column].value, ()), strict=False):
            sheet.cell(row=row[0].row, column=column, value=value)
    for anomaly_id, *values in extra:
        number = sheet.max_row + 1
        sheet.cell(row=number, column=1, value=anomaly_id)
        for column, value in zip(targets, values, strict=True):
            sheet.cell(row=number, column=column, value=value)
    workbook.save(path)


def statuses(warehouse: Path) -> dict[str, str]:
    return dict(query(warehouse, "SELECT employee_key, status FROM anomalies"))


FILLED = {
    NIRS[0]: ("Résoudre", "Justificatif de dispense reçu", None, "c.durand"),
    NIRS[1]: ("prendre en charge", None, None, "a.martin"),
    NIRS[2]: (
        "forcer l’affiliation",
        "Confirmée par l'employeur",
        datetime(2026, 9, 1),
        "c.durand",
    ),
    NIRS[3]: ("supprimer", "doublon", None, "c.durand"),
    NIRS[4]: ("résoudre", None, None, "c.durand"),
    NIRS[5]: ("forcer la radiation", "Départ", "31/02/2026", "c.durand"),
    # NIRS[6]: no decision, left as it is
}


def test_decisions_filled_in_the_workbook_are_applied_by_the_next_night(
    workbook_path: Path,
) -> None:
    warehouse = workbook_path.parent.parent / "warehouse.duckdb"
    decisions = warehouse.parent / "decisions"
    decisions.mkdir()
    saved = decisions / workbook_path.name
    shutil.copy(workbook_path, saved)
    fill(saved, FILLED, [("pas-un-identifiant", "prendre en charge", None, None, "c.durand")])

    summary: RegisterRefresh = night(warehouse, tonight(), NIGHT_2)

    assert (summary.decisions.applied, summary.decisions.rejected_lines) == (3, 4)
    assert statuses(warehouse) == {
        NIRS[0]: "resolved_by_steward",
        NIRS[1]: "acknowledged",
        NIRS[2]: "resolved_by_steward",
        NIRS[3]: "open",
        NIRS[4]: "open",
        NIRS[5]: "open",
        NIRS[6]: "open",
    }
    assert sorted(
        query(
            warehouse,
            "SELECT a.employee_key, e.event, e.decided_by, e.reason FROM anomaly_events e "
            "JOIN anomalies a USING (anomaly_id) WHERE e.decision_id IS NOT NULL",
        )
    ) == [
        (NIRS[0], "resolved_by_steward", "c.durand", "Justificatif de dispense reçu"),
        (NIRS[1], "acknowledged", "a.martin", None),
        (NIRS[2], "forced_affiliation", "c.durand", "Confirmée par l'employeur"),
    ]
    assert query(
        warehouse,
        "SELECT effective_date, source LIKE 'anomalies-%.xlsx:%' FROM steward_decisions "
        "WHERE action = 'force_affiliation'",
    ) == [(date(2026, 9, 1), True)]
    rejects = sorted(
        error for (error,) in query(warehouse, "SELECT error FROM steward_decision_rejects")
    )
    assert len(rejects) == 4
    assert rejects[0] == "date d'effet illisible « 31/02/2026 » : attendu JJ/MM/AAAA"
    assert rejects[1].startswith("décision inconnue « supprimer » : attendu prendre en charge")
    assert rejects[2].startswith("identifiant d'anomalie mal formé « pas-un-identifiant »")
    assert rejects[3] == "motif obligatoire pour « résoudre »"
    # ... and the next report shows the stewards what to correct, where
    with connect(warehouse) as connection:
        page = write_steward_report(connection, NIGHT_2, warehouse.parent / "next").html
    section = page.read_text(encoding="utf-8").split('id="decisions-refusees"')[1]
    section = section.split("</section>")[0]
    assert section.count('class="refus"') == 4
    assert "motif obligatoire pour « résoudre »" in section and ".xlsx" in section

    # The same workbook, still in the directory, the next night: nothing applied again.
    again = night(warehouse, tonight(), NIGHT_3)
    assert (again.decisions.applied, again.decisions.rejected_lines) == (0, 0)
    assert query(warehouse, "SELECT count(*) FROM steward_decisions") == [(3,)]

    # Completed and saved again: only the new decision is applied, the earlier ones keep
    # their ids.
    fill(saved, {NIRS[4]: ("résoudre", "Salarié sorti, DSN rectificative attendue")}, [])
    completed = night(warehouse, tonight(), NIGHT_3 + timedelta(days=1))
    assert (completed.decisions.applied, completed.decisions.without_effect) == (1, 0)
    assert statuses(warehouse)[NIRS[4]] == "resolved_by_steward"
    assert query(
        warehouse, "SELECT count(*) FROM anomaly_events WHERE decision_id IS NOT NULL"
    ) == [(4,)]


def test_a_workbook_that_cannot_be_read_is_reported_not_dropped(workbook_path: Path) -> None:
    warehouse = workbook_path.parent.parent / "warehouse.duckdb"
    decisions = warehouse.parent / "decisions"
    decisions.mkdir()
    (decisions / "abime.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (decisions / "~$anomalies.xlsx").write_bytes(b"Excel's owner file while it is open")
    other = openpyxl.Workbook()
    other.active.title = "Feuille1"
    other.save(decisions / "autre.xlsx")

    summary = night(warehouse, tonight(), NIGHT_2)

    assert summary.decisions.rejected_lines == 2
    assert query(warehouse, "SELECT source, error FROM steward_decision_rejects ORDER BY 1") == [
        ("abime.xlsx", "classeur Excel illisible : l'enregistrer au format .xlsx"),
        ("autre.xlsx", "feuille « Anomalies à traiter » absente du classeur"),
    ]


def test_a_workbook_unreadable_tonight_is_read_the_next_night(
    workbook_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = workbook_path.parent.parent / "warehouse.duckdb"
    decisions = warehouse.parent / "decisions"
    decisions.mkdir()
    saved = decisions / workbook_path.name
    shutil.copy(workbook_path, saved)
    fill(saved, {NIRS[0]: ("prendre en charge", None, None, "c.durand")}, [])
    read_bytes = Path.read_bytes

    def being_saved(path: Path) -> bytes:
        if path.name == saved.name:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", being_saved)
        summary = night(warehouse, tonight(), NIGHT_2)
    assert (summary.decisions.applied, summary.decisions.rejected_lines) == (0, 0)

    assert night(warehouse, tonight(), NIGHT_3).decisions.applied == 1
    assert statuses(warehouse)[NIRS[0]] == "acknowledged"
