"""The truth agrees with the files: what it says was injected can be found where it says."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from synthetic.truth import ANOMALIES, Signal
from tests.synthetic.truth_files import dsn_values, read_truth


def ddmmyyyy(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.day:02d}{day.month:02d}{day.year}"


def dsn_day(value: str) -> date:
    return date(int(value[4:]), int(value[2:4]), int(value[:2]))


@cache
def lines_of(root: Path, name: str) -> tuple[tuple[str, str], ...]:
    encodings = {r["file_name"]: r["encoding"] for r in read_truth(root, "files")}
    return tuple(dsn_values(root / "dsn" / name, encodings[name]))


@cache
def individuals(root: Path, name: str) -> list[list[tuple[str, str]]]:
    """The lines of each individual (S21.G00.30 up to the next one or the end of the
    declaration) of a file."""
    people: list[list[tuple[str, str]]] = []
    for rubric, value in lines_of(root, name):
        if rubric == "S21.G00.30.001" or (
            rubric == "S21.G00.30.002" and (not people or people[-1][-1][0] != "S21.G00.30.001")
        ):
            people.append([])
        if rubric.startswith(("S20.", "S90.", "S95.", "S96.", "S06.", "S10.")):
            if people and people[-1]:
                people.append([])
            continue
        if people:
            people[-1].append((rubric, value))
    return [p for p in people if p]


# The DSN reader's employee_key of someone declared without NIR (dsn_parser.tables).
READER_NTT_PREFIX = "NTT:"


@cache
def people_by_key(root: Path, name: str) -> dict[str, list[tuple[str, str]]]:
    people: dict[str, list[tuple[str, str]]] = {}
    for person in individuals(root, name):
        for rubric, value in person:
            if rubric == "S21.G00.30.001":
                people.setdefault(value, person)
            if rubric == "S21.G00.30.020":
                people.setdefault(READER_NTT_PREFIX + value, person)
    return people


@cache
def aliases(root: Path) -> dict[str, str]:
    """Earlier identifiers of an employee -> his NIR, as the files themselves link them: an NTT
    declared with the NIR in the switch month, an old NIR in S21.G00.31.008."""
    links: dict[str, str] = {}
    files = {r["file_name"]: r for r in read_truth(root, "files") if r["folder"] == "dsn"}
    for name, row in files.items():
        if row["corruption"]:
            continue
        for person in individuals(root, name):
            values = dict(person)
            nir = values.get("S21.G00.30.001")
            ntt = values.get("S21.G00.30.020")
            for old in (ntt and READER_NTT_PREFIX + ntt, values.get("S21.G00.31.008")):
                if nir and old:
                    links[old] = nir
    return links


def person_in(root: Path, name: str, key: str) -> list[tuple[str, str]] | None:
    people = people_by_key(root, name)
    if key in people:
        return people[key]
    earlier = [old for old, nir in aliases(root).items() if nir == key]
    return next((people[old] for old in earlier if old in people), None)


def test_employee_keys_are_spelled_as_the_dsn_reader_spells_them(portfolio: Path) -> None:
    keys = {
        row["employee_key"]
        for table in ("anomalies", "signals", "stoppages", "affiliations", "situations")
        for row in read_truth(portfolio, table)
        if row["employee_key"]
    }
    ntt_keys = {key for key in keys if key.startswith(READER_NTT_PREFIX)}
    assert all(len(key) == 13 and not key.startswith("NTT") for key in keys - ntt_keys)
    # The raw NTT (without the reader's prefix) stays in the `ntt` column.
    ntts = {row["ntt"] for row in read_truth(portfolio, "anomalies") if row["ntt"]}
    assert all(not ntt.startswith(READER_NTT_PREFIX) for ntt in ntts)


def test_every_code_of_both_catalogues_is_expected_somewhere(portfolio: Path) -> None:
    anomalies = {row["code"] for row in read_truth(portfolio, "anomalies")}
    signals = {row["code"] for row in read_truth(portfolio, "signals")}
    # AFF006 (NTT kept > 3 months), AFF007, invalidity and death need rarer lives; the identity
    # blocks behind AFF006/AFF007 are checked in test_declarations.
    assert set(ANOMALIES) - anomalies <= {"AFF006", "AFF007"}
    assert set(Signal) - signals <= {"ARR010", "ARR011"}


def unlinked(root: Path) -> set[str]:
    """Employees whose NIR changed without S21.G00.31 (AFF007): their earlier files show a NIR
    nothing links to them."""
    return {r["employee_key"] for r in read_truth(root, "anomalies") if r["code"] == "AFF007"}


def test_every_stoppage_is_in_the_dsn_lines_of_its_files(portfolio: Path) -> None:
    for row in read_truth(portfolio, "stoppages"):
        if row["employee_key"] in unlinked(portfolio):
            continue
        last_worked = ddmmyyyy(row["last_day_worked"])
        for name in row["files"].split(";"):
            person = person_in(portfolio, name, row["employee_key"])
            assert person is not None, (name, row["employee_key"])
            assert ("S21.G00.60.002", last_worked) in person, (name, row)
        if row["status"] == "annulé":
            assert any(
                ("S21.G00.60.001", "99") in (person_in(portfolio, n, row["employee_key"]) or [])
                for n in row["files"].split(";")
            )
        if row["status"] == "terminé":
            returns = [
                person_in(portfolio, n, row["employee_key"]) or [] for n in row["files"].split(";")
            ]
            assert any(("S21.G00.60.010", ddmmyyyy(row["return_date"])) in p for p in returns)


def test_every_expected_anomaly_names_an_employee_of_its_file(portfolio: Path) -> None:
    requests = (portfolio / "portal" / "demandes_affiliation.csv").read_text("utf-8-sig")
    for row in read_truth(portfolio, "anomalies"):
        if row["employee_key"] in unlinked(portfolio) and row["code"] != "AFF007":
            continue
        if row["code"] == "AFF013":  # a portal request nobody ever declared
            assert row["nir"] in requests
            continue
        if row["code"] == "AFF002":  # absent from that month's file: that is the anomaly
            assert person_in(portfolio, row["file_name"], row["employee_key"]) is None
            continue
        assert person_in(portfolio, row["file_name"], row["employee_key"]) is not None, row


def test_anomalies_show_what_they_claim(portfolio: Path) -> None:
    references = {p.stem.replace("_", "/") for p in (portfolio / "reference").glob("0*.json")}
    for row in read_truth(portfolio, "anomalies"):
        if row["code"] in ("AFF002", "AFF013"):
            continue
        person = person_in(portfolio, row["file_name"], row["employee_key"]) or []
        values = defaultdict(list)
        for rubric, value in person:
            values[rubric].append(value)
        if row["code"] == "AFF003":
            assert row["contract_reference"] not in references
        if row["code"] == "AFF006":
            assert "S21.G00.30.001" not in values and values["S21.G00.30.020"]
        if row["code"] == "AFF010":
            counted = sum(int(v) for v in values["S21.G00.70.009"])
            assert counted != len(values["S21.G00.73.003"])
        if row["code"] == "AFF011":
            # The block is valid on its own; its end precedes the start an earlier month gave.
            [start], [end] = values["S21.G00.70.014"], values["S21.G00.70.015"]
            assert dsn_day(start) <= dsn_day(end)
            assert dsn_day(end) < date.fromisoformat(row["detail"].removeprefix("début déclaré "))
        if row["code"] == "AFF004":
            assert "OPT9" in values["S21.G00.70.004"]


def test_declared_payments_equal_the_contributions_due(portfolio: Path) -> None:
    """Σ S21.G00.55.001 of the effective declarations, per company, contract and period, read
    from the files here, equals the truth's due (Σ 059) for every known contract."""
    rows = read_truth(portfolio, "files")
    paid: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in {r["file_name"]: r for r in rows if r["folder"] == "dsn"}.values():
        if row["corruption"] or row["situation"] == "declaration_remplacee":
            continue
        siren = ""
        for rubric, value in lines_of(portfolio, row["file_name"]):
            if rubric == "S21.G00.06.001":
                siren = value
            elif rubric == "S21.G00.55.001":
                amount = Decimal(value)
            elif rubric == "S21.G00.55.003":
                reference = value
            elif rubric == "S21.G00.55.004":
                paid[(siren, reference, value)] += amount
    due = {
        (r["siren"], r["contract_reference"], r["period"]): Decimal(r["due"])
        for r in read_truth(portfolio, "contributions")
    }
    assert {k: v for k, v in paid.items() if v} == {k: v for k, v in due.items() if v}


