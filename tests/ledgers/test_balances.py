"""Balances per call, period and company, and the identities the quality gates rely on."""

from __future__ import annotations

from datetime import date

import polars as pl

from ledgers.balances import (
    balances_by_call,
    balances_by_company,
    balances_by_period,
    bank_identity_breaks,
    company_identity_breaks,
)
from ledgers.calls import build_calls
from ledgers.dunning import dunning_state
from ledgers.periods import Periodicity
from tests.ledgers.ledger_frames import (
    ACME,
    ACME_IBAN,
    BETA,
    allocate,
    contributions,
    d,
    declared_payments,
    movement,
    movements,
    terms,
)

OCT, NOV, DEC = date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1)


def _ledger():
    rows = [
        (ACME, "C1", pop, m, amount)
        for m in (OCT, NOV, DEC)
        for pop, amount in (("CAD", "100.00"), ("NC", "50.00"))
    ]
    rows += [(ACME, "C1", "CAD", date(2024, 1, 1), "100.00")]
    calls = build_calls(contributions(*rows), [terms(periodicity=Periodicity.QUARTERLY)])
    declared = declared_payments(
        ("DP4", ACME, ACME_IBAN, "450.00", "C1", "2023T04", "450.00"),
    )
    bank = movements(
        movement("q4", "400.00", date(2024, 1, 10), remittance_lines=["C1-2023T04"]),
        movement("q1", "120.00", date(2024, 4, 10), remittance_lines=["C1-2024T01"]),
        movement("zz", "9.99", date(2024, 4, 10)),
    )
    return calls, declared, allocate(calls, bank, declared_payments=declared)


def test_balance_per_call_period_and_company() -> None:
    calls, declared, result = _ledger()
    by_call = {r["call_id"]: r for r in balances_by_call(calls, result.allocations).to_dicts()}
    cadres_q4 = by_call[f"{ACME}|C1|CAD|2023T04"]
    assert (cadres_q4["declared"], cadres_q4["paid"], cadres_q4["balance"]) == (
        d("300.00"),
        d("300.00"),
        d("0.00"),
    )
    non_cadres_q4 = by_call[f"{ACME}|C1|NC|2023T04"]
    assert (non_cadres_q4["paid"], non_cadres_q4["balance"]) == (d("100.00"), d("50.00"))

    [q4, q1] = balances_by_period(calls, result.allocations, declared_payments=declared).to_dicts()
    assert (q4["period_code"], q4["declared"], q4["paid"], q4["balance"], q4["declared_paid"]) == (
        "2023T04",
        d("450.00"),
        d("400.00"),
        d("50.00"),
        d("450.00"),
    )
    assert (q1["declared"], q1["paid"], q1["balance"], q1["declared_paid"]) == (
        d("100.00"),
        d("100.00"),
        d("0.00"),
        d("0.00"),
    )

    companies = {r["siren"]: r for r in balances_by_company(calls, result.allocations).to_dicts()}
    acme = companies[ACME]
    assert (acme["due"], acme["paid"], acme["balance"]) == (d("550.00"), d("500.00"), d("50.00"))
    assert (acme["unallocated_credit"], acme["net_position"]) == (d("20.00"), d("30.00"))
    suspense = companies[None]
    assert (suspense["due"], suspense["unallocated_credit"]) == (d("0.00"), d("9.99"))


def test_balance_as_of_a_date_counts_only_payments_made_by_then() -> None:
    calls, _, result = _ledger()
    acme = balances_by_company(calls, result.allocations, as_of=date(2024, 3, 31)).row(
        0, named=True
    )
    assert (acme["siren"], acme["paid"], acme["balance"]) == (ACME, d("400.00"), d("150.00"))
    periods = balances_by_period(calls, result.allocations, as_of=date(2024, 3, 31))
    # 2023T04 is shown from 01/02/2024; 2024T01 only from 01/05/2024
    assert periods.select("period_code", "visible", "paid").rows() == [
        ("2023T04", True, d("400.00")),
        ("2024T01", False, d("0.00")),
    ]


