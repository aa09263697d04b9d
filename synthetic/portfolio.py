"""The insurer's portfolio: companies, establishments, contracts, employees and their lives.

Companies are drawn one at a time from their own random source (seeded by the portfolio seed
and the company's index), so a company can be generated, written and forgotten before the next
one: memory is bounded by the largest company, not by the portfolio.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts.parameters import (
    AccountPurpose,
    CollectionAccount,
    ContractParameters,
    Cover,
    SepaMandate,
)
from synthetic import identifiers, names
from synthetic.accounts import accounts, mandate_id
from synthetic.calendar import add_months, days, month_end, month_of
from synthetic.contracts import draw_contracts, with_terms

# End reasons (S21.G00.62.002) with their weights; 066 is death.
# The DSN reader keys an employee without NIR by "NTT:" + his NTT (dsn_parser.tables); the truth
# spells its keys the same way so they join with the reader's tables.
NTT_KEY_PREFIX = "NTT:"

END_REASONS = (
    ("059", 30),
    ("043", 16),
    ("020", 10),
    ("014", 5),
    ("087", 3),
    ("039", 6),
    ("034", 4),
    ("035", 4),
    ("066", 2),
    ("091", 2),
)
STOPPAGE_REASONS = (("01", 82), ("06", 8), ("04", 4), ("05", 2))
THERAPEUTIC_PART_TIME_RETURN = "02"  # S21.G00.60.011, motif de la reprise


@dataclass(frozen=True)
class Portfolio:
    """The portfolio-wide settings every company is drawn with."""

    seed: int
    start: date  # first declared month
    months: int
    fault_rate: float

    @property
    def month_list(self) -> list[date]:
        return [add_months(self.start, k) for k in range(self.months)]

    @property
    def window_end(self) -> date:
        return month_end(add_months(self.start, self.months - 1))

    @property
    def as_of(self) -> date:
        """The day the expected statuses are stated for: when the last month's DSNs are in."""
        return add_months(self.start, self.months).replace(day=20)


@dataclass
class Dependant:
    kind: str  # S21.G00.73.003: 01 adult, 02 child, 03 other
    birth: date
    last_name: str
    first_name: str
    nir: str | None
    since: date  # covered from this day


@dataclass
class Stoppage:
    reason: str  # S21.G00.60.001
    last_day_worked: date
    planned_ends: list[date]  # the planned end as declared month after month (prolongations)
    return_date: date | None  # first day back at work; None: still off at the window end
    return_reason: str = "01"  # S21.G00.60.011: 01 normal, THERAPEUTIC_PART_TIME_RETURN
    cancelled: bool = False  # declared, then cancelled (99) in the next monthly DSN
    subrogation_end: date | None = None  # employer paid instead of social security until then
    signalements: bool = False  # payroll sent nature 04 (start) and 05 (return) files
    therapeutic_pay: Decimal | None = None  # reasons 15-18: pay of each S21.G00.66 period
    in_monthly: bool = True  # False: announced by a signalement only (a fault)

    @property
    def first_day_off(self) -> date:
        return self.last_day_worked + days(1)

    def planned_end_in(self, months_since_start: int) -> date:
        return self.planned_ends[min(months_since_start, len(self.planned_ends) - 1)]


@dataclass
class ContractEnd:
    day: date
    reason: str  # S21.G00.62.002
    maintien: bool  # S21.G00.62.016 = 01: keeps the collective cover
    fctu: bool  # also announced by a signalement 07 (FCTU)