def test_balances_follow_from_the_bank_allocations(portfolio: Path) -> None:
    allocated: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for row in read_truth(portfolio, "bank_allocations"):
        if row["contract_reference"]:
            allocated[(row["siren"], row["contract_reference"], row["period"])] += Decimal(
                row["amount"]
            )
    for row in read_truth(portfolio, "contributions"):
        key = (row["siren"], row["contract_reference"], row["period"])
        assert Decimal(row["paid"]) == allocated[key]
        assert Decimal(row["balance"]) == Decimal(row["due"]) - allocated[key]


def test_every_bank_line_is_in_its_bank_file(portfolio: Path) -> None:
    scenarios = set()
    for row in read_truth(portfolio, "bank_allocations"):
        scenarios.add(row["scenario"])
        content = (portfolio / "bank" / row["bank_file"]).read_text("ascii", errors="replace")
        reference = row["bank_line_id"]
        # CFONB keeps the bank reference in a 16-character zone: ours fit.
        assert reference in content, (row["bank_file"], reference)
    assert {
        "a_l_heure",
        "en_retard",
        "partiel",
        "trop_percu",
        "plusieurs_periodes",
        "prelevement_rejete",
        "sans_reference",
    } <= scenarios
    payments = {row["scenario"] for row in read_truth(portfolio, "payments")}
    assert "absent" in payments


