"""Contributions and declared payments of the 27 real (pseudonymised) monthly DSNs, per contract
and quarter, against sums computed independently by walking the raw lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dsn_parser import read as read_dsn
from ledgers.allocation import ALLOCATIONS_SCHEMA
from ledgers.balances import balances_by_period
from ledgers.calls import build_calls
from ledgers.dsn_inputs import contributions_from_dsn, declared_payments_from_dsn
from ledgers.periods import DaysAfterPeriodEnd, Periodicity, period_containing
from tests.ledgers.ledger_frames import terms

SAMPLES = Path(__file__).parents[1] / "fixtures" / "dsn" / "keuwa_dsn-parser_pseudonymized"
CONTRACTS = ("PR-1486", "PR-1486CC", "S-GBASE_BET")


@dataclass
class RawDeclaration:
    """What one file declares, read line by line with no DSN library."""

    month: date
    built: tuple[date, int]
    contributions: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    payments: dict[tuple[str, str], Decimal] = field(default_factory=lambda: defaultdict(Decimal))


def _day(value: str) -> date:
    return date(int(value[4:]), int(value[2:4]), int(value[:2]))


def _walk(path: Path) -> RawDeclaration:
    """Follow the lines in order: 15.005 → contract; 70.012 → 70.013 within an individual;
    a 059 contribution under a base 31 whose 78.005 names the affiliation; 55 components."""
    values: dict[str, str] = {}
    adhesions: dict[str, str] = {}
    affiliations: dict[str, str] = {}
    base_code = base_affiliation = contribution_code = ""
    component: dict[str, str] = {}
    month = built = None
    order = 0
    raw = RawDeclaration(date.min, (date.min, 0))
    for line in path.read_bytes().decode("latin-1").splitlines():
        rubric, value = line[:14], line[line.index(",'") + 2 : line.rindex("'")]
        values[rubric] = value
        if rubric == "S20.G00.05.005":
            month = _day(value)
        elif rubric == "S20.G00.05.004":
            order = int(value)
        elif rubric == "S20.G00.05.007":
            built = _day(value)
        elif rubric == "S21.G00.15.005":
            adhesions[value] = values["S21.G00.15.001"]
        elif rubric == "S21.G00.30.001":
            affiliations = {}
        elif rubric == "S21.G00.70.013":
            affiliations[values["S21.G00.70.012"]] = value
        elif rubric == "S21.G00.78.001":
            base_code, base_affiliation = value, ""
        elif rubric == "S21.G00.78.005":
            base_affiliation = value
        elif rubric == "S21.G00.81.001":
            contribution_code = value
        elif rubric == "S21.G00.81.004" and contribution_code == "059" and base_code == "31":
            contract = adhesions[affiliations[base_affiliation]]
            raw.contributions[contract] += Decimal(value)
        elif rubric.startswith("S21.G00.55."):
            component[rubric] = value
            if rubric == "S21.G00.55.004":
                key = (component["S21.G00.55.003"], value)
                raw.payments[key] += Decimal(component["S21.G00.55.001"])
                component = {}
    assert month is not None and built is not None
    raw.month, raw.built = month, (built, order)
    return raw


@pytest.fixture(scope="module")
def raw_by_month() -> dict[date, RawDeclaration]:
    latest: dict[date, RawDeclaration] = {}
    for path in sorted(SAMPLES.glob("*.dsn")):
        raw = _walk(path)
        if raw.month not in latest or raw.built > latest[raw.month].built:
            latest[raw.month] = raw
    return latest


@pytest.fixture(scope="module")
def parsed() -> list:
    return [f for path in sorted(SAMPLES.glob("*.dsn")) for f in read_dsn(path)]


def test_the_samples_are_27_monthly_files_over_26_months(raw_by_month) -> None:
    assert len(list(SAMPLES.glob("*.dsn"))) == 27
    assert len(raw_by_month) == 26  # June 2019 is declared twice: the later file counts


def test_contributions_per_contract_and_quarter_match_the_raw_lines(parsed, raw_by_month) -> None:
    contracts = [
        terms(ref, periodicity=Periodicity.QUARTERLY, rule=DaysAfterPeriodEnd(30))
        for ref in CONTRACTS
    ]
    calls = build_calls(contributions_from_dsn(parsed), contracts)
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for raw in raw_by_month.values():
        quarter = period_containing(raw.month, Periodicity.QUARTERLY).code
        for contract, amount in raw.contributions.items():
            expected[(contract, quarter)] += amount
    ours = calls.group_by("contract_reference", "period_code").agg(pl.col("declared").sum())
    assert {
        (r["contract_reference"], r["period_code"]): r["declared"] for r in ours.to_dicts()
    } == (dict(expected))
    assert set(calls["contract_reference"]) == set(CONTRACTS)
    assert calls.height >= 10  # a real ledger, not an empty comparison

    # what the portal shows per contract and quarter: contributions and declared payments
    declared_payments = declared_payments_from_dsn(parsed)
    table = balances_by_period(
        calls, pl.DataFrame(schema=ALLOCATIONS_SCHEMA), declared_payments=declared_payments
    ).select("contract_reference", "period_code", "declared", "declared_paid", "due_date")
    print(table)
    keys = ["contract_reference", "period_code"]
    called = set(calls.select(keys).iter_rows())
    paid = set(declared_payments.select(keys).iter_rows())
    assert set(table.select(keys).iter_rows()) == called | paid and table.height == len(
        called | paid
    )
    # the 2019 quarters paid without any 059 show, owing nothing, with no due date
    only_paid = table.filter(
        pl.struct(keys).is_in([dict(zip(keys, k, strict=True)) for k in paid - called])
    )
    assert only_paid.height == len(paid - called) > 0
    assert only_paid["declared"].sum() == 0 and only_paid["due_date"].null_count() == len(
        paid - called
    )


def test_declared_payments_per_contract_and_period_match_the_raw_lines(
    parsed, raw_by_month
) -> None:
    expected: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for raw in raw_by_month.values():
        for key, amount in raw.payments.items():
            expected[key] += amount
    declared = declared_payments_from_dsn(parsed)
    ours = declared.group_by("contract_reference", "period_code").agg(pl.col("amount").sum())
    assert {(r["contract_reference"], r["period_code"]): r["amount"] for r in ours.to_dicts()} == (
        dict(expected)
    )
    # 20.005 is the sum of its 55.001 components
    totals = declared.group_by("declared_payment_id").agg(
        pl.col("payment_total").first(), pl.col("amount").sum()
    )
    assert (totals["payment_total"] == totals["amount"]).all()
    assert set(declared["organisme_code"]) == {"P1020"}
