"""Same seed, same bytes (and same file times); another seed, other files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from synthetic import generate

SMALL = {"companies": 3, "employees": 40, "months": 4, "fault_rate": 0.2}


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_same_seed_gives_identical_files_and_times(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=5, **SMALL)  # type: ignore[arg-type]
    generate(tmp_path / "b", seed=5, **SMALL)  # type: ignore[arg-type]
    first, second = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_another_seed_gives_other_dsn_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", seed=5, **SMALL)  # type: ignore[arg-type]
    generate(tmp_path / "b", seed=6, **SMALL)  # type: ignore[arg-type]
    first = {p.read_bytes() for p in (tmp_path / "a" / "dsn").iterdir()}
    second = {p.read_bytes() for p in (tmp_path / "b" / "dsn").iterdir()}
    assert first.isdisjoint(second)


def test_refuses_to_overwrite_a_generated_portfolio(tmp_path: Path) -> None:
    generate(tmp_path, seed=5, **SMALL)  # type: ignore[arg-type]
    try:
        generate(tmp_path, seed=5, **SMALL)  # type: ignore[arg-type]
    except FileExistsError:
        return
    raise AssertionError("a second generation into the same folder must be refused")


def test_refuses_a_window_without_a_known_social_security_ceiling(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2027"):
        generate(tmp_path, start=date(2026, 6, 1), months=12)
    assert not (tmp_path / "dsn").exists()
