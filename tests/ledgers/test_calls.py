"""Calls: declared contributions per contract, population and period, the expected amount from
the contract's rates and bases, due dates and the date the portal shows the period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from contracts.parameters import (
    Base,
    ContractParameters,
    Cover,
    DueDateRule,
    LegalRegime,
    Population,
    Rate,
)
from ledgers.calls import build_calls
from ledgers.contract_terms import ContractTerms, RateLine
from ledgers.periods import (
    DayOfFollowingMonth,
    DaysAfterPeriodEnd,
    Period,
    PeriodCodeError,
    Periodicity,
    dsn_deadline,
    period_containing,
    visible_from,
)
from tests.ledgers.ledger_frames import ACME, BETA, contributions, d, terms

Q4 = [date(2023, 10, 1), date(2023, 11, 1), date(2023, 12, 1)]


def _one(calls: pl.DataFrame, **keys: str) -> dict[str, object]:
    rows = calls.filter(*(pl.col(k) == v for k, v in keys.items())).to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def test_quarterly_contract_sums_the_three_months_of_the_quarter() -> None:
    rows = [(ACME, "C1", "CAD", m, "100.10") for m in Q4] + [(ACME, "C1", "NC", Q4[0], "5.05")]
    calls = build_calls(
        contributions(*rows),
        [terms(periodicity=Periodicity.QUARTERLY, rule=DaysAfterPeriodEnd(30))],
    )
    cadres = _one(calls, population="CAD")
    assert cadres["period_code"] == "2023T04"
    assert (cadres["period_start"], cadres["period_end"]) == (date(2023, 10, 1), date(2023, 12, 31))
    assert cadres["declared"] == d("300.30")
    assert (cadres["months_declared"], cadres["months_in_period"]) == (3, 3)
    assert cadres["due_date"] == date(2024, 1, 30)
    # the portal's example: 01/10/2023–31/12/2023 visible from 01/02/2024
    assert cadres["visible_from"] == date(2024, 2, 1)
    assert cadres["call_reference"] == "C1-2023T04"
    assert _one(calls, population="NC")["declared"] == d("5.05")


def test_monthly_contract_makes_one_call_per_month_due_the_15th_of_the_next() -> None:
    calls = build_calls(contributions(*((ACME, "C1", "CAD", m, "10.00") for m in Q4)), [terms()])
    assert calls["period_code"].to_list() == ["2023M10", "2023M11", "2023M12"]
    assert calls["due_date"].to_list() == [
        date(2023, 11, 15),
        date(2023, 12, 15),
        date(2024, 1, 15),
    ]
    assert calls["visible_from"].to_list() == [
        date(2023, 12, 1),
        date(2024, 1, 1),
        date(2024, 2, 1),
    ]


def test_companies_and_contracts_are_kept_apart() -> None:
    rows = [
        (ACME, "C1", "CAD", Q4[0], "1.00"),
        (BETA, "C1", "CAD", Q4[0], "2.00"),
        (ACME, "C2", "CAD", Q4[0], "4.00"),
    ]
    calls = build_calls(contributions(*rows), [terms("C1"), terms("C2")])
    assert sorted(
        zip(calls["siren"], calls["contract_reference"], calls["declared"], strict=True)
    ) == [(ACME, "C1", d("1.00")), (ACME, "C2", d("4.00")), (BETA, "C1", d("2.00"))]


def test_expected_amount_is_rate_times_base_rounded_per_affiliation_and_month() -> None:
    contract = terms(periodicity=Periodicity.QUARTERLY)
    contract = type(contract)(
        **{
            **contract.__dict__,
            "rates": (
                RateLine(None, "CAD", "tranche_a", d("1.50"), date(2020, 1, 1), date(2023, 11, 30)),
                RateLine(None, "CAD", "tranche_a", d("1.545"), date(2023, 12, 1), None),
                RateLine(None, "CAD", "tranche_b", d("1.20"), date(2020, 1, 1), None),
                RateLine("OPT9", "CAD", "pmss", d("9.99"), date(2020, 1, 1), None),  # other option
            ),
        }
    )
    frame = contributions(*((ACME, "C1", "CAD", m, "60.00") for m in Q4)).with_columns(
        pl.lit(Decimal("3666.00"), dtype=pl.Decimal(18, 2)).alias("tranche_a"),
        pl.lit(Decimal("334.00"), dtype=pl.Decimal(18, 2)).alias("tranche_b"),
        pl.lit(Decimal("3666.00"), dtype=pl.Decimal(18, 2)).alias("pmss"),
    )
    call = build_calls(frame, [contract]).to_dicts()[0]
    # Oct, Nov: 3666 × 1.5 % = 54.99, 334 × 1.2 % = 4.008 → 58.998 → 59.00
    # Dec: 3666 × 1.545 % = 56.6397, + 4.008 → 60.6477 → 60.65
    assert call["expected"] == d("178.65")
    assert call["declared"] == d("180.00")
    assert call["gap"] == d("1.35")


def test_each_call_counts_its_employees_and_sums_the_bases_its_months_declare() -> None:
    # Two employees over the quarter, one of them in two months; the tranche B declared in
    # October only; no PMSS base at all: summed, it is unknown, not zero.
    frame = contributions(
        *((ACME, "C1", "CAD", month, "10.00") for month in (Q4[0], Q4[0], Q4[1]))
    ).with_columns(
        pl.Series("employee_key", ["NIR1", "NIR2", "NIR1"]),
        pl.Series("tranche_a", [d("1000.00"), d("2000.00"), d("1500.00")]),
        pl.Series("tranche_b", [d("100.00"), None, None], dtype=pl.Decimal(18, 2)),
    )
    call = build_calls(frame, [terms(periodicity=Periodicity.QUARTERLY)]).to_dicts()[0]
    assert call["employees"] == 2
    assert (call["base_tranche_a"], call["base_tranche_b"]) == (d("4500.00"), d("100.00"))
    assert call["base_pmss"] is None


def test_half_cent_is_rounded_up() -> None:
    contract = terms()
    contract = type(contract)(
        **{
            **contract.__dict__,
            "rates": (RateLine(None, "CAD", "tranche_a", d("0.5"), date(2020, 1, 1), None),),
        }
    )
    frame = contributions((ACME, "C1", "CAD", Q4[0], "0.05")).with_columns(
        pl.lit(Decimal("9.00"), dtype=pl.Decimal(18, 2)).alias("tranche_a")
    )
    assert build_calls(frame, [contract])["expected"].to_list() == [d("0.05")]  # 0.045 → 0.05


def test_expected_is_unknown_when_a_base_the_rate_needs_is_missing() -> None:
    contract = terms()
    contract = type(contract)(
        **{
            **contract.__dict__,
            "rates": (RateLine(None, "CAD", "tranche_b", d("1.2"), date(2020, 1, 1), None),),
        }
    )
    call = build_calls(contributions((ACME, "C1", "CAD", Q4[0], "5.00")), [contract]).to_dicts()[0]
    assert call["expected"] is None and call["gap"] is None
    assert call["declared"] == d("5.00")


def test_unknown_contract_is_called_at_the_periodicity_its_payments_declare() -> None:
    """No parameter file, but the company declares its payments for the quarter (55.004
    `2023T04`): one quarterly call, due the 15th after the quarter, on the payments' period.
    Another company paying the same contract monthly keeps monthly calls."""
    rows = [(ACME, "ZZ", "CAD", m, "10.00") for m in Q4] + [(BETA, "ZZ", "CAD", Q4[0], "4.00")]
    declared = pl.DataFrame(
        {
            "siren": [ACME, ACME, BETA],
            "contract_reference": ["ZZ", "ZZ", "ZZ"],
            "period_code": ["2023T04", "2023T03", "2023M10"],
        }
    )
    calls = build_calls(contributions(*rows), [terms("C1")], declared_payments=declared)
    quarter = _one(calls, siren=ACME)
    assert (quarter["period_code"], quarter["declared"], quarter["months_declared"]) == (
        "2023T04",
        d("30.00"),
        3,
    )
    assert (quarter["due_date"], quarter["contract_known"]) == (date(2024, 1, 15), False)
    assert _one(calls, siren=BETA)["period_code"] == "2023M10"


def test_unknown_contract_is_still_called_monthly_and_flagged() -> None:
    calls = build_calls(contributions((ACME, "ZZ", "CAD", Q4[1], "7.00")), [terms("C1")])
    call = calls.to_dicts()[0]
    assert call["contract_known"] is False
    assert call["period_code"] == "2023M11"
    assert call["organisme_code"] is None
    assert call["due_date"] == date(2023, 12, 15)


@pytest.mark.parametrize(
    ("code", "start", "end"),
    [
        ("2020T04", date(2020, 10, 1), date(2020, 12, 31)),
        ("2024M02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2021S02", date(2021, 7, 1), date(2021, 12, 31)),
        ("2022A00", date(2022, 1, 1), date(2022, 12, 31)),
    ],
)
def test_dsn_period_codes(code: str, start: date, end: date) -> None:
    period = Period.from_code(code)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("code", ["2020T05", "2020M13", "2020X01", "20T01", "", "2020M00"])
def test_invalid_period_codes_are_refused(code: str) -> None:
    with pytest.raises(PeriodCodeError, match="Code de période invalide"):
        Period.from_code(code)


def test_period_arithmetic() -> None:
    q = period_containing(date(2024, 2, 10), Periodicity.QUARTERLY)
    assert (q.code, q.months) == ("2024T01", [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)])
    assert q.label == "du 01/01/2024 au 31/03/2024"
    assert DayOfFollowingMonth(None).due_date(q) == date(2024, 4, 30)
    assert DayOfFollowingMonth(31).due_date(
        period_containing(date(2024, 1, 1), Periodicity.MONTHLY)
    ) == date(2024, 2, 29)
    assert DaysAfterPeriodEnd(10).due_date(q) == date(2024, 4, 10)
    assert dsn_deadline(date(2023, 12, 1), filing_day=5) == date(2024, 1, 5)
    assert visible_from(Period.from_code("2023T04"), filing_day=5) == date(2024, 2, 1)


def test_contribution_without_contract_is_still_called_visibly() -> None:
    frame = contributions((ACME, "C1", "CAD", Q4[0], "3.00")).with_columns(
        pl.lit(None, dtype=pl.String).alias("contract_reference")
    )
    [call] = build_calls(frame, [terms()]).to_dicts()
    assert (call["contract_reference"], call["contract_known"], call["declared"]) == (
        "",
        False,
        d("3.00"),
    )
    assert call["call_id"] == f"{ACME}||CAD|2023M10"
    assert call["due_date"] == date(2023, 11, 15)


def test_contract_parameter_file_gives_the_terms_the_calls_use() -> None:
    parameters = ContractParameters(
        contract_reference="000007/P123",
        organisme_code="P0942",
        legal_regime=LegalRegime.INSTITUTION_PREVOYANCE,
        cover=Cover.PREVOYANCE,
        siren=ACME,
        company_name="ACME",
        effective_from=date(2020, 1, 1),
        options=[],
        populations=[Population(code="CADPR", label="Cadres", categories=["01"])],
        rates=[
            Rate(
                option=None,
                population="CADPR",
                base=Base.TRANCHE_A,
                rate_percent=d("1.50"),
                effective_from=date(2020, 1, 1),
            ),
        ],
        payment_periodicity=Periodicity.QUARTERLY,
        due_date_rule=DueDateRule(days_after_period_end=15),
    )
    contract = ContractTerms.from_parameters(
        ContractParameters.model_validate_json(parameters.model_dump_json())
    )
    assert (contract.periodicity, contract.legal_regime) == (
        Periodicity.QUARTERLY,
        LegalRegime.INSTITUTION_PREVOYANCE,
    )
    frame = contributions(*((ACME, "000007/P123", "CADPR", m, "55.00") for m in Q4)).with_columns(
        pl.lit(Decimal("3666.00"), dtype=pl.Decimal(18, 2)).alias("tranche_a")
    )
    [call] = build_calls(frame, [contract]).to_dicts()
    assert (call["period_code"], call["due_date"]) == ("2023T04", date(2024, 1, 15))
    assert (call["expected"], call["gap"]) == (d("164.97"), d("0.03"))  # 3 × 54.99
    assert call["organisme_code"] == "P0942"
