"""Generate a year for the scale measures and choose its late files (1 %, seeded).

usage: python -m tools.scale.year DIR EMPLOYEES (from the repository)
DIR/generated holds the year (`synthetic.generate`, seed 7, 66 employees per company on
average), DIR/late.json the files that arrive late, relative to DIR/generated."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from synthetic import generate

DELIVERED = ("dsn", "bank", "reference", "portal")


def main(root: Path, employees: int) -> None:
    generated = root / "generated"
    if not generated.exists():
        started = time.perf_counter()
        companies = max(1, employees // 66)
        generate(generated, companies=companies, employees=employees, months=12, seed=7)
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    delivered = sorted(
        p for folder in DELIVERED for p in (generated / folder).rglob("*") if p.is_file()
    )
    late = random.Random(7).sample(delivered, k=max(1, len(delivered) // 100))
    names = sorted(str(p.relative_to(generated)) for p in late)
    (root / "late.json").write_text(json.dumps(names), encoding="utf-8")
    print(f"{len(delivered) - len(late)} files on time, {len(late)} late", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
