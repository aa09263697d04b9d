"""Dunning stages by legal regime and date, and late fees."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.parameters import LegalRegime
from ledgers.contract_terms import LateFeeRule
from ledgers.dunning import DEFAULT_SCHEDULES, DunningSchedule, Stage, dunning_state
from tests.ledgers.ledger_frames import (
    allocate,
    d,
    monthly_calls,
    movement,
    movements,
    terms,
)

JAN = date(2024, 1, 1)  # due 15/02/2024 (15th of the next month)
DUE = date(2024, 2, 15)


def _state(as_of: date, bank=None, **contract):
    calls = monthly_calls({JAN: "1000.00"})
    result = allocate(calls, bank if bank is not None else movements())
    return dunning_state(calls, result.allocations, [terms(**contract)], as_of).row(0, named=True)


@pytest.mark.parametrize(
    ("as_of", "stage"),
    [
        (date(2024, 2, 15), Stage.NOT_DUE),
        (date(2024, 2, 16), Stage.LATE),
        (date(2024, 2, 20), Stage.REMINDER),  # due + 5
        (date(2024, 2, 25), Stage.FORMAL_NOTICE),  # due + 10 (L.113-3)
        (date(2024, 3, 26), Stage.SUSPENDED),  # notice + 30
        (date(2024, 4, 5), Stage.TERMINABLE),  # suspension + 10
    ],
)
def test_insurance_company_stages(as_of: date, stage: Stage) -> None:
    state = _state(as_of, regime=LegalRegime.ENTREPRISE_ASSURANCE)
    assert state["stage"] == stage
    assert state["outstanding"] == d("1000.00")


def test_dates_of_an_overdue_call() -> None:
    state = _state(date(2024, 3, 1))
    assert state["days_overdue"] == 15
    assert (state["notice_date"], state["suspension_date"], state["termination_date"]) == (
        date(2024, 2, 25),
        date(2024, 3, 26),
        date(2024, 4, 5),
    )
    assert state["stage_label"] == "Mise en demeure"


def test_day_counts_are_configured_per_regime() -> None:
    calls = monthly_calls({JAN: "1000.00"})
    result = allocate(calls, movements())
    contract = terms(regime=LegalRegime.MUTUELLE)
    slower = {**DEFAULT_SCHEDULES, LegalRegime.MUTUELLE: DunningSchedule(15, 20, 40, 10)}
    as_of = date(2024, 3, 28)
    default = dunning_state(calls, result.allocations, [contract], as_of).row(0, named=True)
    custom = dunning_state(calls, result.allocations, [contract], as_of, schedules=slower)
    assert (default["legal_regime"], default["stage"]) == ("mutuelle", Stage.SUSPENDED)
    mutuelle = custom.row(0, named=True)
    assert mutuelle["stage"] == Stage.FORMAL_NOTICE
    assert (mutuelle["notice_date"], mutuelle["suspension_date"]) == (
        date(2024, 3, 6),
        date(2024, 4, 15),
    )
    # another regime keeps its own counts
    insurer = terms(regime=LegalRegime.ENTREPRISE_ASSURANCE)
    other = dunning_state(calls, result.allocations, [insurer], as_of, schedules=slower)
    assert other.row(0, named=True)["stage"] == Stage.SUSPENDED


def test_payment_settles_and_a_return_reopens() -> None:
    paid = movements(movement("m1", "1000.00", date(2024, 2, 14), remittance_lines=["C1-2024M01"]))
    assert _state(date(2024, 4, 30), paid)["stage"] == Stage.SETTLED
    returned = movements(
        movement(
            "m1", "1000.00", date(2024, 2, 14), remittance_lines=["C1-2024M01"], end_to_end_id="E1"
        ),
        movement("r1", "-1000.00", date(2024, 2, 24), end_to_end_id="E1"),
    )
    assert _state(date(2024, 2, 20), returned)["stage"] == Stage.SETTLED
    state = _state(date(2024, 3, 1), returned)
    assert (state["stage"], state["outstanding"]) == (Stage.FORMAL_NOTICE, d("1000.00"))


def test_late_fee_accrues_on_what_is_owed_each_day_plus_a_flat_fee_after_notice() -> None:
    fee = LateFeeRule(annual_rate_percent=d("10"), flat_amount=d("15.00"))
    # 1000 owed 10 days (15/02 → 25/02), then 400 owed 63 days (25/02 → 28/04)
    # interest = (1000 × 10 + 400 × 63) × 10 % / 365 = 35200 × 0.1 / 365 = 9.6438 → 9.64
    bank = movements(movement("p", "600.00", date(2024, 2, 25), remittance_lines=["C1-2024M01"]))
    state = _state(date(2024, 4, 28), bank, late_fee=fee)
    assert state["late_fee"] == d("24.64")
    before_notice = _state(date(2024, 2, 24), bank, late_fee=fee)
    assert before_notice["late_fee"] == d("2.47")  # 1000 × 9 days × 10 % / 365 = 2.4657
    assert _state(date(2024, 4, 28), bank)["late_fee"] == d("0.00")  # contract without fees


def test_a_call_paid_by_its_due_date_owes_no_fee_until_its_payment_is_returned() -> None:
    fee = LateFeeRule(annual_rate_percent=d("10"), flat_amount=d("15.00"))
    paid = movements(movement("m1", "1000.00", date(2024, 2, 14), remittance_lines=["C1-2024M01"]))
    assert _state(date(2024, 4, 28), paid, late_fee=fee)["late_fee"] == d("0.00")
    returned = movements(
        movement(
            "m1", "1000.00", date(2024, 2, 14), remittance_lines=["C1-2024M01"], end_to_end_id="E1"
        ),
        movement("r1", "-1000.00", date(2024, 2, 24), end_to_end_id="E1"),
    )
    # 1000 owed again from the return (24/02) to 28/04: 64 days × 10 % / 365 = 17.53, and
    # still unpaid on the notice date (25/02): + 15.00
    assert _state(date(2024, 4, 28), returned, late_fee=fee)["late_fee"] == d("32.53")


def test_a_contract_without_parameters_stops_at_the_information_stage() -> None:
    """Its due date is a guess and its terms unknown: late, never reminded, noticed, suspended
    or terminated, and no late fee."""
    calls = monthly_calls({JAN: "1000.00"})
    result = allocate(calls, movements())
    state = dunning_state(calls, result.allocations, [], date(2024, 4, 30)).row(0, named=True)
    assert (state["stage"], state["provisional"], state["outstanding"]) == (
        Stage.LATE,
        True,
        d("1000.00"),
    )
    assert (state["reminder_date"], state["notice_date"], state["termination_date"]) == (
        None,
        None,
        None,
    )
    assert state["late_fee"] == d("0.00")
    assert _state(date(2024, 4, 30))["provisional"] is False
