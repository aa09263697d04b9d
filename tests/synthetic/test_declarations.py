"""Block contents for the identity situations rare in a small portfolio, on one drawn company."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts.parameters import Cover
from synthetic.calendar import add_months
from synthetic.contracts import contribution, population_for
from synthetic.declarations import MONTHLY, SIGNALEMENT_ARRET, DeclarationBuilder
from synthetic.faults import EmployeeFault
from synthetic.portfolio import Company, Portfolio, SerialCounter, draw_company

PORTFOLIO = Portfolio(seed=3, start=date(2025, 1, 1), months=12, fault_rate=0.0)


def company() -> Company:
    return draw_company(PORTFOLIO, 0, 30, SerialCounter())


def test_nir_fix_is_declared_with_s21g0031_unless_faulty() -> None:
    firm = company()
    employee = firm.employees[0]
    employee.wrong_nir, employee.nir_fixed_on = employee.nir[:-1] + "9", date(2025, 5, 12)
    builder = DeclarationBuilder(firm)
    before = dict(builder.identity(employee, date(2025, 4, 1), MONTHLY))
    fixed = builder.identity(employee, date(2025, 5, 1), MONTHLY)
    assert before["S21.G00.30.001"] == employee.wrong_nir
    assert ("S21.G00.30.001", employee.nir) in fixed
    assert ("S21.G00.31.008", employee.wrong_nir) in fixed
    assert ("S21.G00.31.001", "12052025") in fixed
    employee.faults[EmployeeFault.NIR_CHANGE_WITHOUT_31] = True
    faulty = builder.identity(employee, date(2025, 5, 1), MONTHLY)
    assert ("S21.G00.30.001", employee.nir) in faulty
    assert not any(rubric.startswith("S21.G00.31") for rubric, _ in faulty)


def test_ntt_until_the_nir_is_known_then_both_once() -> None:
    firm = company()
    employee = firm.employees[0]
    employee.ntt, employee.nir_from = "NTT12345678900001", date(2025, 3, 1)
    builder = DeclarationBuilder(firm)
    early = dict(builder.identity(employee, date(2025, 2, 1), MONTHLY))
    switch = dict(builder.identity(employee, date(2025, 3, 1), MONTHLY))
    later = dict(builder.identity(employee, date(2025, 4, 1), MONTHLY))
    assert "S21.G00.30.001" not in early and early["S21.G00.30.020"] == employee.ntt
    assert switch["S21.G00.30.001"] == employee.nir and switch["S21.G00.30.020"] == employee.ntt
    assert "S21.G00.30.020" not in later


def test_signalement_blocks_carry_no_forbidden_rubric() -> None:
    firm = company()
    builder = DeclarationBuilder(firm)
    employee = firm.employees[0]
    identity = dict(builder.identity(employee, date(2025, 2, 1), SIGNALEMENT_ARRET))
    # CT2025.1 usages: sex, addresses and birth place are forbidden in a signalement arrêt.
    assert not {"S21.G00.30.005", "S21.G00.30.008", "S21.G00.30.013"} & identity.keys()
    header = dict(
        builder.declaration_header(
            SIGNALEMENT_ARRET, "01", fraction="11", order="7", built=date(2025, 2, 3)
        )
    )
    assert "S20.G00.05.005" not in header and "S20.G00.05.008" not in header


def test_contribution_is_rate_times_base_rounded_half_up() -> None:
    firm = company()
    provident = next((c for c in firm.contracts if c.cover is Cover.PREVOYANCE), None)
    sante = firm.contract(Cover.SANTE)[0]
    month = add_months(PORTFOLIO.start, 1)
    gross = Decimal("5000.00")
    health = contribution(sante, "BASE", "ENSPS", gross, month)
    rate = next(
        r
        for r in sante.rates
        if r.option == "BASE"
        and r.effective_from <= month
        and (r.effective_to is None or month <= r.effective_to)
    ).rate_percent
    assert health.amount == (Decimal("3925") * rate / 100).quantize(Decimal("0.01"))
    assert health.components == (("18", Decimal("3925.00")),)
    if provident is not None:
        population = population_for(provident, "01")
        if population is not None:
            cadre = contribution(provident, None, population, gross, month)
            assert dict(cadre.components) == {"11": Decimal("3925.00"), "13": Decimal("1075.00")}


def test_an_employee_known_only_by_an_ntt_is_keyed_as_the_dsn_reader_keys_him() -> None:
    employee = company().employees[0]
    employee.ntt, employee.nir_from = "NTT12345678900001", date(2025, 9, 1)
    assert employee.key(date(2025, 6, 1)) == "NTT:NTT12345678900001"  # dsn_parser.tables
    assert employee.key(date(2025, 12, 1)) == employee.nir