def test_identities_hold_and_breaks_are_reported() -> None:
    calls, _, result = _ledger()
    companies = balances_by_company(calls, result.allocations)
    assert company_identity_breaks(calls, result.allocations, companies).is_empty()
    assert bank_identity_breaks(result.movements, result.allocations).is_empty()

    tampered = companies.with_columns(
        pl.when(pl.col("siren") == ACME)
        .then(pl.col("balance") + 1)
        .otherwise("balance")
        .cast(pl.Decimal(18, 2))
        .alias("balance")
    )
    [broken] = company_identity_breaks(calls, result.allocations, tampered).to_dicts()
    assert (broken["siren"], broken["gap"]) == (ACME, d("-1.00"))

    lost_row = result.allocations.filter(pl.col("movement_id") != "zz")
    [missing] = bank_identity_breaks(result.movements, lost_row).to_dicts()
    assert (missing["movement_id"], missing["gap"]) == ("zz", d("9.99"))


def test_a_company_with_calls_and_no_payment_owes_everything() -> None:
    calls = build_calls(contributions((BETA, "C9", "X", OCT, "12.00")), [terms("C9", BETA)])
    result = allocate(calls, movements())
    [beta] = balances_by_company(calls, result.allocations).to_dicts()
    assert (beta["siren"], beta["balance"], beta["net_position"]) == (BETA, d("12.00"), d("12.00"))


def test_every_table_of_a_ledger_is_consistent() -> None:
    rows = [(ACME, "C1", "CAD", m, "100.00") for m in (OCT, NOV, DEC)]
    bank = movements(
        movement("m1", "100.00", date(2023, 11, 10), debtor_iban=ACME_IBAN),
        movement("m2", "100.00", date(2023, 12, 11), debtor_iban=ACME_IBAN),
    )
    declared = declared_payments(
        ("D10", ACME, ACME_IBAN, "100.00", "C1", "2023M10", "100.00"),
        ("D11", ACME, ACME_IBAN, "100.00", "C1", "2023M11", "100.00"),
    )
    calls = build_calls(contributions(*rows), [terms()], declared_payments=declared)
    result = allocate(calls, bank, declared_payments=declared)
    by_company = balances_by_company(calls, result.allocations)
    assert company_identity_breaks(calls, result.allocations, by_company).is_empty()
    assert bank_identity_breaks(result.movements, result.allocations).is_empty()
    [acme] = by_company.to_dicts()
    assert (acme["due"], acme["paid"], acme["balance"]) == (d("300.00"), d("200.00"), d("100.00"))
    dunning = dunning_state(calls, result.allocations, [terms()], date(2024, 2, 1))
    overdue = dunning.filter(pl.col("outstanding") > 0).to_dicts()
    assert [(r["period_code"], r["stage"]) for r in overdue] == [("2023M12", "mise_en_demeure")]
    by_period = balances_by_period(calls, result.allocations, declared_payments=declared)
    assert by_period["declared_paid"].to_list() == [d("100.00"), d("100.00"), d("0.00")]


def test_a_period_paid_without_any_contribution_still_shows_owing_nothing() -> None:
    calls, declared, result = _ledger()
    # the DSN of 2023 also declares a payment for a quarter that declared no 059
    declared = pl.concat(
        [declared, declared_payments(("DP3", ACME, ACME_IBAN, "75.00", "C1", "2023T03", "75.00"))]
    )
    periods = balances_by_period(calls, result.allocations, declared_payments=declared)
    row = periods.filter(pl.col("period_code") == "2023T03").to_dicts()
    assert len(row) == 1
    assert (row[0]["declared"], row[0]["paid"], row[0]["balance"]) == (d("0"), d("0"), d("0"))
    assert row[0]["declared_paid"] == d("75.00") and row[0]["due_date"] is None
    assert (row[0]["period_start"], row[0]["period_end"]) == (date(2023, 7, 1), date(2023, 9, 30))
    assert periods["period_code"].to_list() == ["2023T03", "2023T04", "2024T01"]
