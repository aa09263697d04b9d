"""Quality gates: Great Expectations suites on the portal tables, built from their specs.

GX 1.x validates pandas frames (its SQL path failed to compute metrics against DuckDB here).
It is imported lazily: importing it takes seconds, and only the gates need it.
"""

from quality.expectations.gates import GateResult, row_count_bounds, run_gates

__all__ = ["GateResult", "row_count_bounds", "run_gates"]
