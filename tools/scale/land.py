"""Land a scale year's files by hard link: those on time, or a late night's.

usage: python -m tools.scale.land YEAR LANDING (on-time|late|late2) (from the repository)"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tools.scale.year import DELIVERED, LATE_NIGHTS


def land(year: Path, landing: Path, which: str) -> int:
    generated = year / "generated"
    late = {
        night: set(json.loads((year / f"{night}.json").read_text(encoding="utf-8")))
        for night in LATE_NIGHTS
    }
    if which in late:
        names = sorted(late[which])
    else:
        every = (p for folder in DELIVERED for p in (generated / folder).rglob("*") if p.is_file())
        names = sorted(
            n
            for p in every
            if not any((n := str(p.relative_to(generated))) in files for files in late.values())
        )
    for name in names:
        target = landing / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(generated / name, target)
    return len(names)


if __name__ == "__main__":
    print(land(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]), "files landed")
