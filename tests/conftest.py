"""Settings shared by the whole suite."""

from hypothesis import settings

# Hypothesis fails an example slower than 200 ms by default: a timed assertion, which a loaded
# 2-core CI machine trips on correct code (test_ids, test_masking under load). Speed is measured
# by the benches, not asserted.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")
