"""One `dsnpipe run` under cProfile, in this process (`pipelines.cli.main`, not `process_main`,
which ends with `os._exit` before the profile could be written).

usage: python tools/scale/profiled_night.py STATE PROFILE
Read the profile with `python tools/scale/top.py PROFILE PATTERN`."""

from __future__ import annotations

import cProfile
import os
import sys

from pipelines.cli import main

os.environ.setdefault("DSNPIPE_PSEUDONYM_KEY", "clé de bench xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
state, profile = sys.argv[1], sys.argv[2]
profiler = cProfile.Profile()
profiler.enable()
code = main(["run", "--landing", f"{state}/landing", "--warehouse", f"{state}/entrepot.duckdb"])
profiler.disable()
profiler.dump_stats(profile)
print("code de sortie", code)