@dataclass
class Employee:
    serial: int
    establishment: int
    fraction: int  # 1-based fraction of its establishment's declaration
    matricule: str
    sex: int
    birth: date
    last_name: str
    first_names: str
    nir: str  # the true NIR
    birth_department: str
    category: str  # S21.G00.40.003: 01 cadre, 04 non-cadre
    pcs: str
    job: str
    contract_start: date
    contract_number: str
    nature: str  # 01 CDI, 02 CDD
    planned_end: date | None
    gross: Decimal
    sante_option: str
    sante_dispensed: bool = False
    ntt: str | None = None
    nir_from: date | None = None  # month from which the NIR is known (NTT before)
    wrong_nir: str | None = None  # NIR declared by mistake before `nir_fixed_on`
    nir_fixed_on: date | None = None
    end: ContractEnd | None = None
    dependants: list[Dependant] = field(default_factory=list)
    stoppages: list[Stoppage] = field(default_factory=list)
    invalidity: tuple[str, date] | None = None  # (S21.G00.65.001, start)
    faults: dict[str, object] = field(default_factory=dict)

    def nir_in(self, month: date) -> str | None:
        """The NIR payroll declares in a month (None while only an NTT is known)."""
        if self.nir_from is not None and month < self.nir_from:
            return None
        if self.nir_fixed_on is not None and self.wrong_nir and month < month_of(self.nir_fixed_on):
            return self.wrong_nir
        return self.nir

    def key(self, last_month: date) -> str:
        """The employee's natural key in the truth, spelled as the DSN reader's `employee_key`
        (dsn_parser.tables) in the last month his files declare him (`last_month`, or his end's
        month if earlier): the NIR declared that month — a NIR fixed only later was never
        declared — else "NTT:" + the NTT."""
        if self.end is not None:
            last_month = min(last_month, month_of(self.end.day))
        nir = self.nir_in(last_month)
        return nir if nir is not None else NTT_KEY_PREFIX + (self.ntt or "")

    def employed_in(self, month: date) -> bool:
        return self.contract_start <= month_end(month) and (
            self.end is None or self.end.day >= month
        )


@dataclass
class Establishment:
    index: int
    siret: str
    postcode: str
    city: str
    street: str
    fractions: int  # 1: not fractioned


@dataclass
class Company:
    index: int
    siren: str
    name: str
    naf: str
    idcc: str
    risk_code: str
    iban: str
    bic: str
    establishments: list[Establishment]
    contracts: list[ContractParameters]
    employees: list[Employee]
    lot_envelope: bool  # its files reach the insurer wrapped in a concentrator lot
    direct_debit: bool  # pays by SEPA direct debit (else by transfer)
    crlf: bool
    utf8: bool
    payroll_software: str

    @property
    def headcount(self) -> int:
        return len(self.employees)

    def contract(self, cover: Cover) -> list[ContractParameters]:
        return [c for c in self.contracts if c.cover is cover]


def company_sizes(rng: random.Random, companies: int, employees: int) -> list[int]:
    """Sizes from 1 to thousands (a Pareto tail), summing to `employees`."""
    if employees < companies:
        raise ValueError("il faut au moins un salarié par entreprise")
    weights = sorted(rng.paretovariate(1.1) for _ in range(companies))
    total = sum(weights)
    sizes = [max(1, int(employees * w / total)) for w in weights]
    sizes[0] = 1  # always a one-person company
    sizes[-1] += employees - sum(sizes)
    while sizes[-1] < 1:  # rounding took too much from the largest: take it back elsewhere
        donor = max(range(companies - 1), key=lambda i: sizes[i])
        sizes[donor] -= 1
        sizes[-1] += 1
    order = list(range(companies))
    rng.shuffle(order)
    return [sizes[i] for i in order]


class SerialCounter:
    """Portfolio-wide employee serials: they make NIRs unique across companies."""

    def __init__(self) -> None:
        self.next = 0

    def take(self) -> int:
        self.next += 1
        return self.next


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([code for code, _ in table], weights=[w for _, w in table])[0]


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + days(rng.randrange((last - first).days + 1))


