"""The functions of a profile whose file or name contains PATTERN, by cumulative time.

usage: python tools/scale/top.py PROFILE PATTERN [COUNT]
Columns: cumulative s, own s, calls, file:line:function."""

from __future__ import annotations

import pstats
import sys


def top(profile: str, pattern: str, count: int) -> None:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    rows = [
        (cumulative, own, calls, f"{path}:{line}:{name}")
        for (path, line, name), (_, calls, own, cumulative, _) in stats.items()
        if pattern in path + name
    ]
    for cumulative, own, calls, where in sorted(rows, reverse=True)[:count]:
        print(f"{cumulative:8.2f} {own:8.2f} {calls:7d} {where}")


if __name__ == "__main__":
    top(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
