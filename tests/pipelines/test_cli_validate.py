"""`dsnpipe validate` and `dsnpipe parse` as an operator runs them: exit codes, the readable
report, the JSON document, and no traceback for a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli import main
from tests.dsn_parser.envoi_parts import TOTAL_LINES, as_bytes, one_envoi

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dsn"
MONTHLY = sorted((SAMPLES / "keuwa_dsn-parser_pseudonymized").glob("*.dsn"))
FICTIONAL = SAMPLES / "drolow_dsn-analyzer_exemple_P24V01_fictif.dsn"
LOT = SAMPLES / "jikenlabs_open-neodes_sample_dsn_P25V01_FCTU_lot.dsn"
NON_CONFORMANT = SAMPLES / "negative" / "neobloblo_opendsn_example_NONCONFORMANT_no_quotes.dsn"


def validate_json(capsys: pytest.CaptureFixture[str], *paths: Path | str) -> tuple[int, dict]:
    code = main(["validate", "--json", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)


def test_accepted_files_exit_0_with_one_json_entry_per_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, document = validate_json(capsys, *MONTHLY[:2])
    assert code == 0
    assert [entry["path"] for entry in document["files"]] == [str(p) for p in MONTHLY[:2]]
    entry = document["files"][0]
    assert entry["encoding"] == "iso-8859-1"
    assert entry["norm"] == "P19V01"
    [declaration] = entry["declarations"]
    assert declaration == {
        "nature": "01",
        "type": "01",
        "siret": "12345678200010",
        "month": "2019-01-01",
        "status": 1,
    }
    for diagnostic in entry["diagnostics"]:
        assert {"code", "severity", "line", "rubric", "message"} <= diagnostic.keys()
        assert diagnostic["severity"] == "warning"


def test_a_rejected_declaration_exits_1_and_locates_the_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, document = validate_json(capsys, MONTHLY[0], FICTIONAL)
    assert code == 1
    fictional = document["files"][1]
    assert [d["status"] for d in fictional["declarations"]] == [3]
    located = {(d["line"], d["rubric"], d["code"]) for d in fictional["diagnostics"]}
    assert (164, "S90.G00.90.001", "S90-LINE-COUNT") in located
    assert (11, "S20.G00.05.003", "CSL-LENGTH") in located


def test_the_readable_report_groups_diagnostics_by_severity_in_french(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(LOT)]) == 1
    out = capsys.readouterr().out
    assert "Rejetée" in out
    assert "07 – Signalement Fin du contrat de travail Unique" in out
    assert out.index("Synthèse") < out.index("Erreurs (") < out.index("Avertissements (")
    assert "Clé de contrôle du SIREN" in out  # the control's title in the summary
    assert "ENC-REPLACEMENT-CHAR" in out
    assert "1234567890123" not in out  # the NIR is masked


def test_a_file_without_declaration_is_unreadable(capsys: pytest.CaptureFixture[str]) -> None:
    code, document = validate_json(capsys, NON_CONFORMANT)
    assert code == 1
    [entry] = document["files"]
    assert entry["declarations"] == []
    assert "FILE-UNREADABLE" in {d["code"] for d in entry["diagnostics"]}


def test_a_missing_path_exits_1_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["validate", str(tmp_path / "absent.dsn")])
    assert code == 1
    assert "introuvable" in capsys.readouterr().out


@pytest.mark.parametrize("arguments", [["validate"], ["validate", "--jsn", "x.dsn"]])
def test_wrong_usage_exits_2(arguments: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(arguments)
    assert stopped.value.code == 2


def test_garbage_and_a_broken_zip_never_end_in_a_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.dsn"
    garbage.write_bytes(bytes(range(256)) * 8)
    broken = tmp_path / "lot.zip"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "validate", "--json", str(garbage), str(broken)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    files = json.loads(done.stdout)["files"]
    assert all(entry["declarations"] == [] for entry in files)


def test_parse_writes_one_parquet_table_per_block(tmp_path: Path) -> None:
    assert main(["parse", str(LOT), "--out", str(tmp_path)]) == 0
    written = {path.name for path in tmp_path.glob("*.parquet")}
    assert {"S21.G00.30.parquet", "S21.G00.62.parquet", "diagnostics.parquet"} <= written
    assert pl.read_parquet(tmp_path / "S21.G00.30.parquet").height == 3
    assert pl.read_parquet(tmp_path / "declarations.parquet").height == 3
    diagnostics = pl.read_parquet(tmp_path / "diagnostics.parquet")
    assert "ENC-REPLACEMENT-CHAR" in diagnostics["code"].to_list()


def test_parse_of_a_missing_file_exits_1(tmp_path: Path) -> None:
    assert main(["parse", str(tmp_path / "absent.dsn"), "--out", str(tmp_path / "out")]) == 1


def test_a_lot_gets_a_summary_and_the_whole_report_goes_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lot = tmp_path / "lot.dsn"
    lot.write_bytes(b"".join(path.read_bytes() for path in MONTHLY * 2))
    report = tmp_path / "compte_rendu.json"
    assert main(["validate", str(lot), "--out", str(report)]) == 0
    out = capsys.readouterr().out
    # 54 declarations: counted per status, not listed; the diagnostics: the first ones only
    assert "Déclarations par statut" in out and "54" in out
    assert "autre(s) : le compte rendu complet est dans" in out
    assert len(out.splitlines()) < 200
    [entry] = json.loads(report.read_text(encoding="utf-8"))["files"]
    assert len(entry["declarations"]) == 54
    code, document = validate_json(capsys, lot)
    assert code == 0 and document["files"] == [entry]  # the same complete report
    shown = sum(1 for line in out.splitlines() if "STR-MANDATORY" in line or "NORM-" in line)
    assert shown < len(entry["diagnostics"])


def test_months_read_the_french_way(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(MONTHLY[0])]) == 0
    out = capsys.readouterr().out
    assert "01/2019" in out and "2019-01-01" not in out


@pytest.mark.parametrize("total", [None, "9"])
def test_an_envoi_read_in_parts_gets_the_verdict_of_the_envoi_read_at_once(
    total: str | None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from dsn_parser import streaming

    lines = one_envoi(MONTHLY[:6])
    if total is not None:
        lines = [
            f"{TOTAL_LINES},'{total}'" if line.startswith(TOTAL_LINES) else line for line in lines
        ]
    envoi = tmp_path / "envoi.dsn"
    envoi.write_bytes(as_bytes(lines))
    at_once = validate_json(capsys, envoi)
    monkeypatch.setattr(
        streaming, "read_in_batches", partial(streaming.read_in_batches, max_lines=40)
    )
    # The envoi's own findings (header, totals) come with its last part, after the others.
    assert _in_line_order(validate_json(capsys, envoi)) == _in_line_order(at_once)
    code, document = at_once
    statuses = {declaration["status"] for declaration in document["files"][0]["declarations"]}
    assert (code, statuses) == ((0, {1}) if total is None else (1, {3}))


def _in_line_order(validated: tuple[int, dict]) -> tuple[int, dict]:
    code, document = validated
    for entry in document["files"]:
        entry["diagnostics"].sort(key=lambda finding: (finding["line"] or 0, finding["code"]))
    return code, document