def draw_company(portfolio: Portfolio, index: int, size: int, serials: SerialCounter) -> Company:
    rng = random.Random(f"{portfolio.seed}:company:{index}")
    siren = identifiers.siren(rng)
    name = f"{rng.choice(names.COMPANY_STEMS)} {index + 1}"
    establishment_count = 1 if size < 20 or rng.random() < 0.6 else rng.randrange(2, 5)
    establishments = []
    for e in range(establishment_count):
        postcode, city = rng.choice(names.CITIES)
        fractions = 2 if e == 0 and size >= 30 and rng.random() < 0.3 else 1
        establishments.append(
            Establishment(
                index=e,
                siret=identifiers.siret(siren, e),
                postcode=postcode,
                city=city,
                street=f"{rng.randrange(1, 120)} {rng.choice(names.STREETS)}",
                fractions=fractions,
            )
        )
    company = Company(
        index=index,
        siren=siren,
        name=name,
        naf=rng.choice(["1071C", "4932Z", "5610A", "6202A", "8610Z", "4120A", "8121Z"]),
        idcc=rng.choice(["1486", "1979", "1501", "0843", "2264", "1596"]),
        risk_code=rng.choice(["741GB", "553AC", "452BE", "851AA"]),
        iban=identifiers.iban(rng),
        bic=rng.choice(identifiers.BICS),
        establishments=establishments,
        contracts=draw_contracts(rng, siren, name, portfolio.start, portfolio.months, index + 1),
        employees=[],
        lot_envelope=rng.random() < 0.25,
        direct_debit=rng.random() < 0.5,
        crlf=rng.random() < 0.4,
        utf8=rng.random() < 0.15,
        payroll_software=rng.choice(["SILAE", "SAGE PAIE", "CEGID", "TELEDSN", "ADP"]),
    )
    terms = random.Random(f"{portfolio.seed}:terms:{index}")
    company.contracts = [
        with_terms(terms, c, collection_accounts(c.organisme_code), _mandate(company, c))
        for c in company.contracts
    ]
    lives = Lives(rng, portfolio, company, serials)
    for _ in range(size):
        company.employees.append(lives.employee(hired_in_window=False))
    hires = sum(rng.random() < 0.15 * portfolio.months / 12 for _ in range(size))
    for _ in range(hires):
        company.employees.append(lives.employee(hired_in_window=True))
    return company


def collection_accounts(organisme: str) -> list[CollectionAccount]:
    debit, transfer = accounts(organisme)
    return [
        CollectionAccount(iban=debit.iban, bic=debit.bic, purpose=AccountPurpose.DIRECT_DEBIT),
        CollectionAccount(iban=transfer.iban, bic=transfer.bic, purpose=AccountPurpose.TRANSFER),
    ]


def _mandate(company: Company, contract: ContractParameters) -> SepaMandate | None:
    if not company.direct_debit:
        return None
    return SepaMandate(
        mandate_id=mandate_id(company.siren, contract.organisme_code),
        debtor_iban=company.iban,
        signed_on=contract.effective_from,
    )