def test_final_statuses_cover_every_state(portfolio: Path) -> None:
    statuses = {row["status"] for row in read_truth(portfolio, "affiliations")}
    assert statuses == {
        "affilié",
        "en cours d'affiliation",
        "à relancer",
        "dispensé",
        "radié",
        "en portabilité",
    } or statuses >= {"affilié", "à relancer", "dispensé", "radié", "en portabilité"}


def test_truth_tables_are_plain_csv_with_their_documented_header(portfolio: Path) -> None:
    from synthetic.truth import TABLES

    for table, columns in TABLES.items():
        with (portfolio / "truth" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            assert tuple(next(csv.reader(f))) == columns


def test_each_prolongation_is_shown_by_its_file(portfolio: Path) -> None:
    """The file named by a prolongation signal declares the stoppage with a planned end later
    than the one before (the signal date is the day after the previous planned end)."""
    checked = 0
    for row in read_truth(portfolio, "signals"):
        if row["code"] != "ARR002" or row["employee_key"] in unlinked(portfolio):
            continue
        person = person_in(portfolio, row["file_name"], row["employee_key"]) or []
        last_worked = ddmmyyyy(
            (date.fromisoformat(row["stoppage_first_day"]) - timedelta(days=1)).isoformat()
        )
        planned = [
            person[i + 1][1]
            for i, line in enumerate(person)
            if line == ("S21.G00.60.002", last_worked)
        ]
        previous_end = date.fromisoformat(row["signal_date"]) - timedelta(days=1)
        assert any(date(int(p[4:]), int(p[2:4]), int(p[:2])) > previous_end for p in planned), row
        checked += 1
    assert checked


def _declared_keys(root: Path) -> set[str]:
    """Every employee key some effective DSN declares: its NIRs, and "NTT:" + its NTTs."""
    keys: set[str] = set()
    files = {r["file_name"]: r for r in read_truth(root, "files") if r["folder"] == "dsn"}
    for name, row in files.items():
        if row["corruption"]:
            continue
        for rubric, value in lines_of(root, name):
            if rubric == "S21.G00.30.001":
                keys.add(value)
            elif rubric == "S21.G00.30.020":
                keys.add(READER_NTT_PREFIX + value)
    return keys


# Rows about people the portal knows and no DSN declares (yet): pending or never-seen requests.
_PORTAL_ONLY_STATUSES = {"en cours d'affiliation", "à relancer"}
_PORTAL_ONLY_ANOMALY = "AFF013"


@pytest.mark.parametrize("name", ["portfolio", "busier_portfolio"])
def test_every_employee_key_is_one_a_dsn_declares(
    name: str, request: pytest.FixtureRequest
) -> None:
    """Someone who stops being declared before his NIR replaces his NTT (or before his wrong
    NIR is fixed) is keyed by what his DSNs last declared, not by a NIR no file carries; the
    portal's exemptions and radiations carry that NIR (empty for an NTT)."""
    portfolio: Path = request.getfixturevalue(name)
    declared = _declared_keys(portfolio)
    keys = {
        (table, row["employee_key"])
        for table in ("anomalies", "signals", "stoppages", "affiliations", "situations")
        for row in read_truth(portfolio, table)
        if row["employee_key"]
        and row.get("status") not in _PORTAL_ONLY_STATUSES
        and row.get("code") != _PORTAL_ONLY_ANOMALY
    }
    assert {(table, key) for table, key in keys if key not in declared} == set()
    for name in ("dispenses.csv", "radiations.csv"):
        with (portfolio / "portal" / name).open(encoding="utf-8-sig", newline="") as handle:
            nirs = {row["nir"] for row in csv.DictReader(handle, delimiter=";")}
        assert nirs - declared <= {""}, name


def _iso(ddmmyyyy: str) -> str:
    day, month, year = ddmmyyyy.split("/")
    return f"{year}-{month}-{day}"


def test_portability_lasts_twelve_months_to_the_day(portfolio: Path) -> None:
    """Dismissed on 24/01/2025: en portabilité up to 24/01/2026 included (DOMAIN.md: up to 12
    months after the end); radié once that day is past."""
    import json

    meta = json.loads((portfolio / "truth" / "meta.json").read_text(encoding="utf-8"))
    as_of, reasons = date.fromisoformat(meta["as_of"]), set(meta["portability_reasons"])

    def twelve_months_after(day: date) -> date:
        year, month = (day.year + 1, day.month)
        for last in (31, 30, 29, 28):  # the month's last day when it is shorter
            try:
                return date(year, month, min(day.day, last))
            except ValueError:
                continue
        raise AssertionError(day)

    rows = read_truth(portfolio, "affiliations")
    portable = [r for r in rows if r["status"] == "en portabilité"]
    assert portable
    for row in portable:
        end = date.fromisoformat(row["status_since"]) - timedelta(days=1)
        assert row["portability_end"] == twelve_months_after(end).isoformat(), row
        assert date.fromisoformat(row["portability_end"]) >= as_of
    with (portfolio / "portal" / "radiations.csv").open(encoding="utf-8-sig", newline="") as f:
        by_employer = {(r["nir"], r["contrat"]) for r in csv.DictReader(f, delimiter=";")}
    for row in rows:
        if (
            row["status"] == "radié"
            and row["end_reason"] in reasons
            and (row["nir"], row["contract_reference"]) not in by_employer
        ):
            assert twelve_months_after(date.fromisoformat(row["status_since"])) < as_of, row


def test_an_exemption_starts_when_the_portal_says(portfolio: Path) -> None:
    with (portfolio / "portal" / "dispenses.csv").open(encoding="utf-8-sig", newline="") as f:
        starts = {
            (row["nir"], row["contrat"]): _iso(row["date_debut"])
            for row in csv.DictReader(f, delimiter=";")
        }
    exempted = [r for r in read_truth(portfolio, "affiliations") if r["status"] == "dispensé"]
    assert exempted
    for row in exempted:
        if row["nir"]:  # an NTT-only employee's exemption carries no NIR to match
            assert starts[(row["nir"], row["contract_reference"])] == row["status_since"], row


@pytest.mark.parametrize("name", ["portfolio", "busier_portfolio"])
def test_absent_without_end_concerns_affiliated_employees_only(
    name: str, request: pytest.FixtureRequest
) -> None:
    portfolio: Path = request.getfixturevalue(name)
    affiliated = {
        (r["employee_key"], r["contract_reference"])
        for r in read_truth(portfolio, "affiliations")
        if r["status"] != "dispensé"
    }
    absent = [r for r in read_truth(portfolio, "anomalies") if r["code"] == "AFF002"]
    assert absent
    assert [
        r for r in absent if (r["employee_key"], r["contract_reference"]) not in affiliated
    ] == []


def test_a_paid_in_full_payment_is_allocated_whole(portfolio: Path) -> None:
    """Only an overpayment leaves unallocated credit in the truth: a payment of what was
    declared pays what was declared, an unknown population (AFF004) included."""
    unallocated = [
        r
        for r in read_truth(portfolio, "bank_allocations")
        if not r["contract_reference"] and r["scenario"] != "trop_percu"
    ]
    assert unallocated == []


def test_the_key_is_the_nir_declared_in_the_last_declared_month() -> None:
    from synthetic.portfolio import NTT_KEY_PREFIX, Employee

    employee = Employee(
        serial=1,
        establishment=0,
        fraction=1,
        matricule="M1",
        sex=1,
        birth=date(1980, 5, 1),
        last_name="MARTIN",
        first_names="Paul",
        nir="1800575001001",
        birth_department="75",
        category="04",
        pcs="546a",
        job="Agent",
        contract_start=date(2020, 1, 1),
        contract_number="C1",
        nature="01",
        planned_end=None,
        gross=Decimal("2500"),
        sante_option="BASE",
        wrong_nir="1800575001002",
        nir_fixed_on=date(2025, 6, 10),
    )
    # last declared in May: his DSNs only ever carried the wrong NIR
    assert employee.key(date(2025, 5, 1)) == "1800575001002"
    assert employee.key(date(2025, 6, 1)) == "1800575001001"
    newcomer = Employee(**{**employee.__dict__, "wrong_nir": None, "nir_fixed_on": None})
    newcomer.ntt, newcomer.nir_from = "NTT12345678900001", date(2025, 4, 1)
    assert newcomer.key(date(2025, 3, 1)) == NTT_KEY_PREFIX + "NTT12345678900001"
    assert newcomer.key(date(2025, 4, 1)) == "1800575001001"
