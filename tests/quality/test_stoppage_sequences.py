"""Stoppage episodes and signals from hand-written DSN sequences, parsed by dsn_parser.

One employee (NIR 2850575116107, contract C0001 started 01/09/2015, non-cadre) of one
establishment, covered by a provident contract with a 90-day franchise. Each test writes the
monthly DSNs and signalements payroll would send and checks what the claims team would see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import polars as pl

from quality.stoppages.terms import FranchiseMode
from tests.quality.stoppage_cases import (
    APR,
    CONTRACT_REFERENCE,
    FEB,
    ILLNESS,
    JAN,
    JUN,
    MAR,
    MAY,
    TERMS,
    Stoppage,
    file_id,
    monthly,
    prolonged,
    run,
    signalement,
    signals_of,
)


def test_prolongation_over_three_months_is_one_episode_with_its_history() -> None:
    files = [
        monthly(JAN),
        monthly(FEB),
        monthly(MAR, ILLNESS),
        monthly(APR, prolonged(date(2024, 4, 30))),
        monthly(MAY, prolonged(date(2024, 6, 15))),
    ]
    results = run(*files)

    [episode] = results.episodes.iter_rows(named=True)
    assert episode["first_day_off"] == date(2024, 3, 11)
    assert episode["initial_planned_end"] == date(2024, 3, 31)
    assert episode["planned_end"] == date(2024, 6, 15)
    assert [(p["from"], p["to"]) for p in episode["prolongations"]] == [
        (date(2024, 3, 31), date(2024, 4, 30)),
        (date(2024, 4, 30), date(2024, 6, 15)),
    ]
    assert episode["status"] == "prolongé"
    assert signals_of(results, "ARR001") == [date(2024, 3, 11)]
    assert signals_of(results, "ARR002") == [date(2024, 4, 1), date(2024, 5, 1)]
    assert [
        (p["subrogation_start"], p["subrogation_end"]) for p in episode["subrogation_periods"]
    ] == [(date(2024, 3, 11), date(2024, 4, 9))]
    # Subrogation ended on 9 April while the employee was still off.
    assert signals_of(results, "ARR009") == [date(2024, 4, 9)]

    ended = run(*files, monthly(JUN, prolonged(date(2024, 6, 15), returned=date(2024, 6, 16))))
    [episode] = ended.episodes.iter_rows(named=True)
    assert episode["status"] == "terminé"
    assert episode["return_date"] == date(2024, 6, 16)
    assert signals_of(ended, "ARR003") == [date(2024, 6, 16)]


def test_signalement_then_monthly_is_one_episode_first_seen_in_the_signalement() -> None:
    announced = signalement("04", date(2024, 3, 12), ILLNESS)
    results = run(monthly(FEB), announced, monthly(MAR, ILLNESS))

    [episode] = results.episodes.iter_rows(named=True)
    assert episode["first_file"] == file_id(announced)
    assert len(episode["files"]) == 2
    assert episode["announced_by_signalement"] and episode["in_monthly"]
    assert episode["status"] == "en cours"
    assert signals_of(results, "ARR001") == [date(2024, 3, 11)]
    assert signals_of(results, "ARR008") == []


def test_signalement_missing_from_the_next_monthly_is_signalled_once_that_monthly_is_in() -> None:
    announced = signalement("04", date(2024, 3, 12), ILLNESS)

    assert signals_of(run(monthly(FEB), announced), "ARR008") == []
    results = run(monthly(FEB), announced, monthly(MAR))
    assert signals_of(results, "ARR008") == [date(2024, 3, 11)]
    [episode] = results.episodes.iter_rows(named=True)
    assert not episode["in_monthly"]


def test_return_by_signalement_05_ends_the_episode() -> None:
    back = Stoppage("01", ILLNESS.last_day_worked, date(2024, 3, 24), return_date=date(2024, 3, 25))
    results = run(
        signalement("04", date(2024, 3, 12), ILLNESS), signalement("05", date(2024, 3, 26), back)
    )
    [episode] = results.episodes.iter_rows(named=True)
    assert episode["status"] == "terminé"
    assert episode["return_date"] == date(2024, 3, 25)
    assert signals_of(results, "ARR003") == [date(2024, 3, 25)]
    assert signals_of(results, "ARR006") == []


def test_a_monthly_built_after_the_return_signalement_does_not_hide_the_prolongation() -> None:
    march = replace(ILLNESS, planned_end=date(2024, 4, 7))
    back = replace(ILLNESS, planned_end=date(2024, 4, 11), return_date=date(2024, 4, 12))
    results = run(
        signalement("05", date(2024, 4, 13), back),
        monthly(MAR, march, built=date(2024, 4, 15)),  # the March DSN, filed on the 15th
    )
    [episode] = results.episodes.iter_rows(named=True)
    assert (episode["planned_end"], episode["status"]) == (date(2024, 4, 11), "terminé")
    assert signals_of(results, "ARR002") == [date(2024, 4, 8)]


def test_cancellation_99_in_the_next_monthly_cancels_the_episode() -> None:
    returned = replace(ILLNESS, planned_end=date(2024, 3, 20), return_date=date(2024, 3, 21))
    cancelling = Stoppage("99", ILLNESS.last_day_worked, date(2024, 3, 20))
    results = run(monthly(MAR, returned), monthly(APR, cancelling), monthly(MAY))

    [episode] = results.episodes.iter_rows(named=True)
    assert episode["status"] == "annulé"
    assert episode["reason"] == "01"
    assert episode["return_date"] is None  # a stoppage that never was has no return
    # Announced, then cancelled: nothing else follows (no subrogation, no franchise).
    assert results.signals.get_column("code").to_list() == ["ARR001"]
    assert results.claims.is_empty()


def test_return_then_new_stoppage_are_two_episodes_without_overlap() -> None:
    first = Stoppage("01", date(2024, 3, 10), date(2024, 3, 19), return_date=date(2024, 3, 20))
    second = Stoppage("06", date(2024, 4, 4), date(2024, 4, 30))
    results = run(monthly(MAR, first), monthly(APR, second))

    statuses = results.episodes.select("first_day_off", "reason", "status").rows()
    assert statuses == [
        (date(2024, 3, 11), "01", "terminé"),
        (date(2024, 4, 5), "06", "en cours"),
    ]
    assert signals_of(results, "ARR001") == [date(2024, 3, 11), date(2024, 4, 5)]
    assert signals_of(results, "ARR007") == []


def test_overlapping_stoppages_are_signalled_on_the_later_one() -> None:
    illness = Stoppage("01", date(2024, 3, 10), date(2024, 3, 29), return_date=date(2024, 3, 30))
    accident = Stoppage("06", date(2024, 3, 12), date(2024, 4, 1), return_date=date(2024, 4, 2))
    results = run(monthly(MAR, illness, accident), monthly(APR, accident))

    assert len(results.episodes) == 2
    overlap = results.signals.filter(pl.col("code") == "ARR007")
    assert overlap.select("stoppage_first_day", "signal_date").rows() == [
        (date(2024, 3, 13), date(2024, 3, 13))
    ]


def test_continuous_franchise_gives_the_day_allowances_start_and_a_prefilled_claim() -> None:
    announced = signalement("04", date(2024, 3, 12), ILLNESS)
    files = [
        monthly(JAN, gross="3000.00"),
        monthly(FEB, gross="3300.00"),
        announced,
        monthly(MAR, ILLNESS, gross="1500.00"),
        monthly(APR, prolonged(date(2024, 5, 31)), gross="0.00"),
    ]
    # Off from 11 March to 30 April (observation end): 90 days not reached yet.
    assert signals_of(run(*files), "ARR004") == []

    results = run(
        *files,
        monthly(MAY, prolonged(date(2024, 6, 30)), gross="0.00"),
        monthly(JUN, prolonged(date(2024, 7, 31)), gross="0.00"),
    )
    assert signals_of(results, "ARR004") == [date(2024, 6, 9)]
    [claim] = results.claims.iter_rows(named=True)
    assert claim["contract_reference"] == CONTRACT_REFERENCE
    assert claim["allowances_start"] == date(2024, 6, 9)
    assert claim["subrogation_end"] == date(2024, 4, 9)
    # Window of 3 months before March: December (absent), January, February.
    assert claim["reference_months_found"] == 2
    assert claim["reference_salary"] == Decimal("6300.00")
    # 6300 x 12 / 2 / 365 x 80 % = 82.849...
    assert claim["daily_allowance"] == Decimal("82.85")
    assert claim["estimate"] == "estimation"
    assert claim["indemnified_days"] == 22  # 9 to 30 June
    assert claim["allowance_to_date"] == Decimal("1822.70")


def test_cumulated_franchise_counts_earlier_stoppages_of_the_last_twelve_months() -> None:
    january = Stoppage("01", date(2024, 1, 4), date(2024, 1, 24), return_date=date(2024, 1, 25))
    march = Stoppage("01", date(2024, 3, 1), date(2024, 3, 25), return_date=date(2024, 3, 26))
    files = [monthly(JAN, january), monthly(FEB), monthly(MAR, march)]
    continuous = replace(TERMS, franchise_days=30)
    cumulated = replace(continuous, franchise_mode=FranchiseMode.CUMULATED_12_MONTHS)

    # 24 days off in March (2 to 25) alone: a continuous 30-day franchise is not reached.
    assert signals_of(run(*files, terms=[continuous]), "ARR004") == []
    # 20 days in January (5 to 24) + 10 in March (2 to 11): allowances from 12 March.
    assert signals_of(run(*files, terms=[cumulated]), "ARR004") == [date(2024, 3, 12)]


def test_no_provident_contract_means_no_franchise_no_claim_and_no_death_signal() -> None:
    results = run(
        monthly(MAR, ILLNESS),
        monthly(APR, prolonged(date(2024, 7, 31))),
        monthly(MAY, prolonged(date(2024, 7, 31)), end=(date(2024, 6, 20), "066")),
        monthly(JUN, prolonged(date(2024, 7, 31))),
        terms=[],
    )
    assert signals_of(results, "ARR001") == [date(2024, 3, 11)]
    assert signals_of(results, "ARR004") == []
    assert signals_of(results, "ARR011") == []
    assert results.claims.is_empty()
    assert results.signals.get_column("contract_reference").null_count() == len(results.signals)


def test_invalidity_and_death_of_a_covered_employee_are_signalled_once() -> None:
    since = date(2024, 2, 1)
    results = run(
        monthly(FEB, invalidity=("114", since)),
        monthly(MAR, invalidity=("114", since)),
        monthly(APR, invalidity=("114", since), end=(date(2024, 4, 18), "066")),
    )
    assert results.signals.select("code", "signal_date", "detail").rows() == [
        ("ARR010", since, "114"),
        ("ARR011", date(2024, 4, 18), "066"),
    ]
    assert results.events.get_column("event").to_list() == ["invalidité", "décès"]


def test_return_declared_with_no_stoppage() -> None:
    ghost = Stoppage("01", date(2024, 3, 5), date(2024, 3, 14), return_date=date(2024, 3, 15))
    returned = signalement("05", date(2024, 3, 16), ghost)

    assert signals_of(run(monthly(FEB), returned), "ARR006") == []  # March DSN not in yet
    results = run(monthly(FEB), returned, monthly(MAR))
    assert signals_of(results, "ARR006") == [date(2024, 3, 15)]
    assert results.episodes.is_empty()
    # the signal points to no episode (the nightly check refuses signals of unknown episodes)
    assert results.signals.filter(pl.col("code") == "ARR006")["episode_id"].to_list() == [None]


def test_stoppage_longer_than_a_year_calls_for_an_invalidity_review() -> None:
    long_illness = Stoppage("01", date(2023, 1, 9), date(2024, 6, 30))
    results = run(monthly(JAN, long_illness), monthly(FEB, long_illness))
    assert signals_of(results, "ARR005") == [date(2024, 1, 10)]


def test_therapeutic_part_time_periods_are_kept_on_the_episode() -> None:
    part_time = Stoppage(
        "15",
        date(2024, 3, 31),
        date(2024, 5, 15),
        therapeutic=(date(2024, 4, 1), date(2024, 4, 30), "1500.00"),
    )
    may = Stoppage(
        "15",
        date(2024, 3, 31),
        date(2024, 5, 15),
        return_date=date(2024, 5, 16),
        therapeutic=(date(2024, 5, 1), date(2024, 5, 15), "750.00"),
    )
    results = run(monthly(APR, part_time), monthly(MAY, may))
    [episode] = results.episodes.iter_rows(named=True)
    assert [(p["period_start"], p["pay"]) for p in episode["therapeutic_periods"]] == [
        (date(2024, 4, 1), Decimal("1500.00")),
        (date(2024, 5, 1), Decimal("750.00")),
    ]
    # Therapeutic part-time is not counted by the franchise: no claim.
    assert results.claims.is_empty()
