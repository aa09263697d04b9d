"""The per-night truth (`known_from`, `true_until`, `still_off_on`, `employee_keys.csv`,
`synthetic.nightly.truth_as_of`) and the portfolio option with quarterly payers and contracts
without parameter files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from synthetic import generate
from synthetic.nightly import arrival_nights, truth_as_of
from tests.synthetic.truth_files import dsn_values, read_truth


def _night(arrival: str) -> str:
    return arrival[:10]


def test_every_expected_item_is_known_on_a_night_a_dsn_file_lands(portfolio: Path) -> None:
    """No item is known before a file revealing it lands, and every one is known some night."""
    nights = {night.isoformat() for night in arrival_nights(portfolio / "truth")}
    for table in ("anomalies", "signals"):
        rows = read_truth(portfolio, table)
        assert rows
        for row in rows:
            assert row["known_from"], row
            if row["code"] != "AFF013":  # due 8 days after the request, not on a file
                assert row["known_from"] in nights, row
            assert not row["true_until"] or row["true_until"] > row["known_from"], row


def test_an_item_is_known_no_sooner_than_its_file_lands(portfolio: Path) -> None:
    arrivals = {
        row["file_name"]: _night(row["arrival"])
        for row in read_truth(portfolio, "files")
        if row["arrival"] and not row["corruption"]
    }
    later = [
        row
        for table in ("anomalies", "signals")
        for row in read_truth(portfolio, table)
        if row["file_name"] in arrivals
        and row["known_from"] > arrivals[row["file_name"]]
        and row["code"] not in ("AFF008", "AFF013", "ARR006", "ARR008")  # need a second file
    ]
    # The file named is where the situation is visible in the effective declarations; an
    # original replaced later shows it as early, never later.
    assert later == []


def test_an_absence_a_replacement_corrects_holds_only_until_the_replacement_lands(
    busier_portfolio: Path,
) -> None:
    files = {row["file_name"]: row for row in read_truth(busier_portfolio, "files")}
    transient = [r for r in read_truth(busier_portfolio, "anomalies") if r["true_until"]]
    assert transient, "no original forgetting an affiliated employee in this portfolio"
    for row in transient:
        original = files[row["file_name"]]
        assert row["code"] == "AFF002"
        assert original["situation"] == "declaration_remplacee"
        assert row["known_from"] == _night(original["arrival"])
        replacement = next(f for f in files.values() if f["replaces_file"] == row["file_name"])
        assert row["true_until"] == _night(replacement["arrival"])
        night = date.fromisoformat(row["known_from"])
        keys = {(a["code"], a["siret"], a["month"]) for a in _rows(busier_portfolio, night)}
        assert (row["code"], row["siret"], row["month"]) in keys
        after = date.fromisoformat(row["true_until"])
        keys = {(a["code"], a["siret"], a["month"]) for a in _rows(busier_portfolio, after)}
        assert (row["code"], row["siret"], row["month"]) not in keys


def _rows(root: Path, night: date) -> list[dict[str, str]]:
    return truth_as_of(root / "truth", night).anomalies.to_dicts()


def test_the_truth_grows_night_by_night_to_the_final_truth(portfolio: Path) -> None:
    nights = arrival_nights(portfolio / "truth")
    counts = [truth_as_of(portfolio / "truth", n).signals.height for n in nights[::10]]
    last = truth_as_of(portfolio / "truth", nights[-1] + timedelta(days=400))
    assert counts[0] < counts[-1] <= last.signals.height
    assert last.signals.height == len(read_truth(portfolio, "signals"))
    assert last.anomalies.height == len(
        [r for r in read_truth(portfolio, "anomalies") if not r["true_until"]]
    )


def test_a_signal_needing_the_employee_still_off_waits_for_the_data_to_reach_that_day(
    portfolio: Path,
) -> None:
    waiting = [r for r in read_truth(portfolio, "signals") if r["still_off_on"]]
    assert {r["code"] for r in waiting} <= {"ARR004", "ARR005", "ARR009"}
    row = max(waiting, key=lambda r: r["still_off_on"])
    day = date.fromisoformat(row["still_off_on"])
    months_in = sorted(
        r["month"]
        for r in read_truth(portfolio, "files")
        if r["nature"] == "01" and not r["corruption"] and _night(r["arrival"]) <= str(day)
    )
    assert months_in[-1] < row["still_off_on"][:7]  # that day's month is not declared yet
    keys = {
        (r["code"], r["signal_date"])
        for r in truth_as_of(portfolio / "truth", day).signals.to_dicts()
    }
    assert (row["code"], row["signal_date"]) not in keys


@pytest.fixture(scope="module")
def quarterly_without_parameters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trimestriel")
    generate(
        root,
        companies=3,
        employees=40,
        months=4,
        start=date(2024, 1, 1),
        seed=4,
        quarterly=2,
        without_parameters=1,
    )
    return root


def test_without_parameters_no_reference_file_and_every_affiliation_is_unknown(
    quarterly_without_parameters: Path,
) -> None:
    root = quarterly_without_parameters
    meta = json.loads((root / "truth" / "meta.json").read_text())
    assert (meta["quarterly"], meta["without_parameters"]) == (2, 1)
    files = read_truth(root, "files")
    sirens = list(dict.fromkeys(r["siren"] for r in files if r["folder"] == "dsn"))
    bare = sirens[0]
    contributions = read_truth(root, "contributions")
    provisional = {r["contract_reference"] for r in contributions if r["provisional"] == "1"}
    assert provisional == {r["contract_reference"] for r in contributions if r["siren"] == bare}
    references = {p.stem for p in (root / "reference").glob("*.json")}
    assert not any(ref.replace("/", "_") in references for ref in provisional)
    assert all(
        r["expected"] == "" and r["due_date"] == "" for r in contributions if r["siren"] == bare
    )
    anomalies = [r for r in read_truth(root, "anomalies") if r["siren"] == bare]
    assert anomalies and {r["code"] for r in anomalies} <= {"AFF002", "AFF003", "AFF013"}
    assert not [r for r in read_truth(root, "affiliations") if r["siren"] == bare and r["option"]]


def test_quarterly_payers_declare_quarters_in_55_and_are_called_per_quarter(
    quarterly_without_parameters: Path,
) -> None:
    root = quarterly_without_parameters
    files = [r for r in read_truth(root, "files") if r["folder"] == "dsn" and r["nature"] == "01"]
    sirens = list(dict.fromkeys(r["siren"] for r in files))
    periods: dict[str, set[str]] = {siren: set() for siren in sirens}
    for row in files:
        if row["corruption"]:
            continue
        for rubric, value in dsn_values(root / "dsn" / row["file_name"], row["encoding"]):
            if rubric == "S21.G00.55.004" and row["siren"] in periods:
                periods[row["siren"]].add(value)
    assert periods[sirens[0]] == periods[sirens[1]] == {"2024T01"}
    contributions = read_truth(root, "contributions")
    for siren in sirens[:2]:
        assert {r["period"] for r in contributions if r["siren"] == siren} == {"2024T01", "2024T02"}
