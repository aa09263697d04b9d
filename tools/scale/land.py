"""Land a scale year's files by hard link: those of the full night, or a late night's
(`tools.scale.year.deliveries`).

usage: python -m tools.scale.land YEAR LANDING (on-time|late|late2) (from the repository)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tools.scale.year import LATE_NIGHTS, deliveries


def land(year: Path, landing: Path, which: str) -> int:
    generated = year / "generated"
    on_time, late = deliveries(generated)
    nights = {"on-time": on_time, **dict(zip(LATE_NIGHTS, late, strict=True))}
    if which not in nights:
        raise SystemExit(f"usage: python -m tools.scale.land YEAR LANDING ({'|'.join(nights)})")
    paths = nights[which]
    for path in paths:
        target = landing / path.relative_to(generated)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, target)
    return len(paths)


if __name__ == "__main__":
    print(land(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]), "files landed")
