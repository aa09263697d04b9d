"""A night over a hostile landing directory (tests/hostile/corpus.py), through `dsnpipe run`:
every entry ends with its terminal status and French reason, nothing crashes, nothing is read
through a link, nothing is written outside the output directory, and only for its owner;
memory stays bounded."""

from __future__ import annotations

import hashlib
import resource
import stat
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.hostile import corpus
from tests.warehouse.helpers import OCTOBER_2019
from warehouse.connections import connect

# Generous: the night holds a 100 MB zip bomb and a refused archive; inflating the bomb took
# 1.55 GB before the limits.
PEAK_RSS_BOUND_MB = 1500


def _files_under(root: Path) -> dict[Path, float]:
    found = {}
    for path in root.rglob("*"):
        status = path.lstat()
        if not stat.S_ISDIR(status.st_mode):
            found[path] = status.st_mtime
    return found


def test_a_night_over_hostile_input_accounts_for_every_entry_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    landing, outside, outputs = tmp_path / "landing", tmp_path / "ailleurs", tmp_path / "sorties"
    expected = corpus.build(landing, outside)
    before = _files_under(tmp_path)
    warehouse = outputs / "entrepot.duckdb"

    code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse)])

    output = capsys.readouterr()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"pic de mémoire du processus de test (RSS) : {peak_mb} Mo")
    assert code == 0
    assert "Traceback" not in output.out + output.err
    with connect(warehouse) as connection:
        found = {
            path: (status, reason)
            for path, status, reason in connection.execute(
                "SELECT landing_path, status, reason FROM registry.landing_status"
            ).fetchall()
        }
        replacement_lines = connection.execute(
            "SELECT d.line FROM staging.diagnostics AS d JOIN registry.files AS f USING "
            "(file_id) WHERE f.landing_path = 'dsn/utf8_un_octet_invalide.dsn' "
            "AND d.code = 'ENC-REPLACEMENT-CHAR'"
        ).fetchall()
        bank_codes = {
            code
            for (code,) in connection.execute(
                "SELECT code FROM staging.bank_diagnostics"
            ).fetchall()
        }
        outside_content = hashlib.sha256(OCTOBER_2019.read_bytes()).hexdigest()
        read_through_link = connection.execute(
            "SELECT count(*) FROM registry.files WHERE file_id = ?", [outside_content]
        ).fetchone()
    assert set(found) == set(expected)
    for path, outcome in expected.items():
        status, reason = found[path]
        assert status == outcome.status, path
        assert reason is not None and outcome.reason in reason, (path, reason)
    assert len(replacement_lines) == 1 and replacement_lines[0][0] is not None
    assert "XML_ENTITE" in bank_codes
    assert read_through_link == (0,)
    after = _files_under(tmp_path)
    written = {path for path, mtime in after.items() if before.get(path) != mtime}
    assert written and all(path.is_relative_to(outputs) for path in written)
    assert not any(b"root:" in path.read_bytes() for path in (outputs / "quarantine").iterdir())
    assert peak_mb < PEAK_RSS_BOUND_MB
    # Owner-only outputs: the warehouse, serving file, reports, quarantine hold NIRs.
    too_open = [
        (str(path.relative_to(outputs)), oct(path.stat().st_mode & 0o777))
        for path in outputs.rglob("*")
        if path.stat().st_mode & 0o077
    ]
    assert too_open == []
    assert (outputs / "serving.duckdb").exists()
