"""Generate a year for the scale measures, and the nights its files land in (`deliveries`: 1 %
of them late a night for two nights, seeded).

usage: python -m tools.scale.year DIR EMPLOYEES (from the repository)

DIR/generated holds the year (`synthetic.generate`, seed 7, 66 employees per company on
average); `tools.scale.land` lands a night's files from it."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from synthetic import generate

DELIVERED = ("dsn", "bank", "reference", "portal")
LATE_SHARE = 100  # one file in this many arrives late, each late night
LATE_NIGHTS = ("late", "late2")  # the nights after the full night, as `tools.scale.land` names them


def deliveries(generated: Path) -> tuple[list[Path], list[list[Path]]]:
    """The year's files (`generated`) in the order they land: those of the full night, then each
    late night's (1 % of the files each, none twice). Two late nights, since the second is the
    steady state: the night before it changed companies too (the analysts' previous copy is
    then brought through both nights' changes), as every night after the first in production."""
    delivered = sorted(
        p for folder in DELIVERED for p in (generated / folder).rglob("*") if p.is_file()
    )
    count = max(1, len(delivered) // LATE_SHARE)
    chosen = random.Random(7).sample(delivered, k=count * len(LATE_NIGHTS))
    late = [sorted(chosen[n * count : (n + 1) * count]) for n in range(len(LATE_NIGHTS))]
    on_time = sorted(set(delivered) - set(chosen))
    return on_time, late


def main(root: Path, employees: int) -> None:
    generated = root / "generated"
    if not generated.exists():
        started = time.perf_counter()
        companies = max(1, employees // 66)
        generate(generated, companies=companies, employees=employees, months=12, seed=7)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    on_time, late = deliveries(generated)
    print(f"{len(on_time)} files on time, {' + '.join(str(len(f)) for f in late)} late", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