class Lives:
    """Draws an employee and the events of his working life within the window."""

    def __init__(
        self, rng: random.Random, portfolio: Portfolio, company: Company, serials: SerialCounter
    ) -> None:
        self.rng, self.portfolio, self.company, self.serials = rng, portfolio, company, serials

    def employee(self, *, hired_in_window: bool) -> Employee:
        rng, p = self.rng, self.portfolio
        serial = self.serials.take()
        sex = rng.choice([1, 2])
        birth = date(rng.randrange(1960, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        nir = identifiers.nir(rng, serial, sex, birth.year, birth.month)
        category = "01" if rng.random() < 0.3 else "04"
        pcs, job = rng.choice(names.JOBS[category])
        establishment = rng.randrange(len(self.company.establishments))
        fractions = self.company.establishments[establishment].fractions
        if hired_in_window:
            start = _random_day(rng, p.start, p.window_end)
        else:
            start = _random_day(rng, date(p.start.year - 12, 1, 1), p.start - days(1))
        nature = "02" if rng.random() < (0.3 if hired_in_window else 0.05) else "01"
        planned_end = start + days(rng.randrange(30, 270)) if nature == "02" else None
        if planned_end is not None and not hired_in_window:  # a fixed term still running
            start = p.start - days(rng.randrange(10, 300))
            planned_end = p.start + days(rng.randrange(10, 300))
        low, high = (3400, 9500) if category == "01" else (1800, 3300)
        first_names = rng.choice(names.MALE_FIRST_NAMES if sex == 1 else names.FEMALE_FIRST_NAMES)
        employee = Employee(
            serial=serial,
            establishment=establishment,
            fraction=1 + serial % fractions,
            matricule=f"{serial:06d}",
            sex=sex,
            birth=birth,
            last_name=rng.choice(names.LAST_NAMES),
            first_names=first_names,
            nir=nir,
            birth_department=nir[5:7],
            category=category,
            pcs=pcs,
            job=job,
            contract_start=start,
            contract_number=f"{rng.randrange(1, 99):05d}",
            nature=nature,
            planned_end=planned_end,
            gross=Decimal(rng.randrange(low * 100, high * 100)) / 100,
            sante_option=rng.choices(["BASE", "OPT1", "OPT2"], weights=[6, 3, 1])[0],
            sante_dispensed=rng.random() < 0.05,
        )
        self._end(employee)
        self._identity(employee, hired_in_window)
        self._dependants(employee)
        self._stoppages(employee)
        return employee

    def _identity(self, employee: Employee, hired_in_window: bool) -> None:
        rng = self.rng
        if hired_in_window and rng.random() < 0.08:
            employee.ntt = identifiers.ntt(employee.sex, self.company.siren, employee.serial)
            employee.nir_from = add_months(month_of(employee.contract_start), rng.choice([1, 2]))
        elif not hired_in_window and rng.random() < 0.03:
            # Payroll fixes a typo in the NIR while the employee is still there.
            last = employee.end.day if employee.end else self.portfolio.window_end
            first = add_months(self.portfolio.start, 1)
            if first <= last:
                wrong = list(employee.nir)
                wrong[-1] = str((int(wrong[-1]) + 1) % 10 or 1)
                employee.wrong_nir = "".join(wrong)
                employee.nir_fixed_on = _random_day(rng, first, last)

    def _end(self, employee: Employee) -> None:
        rng, p = self.rng, self.portfolio
        first_possible = max(employee.contract_start + days(20), p.start)
        if employee.planned_end is not None and employee.planned_end <= p.window_end:
            day, reason = max(employee.planned_end, employee.contract_start), "031"
        elif rng.random() < 0.12 * p.months / 12 and first_possible <= p.window_end:
            day, reason = (
                _random_day(rng, first_possible, p.window_end),
                _weighted(rng, END_REASONS),
            )
        else:
            return
        employee.end = ContractEnd(
            day=day,
            reason=reason,
            maintien=reason != "066" and rng.random() < 0.08,
            fctu=rng.random() < 0.5,
        )

    def _dependants(self, employee: Employee) -> None:
        rng = self.rng
        if rng.random() > 0.4:
            return
        since = max(employee.contract_start, self.portfolio.start - days(400))
        if rng.random() < 0.6:
            self._add_dependant(
                employee,
                "01",
                date(
                    employee.birth.year + rng.randrange(-4, 5),
                    rng.randrange(1, 13),
                    rng.randrange(1, 29),
                ),
                since,
            )
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            birth = date(rng.randrange(2006, self.portfolio.start.year), rng.randrange(1, 13), 15)
            self._add_dependant(employee, "02", birth, since)
        if rng.random() < 0.1:  # a birth during the window adds a child to the cover
            birth = _random_day(rng, self.portfolio.start, self.portfolio.window_end)
            self._add_dependant(employee, "02", birth, birth)
        if rng.random() < 0.05:
            self._add_dependant(employee, "03", date(1950, 3, 3), since)

    def _add_dependant(self, employee: Employee, kind: str, birth: date, since: date) -> None:
        rng = self.rng
        sex = rng.choice([1, 2])
        nir = None
        if kind != "02" or birth.year < 2010:
            nir = identifiers.nir(rng, self.serials.take(), sex, birth.year, birth.month)
        first = rng.choice(names.MALE_FIRST_NAMES if sex == 1 else names.FEMALE_FIRST_NAMES)
        last = employee.last_name if kind != "03" else rng.choice(names.LAST_NAMES)
        employee.dependants.append(
            Dependant(
                kind=kind, birth=birth, last_name=last, first_name=first, nir=nir, since=since
            )
        )

    def _stoppages(self, employee: Employee) -> None:
        rng, p = self.rng, self.portfolio
        active_until = employee.end.day if employee.end else p.window_end
        first = max(employee.contract_start + days(5), p.start)
        if first >= active_until:
            return
        if rng.random() < 0.012 and employee.contract_start < p.start - days(400):
            # A long illness that began before the window: still off, beyond a year.
            last_worked = p.start - days(rng.randrange(200, 330))
            self._add_stoppage(employee, "01", last_worked, None, active_until)
            if rng.random() < 0.5:
                employee.invalidity = (
                    rng.choice(["112", "114", "116"]),
                    _random_day(rng, first, active_until),
                )
            return
        if rng.random() > 0.16 * p.months / 12:
            return
        reason = _weighted(rng, STOPPAGE_REASONS)
        if employee.sex == 2 and rng.random() < 0.08:
            reason = "02"
        last_worked = _random_day(rng, first, active_until - days(1))
        length = rng.choice([rng.randrange(3, 15), rng.randrange(15, 60), rng.randrange(60, 200)])
        back = last_worked + days(length + 1)
        return_date = back if back <= active_until else None
        stoppage = self._add_stoppage(employee, reason, last_worked, return_date, active_until)
        cancellable = add_months(month_of(stoppage.first_day_off), 1) <= month_of(active_until)
        if rng.random() < 0.04 and return_date is not None and cancellable:
            stoppage.cancelled = True
        elif (
            return_date is not None
            and length >= 60
            and reason == "01"
            and rng.random() < 0.35
            and return_date + days(40) < active_until
        ):
            stoppage.return_reason = THERAPEUTIC_PART_TIME_RETURN
            self._add_therapeutic_part_time(employee, return_date, active_until)
        elif return_date is None and length > 150 and rng.random() < 0.3:
            employee.invalidity = (rng.choice(["112", "114"]), last_worked + days(150))

    def _add_stoppage(
        self,
        employee: Employee,
        reason: str,
        last_worked: date,
        return_date: date | None,
        active_until: date,
    ) -> Stoppage:
        rng = self.rng
        first_off = last_worked + days(1)
        actual_end = (return_date - days(1)) if return_date else active_until + days(60)
        # The planned end as each monthly DSN shows it: prolonged month after month until the
        # month of the return, where it is the last day off.
        month = month_of(first_off)
        planned = [min(actual_end, first_off + days(rng.randrange(7, 31)))]
        if month_end(month) >= actual_end:
            planned = [actual_end]
        while month_end(month) < actual_end:
            month = add_months(month, 1)
            planned.append(
                min(actual_end, max(planned[-1], month_end(month) + days(rng.randrange(0, 20))))
            )
        subrogation_end = None
        if rng.random() < 0.5:
            subrogation_end = first_off + days(rng.choice([30, 60, 90]))
        stoppage = Stoppage(
            reason=reason,
            last_day_worked=last_worked,
            planned_ends=planned,
            return_date=return_date,
            subrogation_end=subrogation_end,
            signalements=rng.random() < 0.6,
        )
        employee.stoppages.append(stoppage)
        return stoppage

    def _add_therapeutic_part_time(self, employee: Employee, since: date, active_until: date):
        """After a long illness, a part-time return (60.001 = 15 with S21.G00.66 periods)."""
        rng = self.rng
        back = min(active_until, since + days(rng.randrange(30, 90)))
        stoppage = Stoppage(
            reason="15",
            last_day_worked=since - days(1),
            planned_ends=[back - days(1)],
            return_date=back if back < active_until else None,
            therapeutic_pay=(employee.gross / 2).quantize(Decimal("0.01")),
        )
        employee.stoppages.append(stoppage)
