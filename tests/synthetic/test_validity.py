"""Every file the truth does not list as corrupted passes the DSN reader and validator with no
error; every file it lists as corrupted is rejected.

The reader takes a fraction of a second per file, so the default suite checks a sample that
covers every kind of file (nature, type, situation, lot, encoding, line ending, corruption);
the bench suite checks every file of a larger portfolio.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from dsn_parser import parse
from synthetic import generate
from tests.synthetic.truth_files import read_truth

PER_KIND = 1


def dsn_files(root: Path) -> dict[str, dict[str, str]]:
    """File name -> its first truth row (a lot file has one row per declaration)."""
    rows: dict[str, dict[str, str]] = {}
    for row in read_truth(root, "files"):
        if row["folder"] == "dsn":
            rows.setdefault(row["file_name"], row)
    return rows


def sample(rows: dict[str, dict[str, str]]) -> list[str]:
    kinds: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, row in sorted(rows.items()):
        kind = tuple(
            row[c]
            for c in ("nature", "type", "situation", "lot", "encoding", "line_ending", "corruption")
        )
        kinds[kind].append(name)
    return [name for names in kinds.values() for name in names[:PER_KIND]]


def errors_of(path: Path) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for parsed in parse(path):
        errors = parsed.diagnostics.filter(parsed.diagnostics["severity"] == "error")
        found += errors.select("code", "rubric", "message").head(3).to_dicts()
        if parsed.declarations.is_empty():
            found.append({"code": "no declaration"})
    return found


def check_valid(root: Path, names: list[str]) -> dict[str, list[dict[str, object]]]:
    rows = dsn_files(root)
    failures = {}
    for name in names:
        if not rows[name]["corruption"] and (found := errors_of(root / "dsn" / name)):
            failures[name] = found
    return failures


def test_every_written_dsn_file_is_in_the_truth(portfolio: Path) -> None:
    assert {p.name for p in (portfolio / "dsn").iterdir()} == set(dsn_files(portfolio))


def test_files_not_corrupted_have_no_error(portfolio: Path) -> None:
    assert check_valid(portfolio, sample(dsn_files(portfolio))) == {}


def test_an_affiliation_ended_before_its_start_passes_the_official_controls(
    portfolio: Path,
) -> None:
    """The fault end_before_start is for the insurer's rule AFF011 to find across months: the
    file revealing it is valid, S21.G00.70.015/CCH-11 (blocking) included."""
    names = [r["file_name"] for r in read_truth(portfolio, "anomalies") if r["code"] == "AFF011"]
    assert names
    assert check_valid(portfolio, names) == {}


def test_corrupted_files_are_rejected(portfolio: Path) -> None:
    rows = dsn_files(portfolio)
    corrupted = [name for name in sample(rows) if rows[name]["corruption"]]
    assert {rows[name]["corruption"] for name in corrupted} == {
        "tronque",
        "encodage_errone",
        "total_s90_faux",
        "illisible",
    }
    accepted = [
        name
        for name in corrupted
        if not any(parsed.rejected for parsed in parse(portfolio / "dsn" / name))
    ]
    assert accepted == []


@pytest.mark.bench
def test_every_file_of_a_larger_portfolio_is_valid(tmp_path: Path) -> None:
    generate(tmp_path, companies=30, employees=2000, months=12, seed=23, fault_rate=0.1)
    names = sorted(dsn_files(tmp_path))
    failures = check_valid(tmp_path, names)
    print(f"\n{len(names)} fichiers DSN contrôlés, {len(failures)} en erreur")
    assert failures == {}
