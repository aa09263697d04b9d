"""What the files look like: identifiers with valid keys, real-world text, both line endings
and encodings, lot envelopes, reference and portal files in their documented formats."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from contracts.parameters import ContractParameters, PmssTable
from synthetic.portal_files import PORTAL_FILES
from tests.synthetic.truth_files import dsn_values, read_truth

# The norm's NIR expression (S21.G00.30.001, Identifiant_Nir_13), copied from the dictionary.
NIR = re.compile(
    r"[1-2][0-9]{2}(0[1-9]|1[0-2]|20|3[0-9]|4[0-2]|[5-9][0-9])(0[1-9]|[1-9][0-9]|2A|2B)"
    r"([0]{2}[1-9]|0[1-9][0-9]|[1-9][0-9]{2})([0]{2}[1-9]|0[1-9][0-9]|[1-9][0-9]{2})"
)


def clean_files(root: Path) -> list[dict[str, str]]:
    rows = {r["file_name"]: r for r in read_truth(root, "files") if r["folder"] == "dsn"}
    return [r for r in rows.values() if not r["corruption"]]


def all_values(root: Path) -> dict[str, set[str]]:
    values: dict[str, set[str]] = {}
    for row in clean_files(root):
        for rubric, value in dsn_values(root / "dsn" / row["file_name"], row["encoding"]):
            values.setdefault(rubric, set()).add(value)
    return values


def test_identifiers_satisfy_their_formats(portfolio: Path) -> None:
    values = all_values(portfolio)
    nirs = values["S21.G00.30.001"] | values.get("S21.G00.73.007", set())
    assert nirs and all(NIR.fullmatch(nir) for nir in nirs)
    assert any(nir[5:7] in ("2A", "2B") for nir in nirs)
    assert all(stdnum_siren.is_valid(s) for s in values["S21.G00.06.001"])
    assert all(stdnum_siret.is_valid(s) for s in values["S21.G00.40.019"])
    assert all(len(ntt) >= 11 for ntt in values["S21.G00.30.020"])


def test_real_world_text_and_encodings(portfolio: Path) -> None:
    values = all_values(portfolio)
    names = values["S21.G00.30.002"] | values["S21.G00.30.004"]
    assert any("'" in n for n in names) and any("," in n for n in names)
    assert any(c in "éèçëïôüÉ" for n in names for c in n)
    files = clean_files(portfolio)
    assert {r["encoding"] for r in files} == {"latin-1", "utf-8"}
    assert {r["line_ending"] for r in files} == {"crlf", "lf"}
    latin1 = next(r for r in files if r["encoding"] == "latin-1" and r["nature"] == "01")
    raw = (portfolio / "dsn" / latin1["file_name"]).read_bytes()
    assert (b"\r\n" in raw) == (latin1["line_ending"] == "crlf")


def test_lot_envelopes_wrap_complete_envois(portfolio: Path) -> None:
    lots = [r for r in clean_files(portfolio) if r["lot"] == "1"]
    assert lots
    for row in lots:
        lines = dsn_values(portfolio / "dsn" / row["file_name"], row["encoding"])
        rubrics = [rubric for rubric, _ in lines]
        assert rubrics[0] == "S05.G51.00.001" and rubrics[-1] == "S95.G51.00.002"
        envois = rubrics.count("S10.G00.00.001")
        assert dict(lines)["S05.G51.00.006"] == str(envois)


def test_s90_counts_the_lines_of_each_envoi(portfolio: Path) -> None:
    for row in clean_files(portfolio)[:80]:
        count = 0
        for rubric, value in dsn_values(portfolio / "dsn" / row["file_name"], row["encoding"]):
            if rubric.startswith("S10.G00.00.001"):
                count = 0
            if rubric.startswith(("S10", "S2", "S90")):
                count += 1
            if rubric == "S90.G00.90.001":
                assert int(value) == count + 1  # S90.002 follows and is counted too


def test_reference_files_read_with_the_documented_model(portfolio: Path) -> None:
    declared = all_values(portfolio)["S21.G00.15.001"]
    unknown = {
        r["contract_reference"] for r in read_truth(portfolio, "anomalies") if r["code"] == "AFF003"
    }
    contracts = [
        ContractParameters.model_validate_json(p.read_text("utf-8"))
        for p in sorted((portfolio / "reference").glob("0*.json"))
    ]
    assert {c.contract_reference for c in contracts} == declared - unknown
    assert {c.cover for c in contracts} == {"sante", "prevoyance"}
    pmss = PmssTable.model_validate_json((portfolio / "reference" / "pmss.json").read_text())
    assert pmss.assumed_years == [2026]


def test_portal_exports_have_their_documented_header(portfolio: Path) -> None:
    for name, columns in PORTAL_FILES.items():
        with (portfolio / "portal" / name).open(encoding="utf-8-sig", newline="") as handle:
            assert tuple(next(csv.reader(handle, delimiter=";"))) == columns
    meta = json.loads((portfolio / "truth" / "meta.json").read_text("utf-8"))
    assert meta["seed"] == 11
