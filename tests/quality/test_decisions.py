"""Steward decisions: written by `dsnpipe anomalies` as JSON lines, applied by the next night."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.cli import main
from quality.anomalies.decisions import DecisionAction, StewardDecision, record_decision
from quality.anomalies.model import AnomalyStatus
from tests.quality.detections import detections, missing_affiliation
from tests.quality.register_nights import NIGHT_1, NIGHT_2, NIGHT_3, night, query
from warehouse.connections import connect

NIR = "1850575123456"


def dsnpipe_anomalies(*argv: str | Path) -> int:
    return main(["anomalies", *(str(a) for a in argv)])


def anomaly(warehouse: Path) -> dict[str, Any]:
    with connect(warehouse) as connection:
        cursor = connection.execute("SELECT * FROM anomalies")
        names = [d[0] for d in cursor.description]
        [row] = cursor.fetchall()
    return dict(zip(names, row, strict=True))


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    night(path, detections(missing_affiliation(nir=NIR)), NIGHT_1)
    return path


def test_resolve_is_written_as_a_json_line_and_applied_by_the_next_night(
    warehouse: Path,
) -> None:
    anomaly_id = anomaly(warehouse)["anomaly_id"]

    code = dsnpipe_anomalies(
        "resolve",
        anomaly_id,
        "--reason",
        "Salarié dispensé, justificatif reçu",
        "--by",
        "c.durand",
        "--warehouse",
        warehouse,
    )

    assert code == 0
    [decisions_file] = (warehouse.parent / "decisions").glob("*.jsonl")
    [line] = decisions_file.read_text(encoding="utf-8").splitlines()
    written = json.loads(line)
    assert written["anomaly_id"] == anomaly_id
    assert (written["action"], written["decided_by"]) == ("resolve", "c.durand")
    assert written["reason"] == "Salarié dispensé, justificatif reçu"
    assert anomaly(warehouse)["status"] == "open"  # nothing changes before the night run

    summary = night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)

    assert summary.decisions.applied == 1
    row = anomaly(warehouse)
    assert (row["status"], row["last_seen"]) == ("resolved_by_steward", NIGHT_2)
    [event] = query(
        warehouse,
        "SELECT event, decided_by, reason, decided_at IS NOT NULL, night FROM anomaly_events "
        "WHERE decision_id IS NOT NULL",
    )
    assert event == (
        "resolved_by_steward",
        "c.durand",
        "Salarié dispensé, justificatif reçu",
        True,
        NIGHT_2,
    )


def test_a_steward_resolution_survives_reruns_until_the_data_change(warehouse: Path) -> None:
    anomaly_id = anomaly(warehouse)["anomaly_id"]
    dsnpipe_anomalies("resolve", anomaly_id, "--reason", "vu", "--warehouse", warehouse)
    same = detections(missing_affiliation(nir=NIR))

    night(warehouse, same, NIGHT_2)
    night(warehouse, same, NIGHT_2)  # the same night again
    night(warehouse, same, NIGHT_3)
    assert anomaly(warehouse)["status"] == "resolved_by_steward"
    assert query(warehouse, "SELECT count(*) FROM steward_decisions") == [(1,)]

    changed = detections(missing_affiliation(nir=NIR, detail="Catégorie 01 couverte, aucune"))
    summary = night(warehouse, changed, NIGHT_3 + timedelta(days=1))

    assert summary.night.reopened == 1
    assert anomaly(warehouse)["status"] == "open"


def test_acknowledged_then_resolved_by_data_then_back_as_open(warehouse: Path) -> None:
    anomaly_id = anomaly(warehouse)["anomaly_id"]
    dsnpipe_anomalies("ack", anomaly_id, "--warehouse", warehouse, "--by", "c.durand")
    night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)
    assert anomaly(warehouse)["status"] == "acknowledged"

    night(warehouse, detections(), NIGHT_3)
    assert anomaly(warehouse)["status"] == "resolved_by_data"

    night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_3 + timedelta(days=1))
    assert anomaly(warehouse)["status"] == "open"
    assert [
        e for (e,) in query(warehouse, "SELECT event FROM anomaly_events ORDER BY event_id")
    ] == ["detected", "acknowledged", "resolved_by_data", "reopened"]


def test_forced_affiliation_keeps_the_keys_for_the_affiliation_register(warehouse: Path) -> None:
    anomaly_id = anomaly(warehouse)["anomaly_id"]
    dsnpipe_anomalies(
        "force-affiliation",
        anomaly_id,
        "--reason",
        "Affiliation confirmée par l'employeur",
        "--date",
        "2026-09-01",
        "--warehouse",
        warehouse,
    )
    night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)

    assert anomaly(warehouse)["status"] == "resolved_by_steward"
    assert query(
        warehouse,
        "SELECT action, outcome, effective_date, siret, employee_key, contract_reference "
        "FROM steward_decisions",
    ) == [("force_affiliation", "applied", date(2026, 9, 1), "73282932000074", NIR, "CTR-SANTE-01")]


def test_an_unknown_anomaly_id_is_refused_when_the_register_can_be_read(warehouse: Path) -> None:
    code = dsnpipe_anomalies("ack", "0123456789abcdef", "--warehouse", warehouse)
    assert code == 2
    assert not (warehouse.parent / "decisions").exists()
    assert dsnpipe_anomalies("ack", "pas-un-identifiant", "--warehouse", warehouse) == 2


def test_decisions_are_recorded_while_the_night_run_holds_the_warehouse(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    anomaly_id = anomaly(warehouse)["anomaly_id"]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        assert dsnpipe_anomalies("list", "--warehouse", warehouse) == 2
        assert "verrouillé" in capsys.readouterr().err
        code = dsnpipe_anomalies("resolve", anomaly_id, "--reason", "ok", "--warehouse", warehouse)
    finally:
        holder.communicate("")
    assert code == 0
    assert "non vérifié" in capsys.readouterr().err
    night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)
    assert anomaly(warehouse)["status"] == "resolved_by_steward"


def test_unreadable_lines_are_kept_and_never_stop_the_night(warehouse: Path) -> None:
    decisions = warehouse.parent / "decisions"
    decisions.mkdir()
    (decisions / "2026-11.jsonl").write_text(
        '{"not": "a decision"}\nthis is not json\n', encoding="utf-8"
    )
    record_decision(
        decisions,
        StewardDecision(
            anomaly_id="fedcba9876543210",
            action=DecisionAction.RESOLVE,
            decided_by="c.durand",
            reason="typo in the id",
        ),
    )

    summary = night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)

    assert (summary.decisions.rejected_lines, summary.decisions.unknown_anomaly) == (2, 1)
    assert query(warehouse, "SELECT line_number FROM steward_decision_rejects ORDER BY 1") == [
        (1,),
        (2,),
    ]
    assert query(warehouse, "SELECT outcome FROM steward_decisions") == [("unknown_anomaly",)]
    again = night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_3)
    assert (again.decisions.rejected_lines, again.decisions.unknown_anomaly) == (0, 0)


def test_list_filters_masks_nirs_and_names_and_shows_pending_decisions(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    night(
        warehouse,
        detections(
            missing_affiliation(nir=NIR),
            missing_affiliation(nir="2900133000111", siret="55210055400013"),
        ),
        NIGHT_2,
    )
    anomaly_id = query(warehouse, "SELECT anomaly_id FROM anomalies WHERE siren = '732829320'")
    dsnpipe_anomalies("ack", anomaly_id[0][0], "--warehouse", warehouse)
    capsys.readouterr()

    assert (
        dsnpipe_anomalies("list", "--siren", "732829320", "--json", "--warehouse", warehouse) == 0
    )
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["siret"] == "73282932000074"
    assert NIR not in json.dumps(listed) and "DUPONT" not in json.dumps(listed)
    assert (listed["employee_key"], listed["employee_name"]) == ("1" + "*" * 12, "D**********")
    assert listed["pending_decision"] == "prise en charge"

    dsnpipe_anomalies("list", "--rule", "AFF001", "--show-nir", "--json", "--warehouse", warehouse)
    assert {
        (r["employee_key"], r["employee_name"]) for r in json.loads(capsys.readouterr().out)
    } == {
        (NIR, "DUPONT Jean"),
        ("2900133000111", "DUPONT Jean"),
    }
    dsnpipe_anomalies("list", "--status", "resolved_by_data", "--json", "--warehouse", warehouse)
    assert json.loads(capsys.readouterr().out) == []

    assert dsnpipe_anomalies("list", "--warehouse", warehouse) == 0
    table = capsys.readouterr().out
    assert "Anomalies d'affiliation (2)" in table and NIR not in table and "DUPONT" not in table


def test_list_explains_a_missing_warehouse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert dsnpipe_anomalies("list", "--warehouse", tmp_path / "absent.duckdb") == 2
    assert "introuvable" in capsys.readouterr().err


def test_list_explains_a_warehouse_without_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    assert dsnpipe_anomalies("list", "--warehouse", path) == 2
    assert "aucune nuit" in capsys.readouterr().err


def test_list_filters_on_every_status_of_the_register(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command's parser spells the statuses out, so as not to import Polars to start.
    for status in AnomalyStatus:
        assert (
            dsnpipe_anomalies("list", "--status", status, "--json", "--warehouse", warehouse) == 0
        )
        listed = json.loads(capsys.readouterr().out)
        assert len(listed) == (status == AnomalyStatus.OPEN)


def test_list_speaks_the_stewards_words_and_refuses_unknown_rules_and_sirens(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for words in ("ouverte", "Ouverte", "open"):
        assert dsnpipe_anomalies("list", "--statut", words, "--json", "--warehouse", warehouse) == 0
        assert len(json.loads(capsys.readouterr().out)) == 1
    assert (
        dsnpipe_anomalies("list", "--statut", "prise en charge", "--json", "--warehouse", warehouse)
        == 0
    )
    assert json.loads(capsys.readouterr().out) == []
    assert (
        dsnpipe_anomalies("list", "--statut", "résolue par les données", "--warehouse", warehouse)
        == 0
    )
    capsys.readouterr()

    assert dsnpipe_anomalies("list", "--regle", "AFF999", "--warehouse", warehouse) == 2
    err = capsys.readouterr().err
    assert "Règle inconnue : AFF999" in err and "AFF001" in err
    with pytest.raises(SystemExit) as refused:
        dsnpipe_anomalies("list", "--siren", "12345", "--warehouse", warehouse)
    assert refused.value.code == 2
    assert "SIREN invalide « 12345 »" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        dsnpipe_anomalies("list", "--statut", "fermee", "--warehouse", warehouse)
    assert "statut inconnu « fermee »" in capsys.readouterr().err


def test_a_repeated_decision_is_said_and_not_recorded_twice_and_dates_read_french(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [(anomaly_id,)] = query(warehouse, "SELECT anomaly_id FROM anomalies")
    decisions = warehouse.parent / "decisions"

    def recorded() -> int:
        return sum(len(p.read_text().splitlines()) for p in decisions.glob("*.jsonl"))

    assert dsnpipe_anomalies("ack", anomaly_id, "--warehouse", warehouse) == 0
    assert recorded() == 1
    capsys.readouterr()
    assert dsnpipe_anomalies("ack", anomaly_id, "--warehouse", warehouse) == 0
    assert "attend déjà le prochain traitement de nuit" in capsys.readouterr().err
    assert recorded() == 1
    night(warehouse, detections(missing_affiliation(nir=NIR)), NIGHT_2)
    assert dsnpipe_anomalies("ack", anomaly_id, "--warehouse", warehouse) == 0
    assert "a déjà le statut « Prise en charge »" in capsys.readouterr().err
    assert recorded() == 1

    argv = ["force-affiliation", anomaly_id, "--reason", "vu", "--date", "15/01/2026"]
    assert dsnpipe_anomalies(*argv, "--warehouse", warehouse) == 0
    [line] = [
        json.loads(text)
        for path in decisions.glob("*.jsonl")
        for text in path.read_text().splitlines()
        if "force_affiliation" in text
    ]
    assert line["effective_date"] == "2026-01-15"
