"""`dsnpipe` as its own process ends without the interpreter's teardown (`process_main`): its
output, its exit code and what it registered to run at exit must survive that."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_PROCESS = """
import atexit, sys
from pathlib import Path
from pipelines.cli import process_main
atexit.register(Path(sys.argv[1]).write_text, "exit functions ran")
sys.argv = ["dsnpipe", "run", "--landing", sys.argv[2]]
process_main()
"""


def test_the_process_keeps_its_output_exit_code_and_exit_functions(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    done = subprocess.run(
        [sys.executable, "-c", _PROCESS, str(marker), str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2  # no landing directory
    assert "Répertoire d'arrivée introuvable" in done.stdout
    assert marker.read_text() == "exit functions ran"
