"""Faults: the situations an insurer meets, injected at a configurable rate.

Employee faults change what payroll declares (and each one is an expected anomaly or signal in
the truth); file faults deliver a corrupted copy of a file before the good one, as a failed
transfer followed by a re-delivery would.
"""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal
from enum import StrEnum

from contracts.parameters import Cover
from synthetic.calendar import add_months, days, month_end, month_of
from synthetic.contracts import population_for
from synthetic.portfolio import Company, Employee, Portfolio, Stoppage


class EmployeeFault(StrEnum):
    MISSING_AFFILIATION = "missing_affiliation"
    ABSENT_WITHOUT_END = "absent_from"
    UNKNOWN_CONTRACT = "unknown_contract"
    UNKNOWN_OPTION = "unknown_option"
    UNKNOWN_POPULATION = "unknown_population"
    NTT_WITHOUT_NIR = "never_nir"
    NIR_CHANGE_WITHOUT_31 = "nir_change_without_31"
    SECOND_ESTABLISHMENT = "second_establishment"
    DECLARED_AFTER_END = "declared_after_end"
    DEPENDANT_MISMATCH = "dependant_mismatch"
    END_BEFORE_START = "end_before_start"
    OFF_RATE = "off_rate"
    EXEMPTED_BUT_DECLARED = "exempted_but_declared"
    RADIATED_BUT_DECLARED = "radiated_but_declared"
    SIGNALEMENT_ONLY = "signalement_only"
    RETURN_WITHOUT_STOPPAGE = "return_without_stoppage"
    OVERLAPPING_STOPPAGE = "overlapping_stoppage"


class FileCorruption(StrEnum):
    TRUNCATED = "tronque"
    WRONG_ENCODING = "encodage_errone"
    WRONG_S90_COUNT = "total_s90_faux"
    GARBAGE = "illisible"


def _declared_months(employee: Employee, portfolio: Portfolio) -> list[date]:
    return [m for m in portfolio.month_list if employee.employed_in(m)]


def applicable_faults(
    company: Company, employee: Employee, portfolio: Portfolio
) -> list[EmployeeFault]:
    """The faults that make sense for this employee (each must leave a visible trace)."""
    months = _declared_months(employee, portfolio)
    if len(months) < 2:
        return []
    last_month = portfolio.month_list[-1]
    if employee.wrong_nir is not None:
        # Its only fault can be the NIR change itself: before the change its files show another
        # NIR that nothing links to it (that is what AFF007 is about).
        return [EmployeeFault.NIR_CHANGE_WITHOUT_31]
    faults = [
        EmployeeFault.UNKNOWN_CONTRACT,
        EmployeeFault.OFF_RATE,
        EmployeeFault.OVERLAPPING_STOPPAGE,
        EmployeeFault.RETURN_WITHOUT_STOPPAGE,
    ]
    if not employee.sante_dispensed:
        faults += [
            EmployeeFault.MISSING_AFFILIATION,
            EmployeeFault.UNKNOWN_OPTION,
            EmployeeFault.RADIATED_BUT_DECLARED,
            *([EmployeeFault.END_BEFORE_START] if _restated_months(employee, months) else []),
            EmployeeFault.EXEMPTED_BUT_DECLARED,
        ]
        if employee.dependants:
            faults.append(EmployeeFault.DEPENDANT_MISMATCH)
    # AFF002 is about an affiliated employee (its truth names his santé affiliation): not one
    # exempted from santé.
    if (
        not employee.sante_dispensed
        and employee.end is None
        and len(months) >= 3
        and not any(s.cancelled for s in employee.stoppages)
    ):
        faults.append(EmployeeFault.ABSENT_WITHOUT_END)
    if employee.end is not None and month_of(employee.end.day) < last_month:
        faults.append(EmployeeFault.DECLARED_AFTER_END)
    if any(population_for(c, employee.category) for c in company.contract(Cover.PREVOYANCE)):
        faults.append(EmployeeFault.UNKNOWN_POPULATION)
    if employee.ntt is not None and len(months) >= 6:
        faults.append(EmployeeFault.NTT_WITHOUT_NIR)
    if len(company.establishments) > 1:
        faults.append(EmployeeFault.SECOND_ESTABLISHMENT)
    if any(
        s.signalements and not s.cancelled and s.first_day_off >= portfolio.start
        for s in employee.stoppages
    ):
        faults.append(EmployeeFault.SIGNALEMENT_ONLY)
    return faults


def inject_employee_faults(
    rng: random.Random, company: Company, portfolio: Portfolio, rate: float
) -> None:
    for employee in company.employees:
        if rng.random() >= rate:
            continue
        choices = applicable_faults(company, employee, portfolio)
        if choices:
            _apply(rng, company, employee, portfolio, rng.choice(choices))


