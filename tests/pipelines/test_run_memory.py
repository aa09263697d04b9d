"""The peak memory `dsnpipe run` prints per step is the night process's own, not its parent's."""

from __future__ import annotations

import subprocess
import sys

# A parent that held 400 MB and let them go, then starts a process that reports its own peak.
_PARENT = """
import subprocess, sys
held = bytearray(400 * 1024 * 1024)
for page in range(0, len(held), 4096):
    held[page] = 1
del held
child = "from pipelines.commands.run import peak_memory_megabytes; print(peak_memory_megabytes())"
print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                     check=True).stdout)
"""


def test_a_process_peak_does_not_count_the_peak_of_its_parent() -> None:
    reported = subprocess.run(
        [sys.executable, "-c", _PARENT], capture_output=True, text=True, check=True
    ).stdout
    assert 0 < int(reported) < 200
