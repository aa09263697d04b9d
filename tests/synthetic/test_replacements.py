"""Replacements and cancellations as the norm defines them, over a few seeds.

Per SIRET, month, fraction and nature a payroll sends one normal monthly declaration (type 01,
or 02 without individual); anything else is a type 03/05 replacing it (or 04 cancelling a
signalement), built later, with a higher order number. A replaced or cancelled signalement is
named by S20.G00.05.006 = its S20.G00.05.007 + S20.G00.05.004 (CT2025.1, CSL 00 below); a
monthly DSN carries no .006 (CT2025.1 usages: forbidden for nature 01).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from synthetic import generate
from tests.synthetic.truth_files import dsn_values, read_truth

SEEDS = (4, 21, 33)
NORMAL_TYPES, REPLACING_TYPES = {"01", "02"}, {"03", "04", "05"}
# CT2025.1, S20.G00.05.006, CSL 00 (also dsn_parser/norm/data/P25V01/rubrics.csv), length 9..23.
REPLACED_ID = re.compile(r"(0[1-9]|[1-2][0-9]|3[0-1])(0[1-9]|1[0-2])(19|20)[0-9]{2}(0|[1-9][0-9]*)")


@dataclass(frozen=True)
class Header:
    file_name: str
    nature: str
    kind: str
    fraction: str
    order: str
    month: str
    replaced_id: str
    built: str  # JJMMAAAA
    siret: str

    @property
    def own_id(self) -> str:
        return self.built + self.order

    @property
    def built_on(self) -> date:
        return date(int(self.built[4:]), int(self.built[2:4]), int(self.built[:2]))


@pytest.fixture(scope="module", params=SEEDS)
def landing(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp(f"replacements{request.param}")
    generate(root, companies=10, employees=250, months=12, seed=request.param, fault_rate=0.05)
    return root


def headers(root: Path) -> list[Header]:
    """The S20.G00.05 header of every declaration of every good file (lots hold several)."""
    found = []
    for row in read_truth(root, "files"):
        if row["folder"] != "dsn" or row["corruption"]:
            continue
        current: dict[str, str] = {}
        for rubric, value in [*dsn_values(root / "dsn" / row["file_name"], row["encoding"])]:
            if rubric == "S20.G00.05.001" and current:
                found.append(_header(row["file_name"], current))
                current = {}
            if rubric.startswith("S20.G00.05.") or rubric in ("S21.G00.06.001", "S21.G00.11.001"):
                current.setdefault(rubric, value)
        if current:
            found.append(_header(row["file_name"], current))
    return list(dict.fromkeys(found))  # a file listed once per envoi in the truth


def _header(file_name: str, rubrics: dict[str, str]) -> Header:
    return Header(
        file_name=file_name,
        nature=rubrics["S20.G00.05.001"],
        kind=rubrics["S20.G00.05.002"],
        fraction=rubrics["S20.G00.05.003"],
        order=rubrics["S20.G00.05.004"],
        month=rubrics.get("S20.G00.05.005", ""),
        replaced_id=rubrics.get("S20.G00.05.006", ""),
        built=rubrics["S20.G00.05.007"],
        siret=rubrics["S21.G00.06.001"] + rubrics["S21.G00.11.001"],
    )


def test_one_normal_monthly_per_siret_month_fraction_and_the_rest_replace_it(
    landing: Path,
) -> None:
    groups: dict[tuple[str, str, str, str], list[Header]] = defaultdict(list)
    for header in headers(landing):
        if header.nature == "01":
            groups[(header.siret, header.month, header.fraction, header.nature)].append(header)
    replaced = 0
    for key, declarations in groups.items():
        normal = [d for d in declarations if d.kind in NORMAL_TYPES]
        assert len(normal) == 1, (key, declarations)
        for replacement in (d for d in declarations if d is not normal[0]):
            replaced += 1
            assert replacement.kind in {"03", "05"}, replacement  # a monthly is never cancelled
            assert replacement.replaced_id == "", "05.006 is forbidden in a monthly DSN"
            later = (replacement.built_on, int(replacement.order))
            assert later > (normal[0].built_on, int(normal[0].order)), replacement
    assert replaced, "the seeds were chosen to hold monthly replacements"


def test_replaced_and_cancelled_signalements_are_named_by_their_id(landing: Path) -> None:
    signalements = [h for h in headers(landing) if h.nature != "01"]
    by_id: dict[tuple[str, str, str], list[Header]] = defaultdict(list)
    for header in signalements:
        by_id[(header.siret, header.nature, header.own_id)].append(header)
    assert all(len(same) == 1 for same in by_id.values()), "a declaration id names one file"
    replacing = [h for h in signalements if h.kind in REPLACING_TYPES]
    assert replacing, "the seeds were chosen to hold replaced or cancelled signalements"
    for header in signalements:
        if header.kind not in REPLACING_TYPES:
            assert header.replaced_id == "", header
            continue
        assert REPLACED_ID.fullmatch(header.replaced_id), header
        assert 9 <= len(header.replaced_id) <= 23
        target = by_id.get((header.siret, header.nature, header.replaced_id))
        assert target, f"{header.file_name} replaces an unknown declaration"
        original = target[0]
        assert original.kind == "01" and original.fraction == header.fraction
        assert (header.built_on, int(header.order)) > (original.built_on, int(original.order))


def test_the_truth_names_the_file_each_replacement_replaces(landing: Path) -> None:
    by_file: dict[str, list[Header]] = defaultdict(list)
    for header in headers(landing):
        by_file[header.file_name].append(header)
    rows = [r for r in read_truth(landing, "files") if r["folder"] == "dsn" and not r["corruption"]]
    for row in rows:
        if row["type"] not in REPLACING_TYPES:
            assert row["replaces_file"] == "", row
            continue
        replaced = [
            h
            for h in by_file[row["replaces_file"]]
            if h.siret == row["siret"] and h.nature == row["nature"] and h.kind in NORMAL_TYPES
        ]
        assert replaced, row
        own = [h for h in by_file[row["file_name"]] if h.kind == row["type"]]
        assert own and row["built_on"] == own[0].built_on.isoformat(), row