def _apply(
    rng: random.Random, company: Company, employee: Employee, portfolio: Portfolio, fault: str
) -> None:
    months = _declared_months(employee, portfolio)
    faults = employee.faults
    sante = company.contract(Cover.SANTE)[0]
    match fault:
        case EmployeeFault.MISSING_AFFILIATION:
            faults[fault] = sante.contract_reference
        case EmployeeFault.ABSENT_WITHOUT_END:
            faults[fault] = rng.choice(months[1:-1])
        case EmployeeFault.UNKNOWN_CONTRACT:
            faults[fault] = f"{company.index + 1:06d}/X{rng.randrange(10, 99)}"
        case EmployeeFault.UNKNOWN_OPTION | EmployeeFault.DEPENDANT_MISMATCH:
            faults[fault] = True
        case EmployeeFault.UNKNOWN_POPULATION:
            covering = [
                c
                for c in company.contract(Cover.PREVOYANCE)
                if population_for(c, employee.category)
            ]
            faults[fault] = covering[0].contract_reference
        case EmployeeFault.NTT_WITHOUT_NIR:
            assert employee.nir_from is not None
            employee.nir_from = add_months(
                month_of(employee.contract_start), rng.choice([5, 6, 24])
            )
            faults[fault] = True
        case EmployeeFault.NIR_CHANGE_WITHOUT_31 | EmployeeFault.DECLARED_AFTER_END:
            faults[fault] = True
        case EmployeeFault.SECOND_ESTABLISHMENT:
            other = (employee.establishment + 1) % len(company.establishments)
            faults[fault] = (other, rng.choice(months[1:]))
        case EmployeeFault.END_BEFORE_START:
            faults[fault] = rng.choice(_restated_months(employee, months))
        case EmployeeFault.OFF_RATE:
            affiliated = [
                c
                for c in company.contracts
                if (c.cover is Cover.SANTE and not employee.sante_dispensed)
                or (c.cover is Cover.PREVOYANCE and population_for(c, employee.category))
            ]
            if affiliated:
                contract = rng.choice(affiliated)
                factor = Decimal(rng.choice(["0.90", "0.85", "1.10", "1.20"]))
                faults[fault] = (contract.contract_reference, rng.choice(months), factor)
        case EmployeeFault.EXEMPTED_BUT_DECLARED:
            employee.sante_dispensed = True
            faults[fault] = True
        case EmployeeFault.RADIATED_BUT_DECLARED:
            faults[fault] = rng.choice(months[:-1]).replace(day=rng.randrange(1, 28))
        case EmployeeFault.SIGNALEMENT_ONLY:
            stoppage = next(
                s
                for s in employee.stoppages
                if s.signalements and not s.cancelled and s.first_day_off >= portfolio.start
            )
            stoppage.in_monthly = False
            faults[fault] = True
        case EmployeeFault.RETURN_WITHOUT_STOPPAGE:
            faults[fault] = _unused_day(rng, employee, months)
        case EmployeeFault.OVERLAPPING_STOPPAGE:
            _add_overlap(rng, employee, months, portfolio)


def _restated_months(employee: Employee, months: list[date]) -> list[tuple[date, date]]:
    """(month, next declared month) pairs for end_before_start: the month declares the santé
    affiliation from its 15th, the next one restates it from the 1st and ends it on the 5th of
    that month (`synthetic.declarations.end_before_start_dates`). Never the hiring month, whose
    affiliation starts with the employment contract."""
    hired = month_of(employee.contract_start)
    return [(month, after) for month, after in itertools.pairwise(months) if month > hired]


def _unused_day(rng: random.Random, employee: Employee, months: list[date]) -> date:
    """A return day (for a return declared with no stoppage) outside every real stoppage."""
    for _ in range(50):
        day = months[rng.randrange(len(months))].replace(day=rng.randrange(5, 25))
        if day - days(10) <= employee.contract_start:
            continue
        if all(not _covers(s, day - days(10), day) for s in employee.stoppages):
            return day
    return max(months[0].replace(day=20), employee.contract_start + days(12))


def _covers(stoppage: Stoppage, first: date, last: date) -> bool:
    stoppage_last = (stoppage.return_date - days(1)) if stoppage.return_date else date.max
    return stoppage.first_day_off <= last and first <= stoppage_last


def _add_overlap(
    rng: random.Random, employee: Employee, months: list[date], portfolio: Portfolio
) -> None:
    """A second stoppage (work accident) declared over days an illness already covers."""
    base = next(
        (
            s
            for s in employee.stoppages
            if s.return_date
            and not s.cancelled
            and s.reason != "15"
            and s.first_day_off >= portfolio.start
            and (s.return_date - s.first_day_off).days >= 6
        ),
        None,
    )
    if base is None or base.return_date is None:
        first = max(
            months[rng.randrange(len(months) - 1)].replace(day=3), employee.contract_start + days(2)
        )
        base = Stoppage(
            reason="01",
            last_day_worked=first - days(1),
            planned_ends=[first + days(12)],
            return_date=first + days(13),
        )
        employee.stoppages.append(base)
    assert base.return_date is not None
    last_worked = base.first_day_off + days(1)
    back = min(base.return_date + days(5), month_end(month_of(base.return_date)))
    if back <= last_worked + days(1):
        return
    overlap = Stoppage(
        reason="06", last_day_worked=last_worked, planned_ends=[back - days(1)], return_date=back
    )
    if month_of(overlap.first_day_off) != month_of(back - days(1)):
        overlap.planned_ends = [month_end(month_of(overlap.first_day_off)), back - days(1)]
    employee.stoppages.append(overlap)
    employee.faults[EmployeeFault.OVERLAPPING_STOPPAGE] = True


def corrupt(rng: random.Random, content: bytes, kind: FileCorruption) -> bytes:
    match kind:
        case FileCorruption.TRUNCATED:
            return content[: max(1, int(len(content) * rng.uniform(0.2, 0.9)))]
        case FileCorruption.WRONG_ENCODING:
            return content.decode("latin-1").encode("utf-16")
        case FileCorruption.WRONG_S90_COUNT:
            marker = b"S90.G00.90.001,'"
            at = content.rindex(marker) + len(marker)
            end = content.index(b"'", at)
            wrong = int(content[at:end]) + rng.choice([-7, -1, 1, 12])
            return content[:at] + str(wrong).encode() + content[end:]
        case FileCorruption.GARBAGE:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(200, 2000)))
    raise ValueError(kind)
