"""Settings shared by the whole suite."""

import os

from hypothesis import settings

# Hypothesis fails an example slower than 200 ms by default: a timed assertion, which a loaded
# 2-core CI machine trips on correct code (test_ids, test_masking under load). Speed is measured
# by the benches, not asserted.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

# The gates' Data Docs site is a Great Expectations child process each night (2-3 s of CPU): a
# quarter of the suite's publishing nights. The nights run through the command line skip it; the
# tests of the site build it (`tests/serving/test_data_docs.py`, the `night` fixture's settings).
os.environ.setdefault("DSNPIPE_DATA_DOCS", "0")
