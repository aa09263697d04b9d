"""The content of each declaration, block by block, in the order the norm imposes.

What a declaration may carry depends on its nature (CT2025.1 usages): a monthly DSN (01) has
everything; a signalement arrêt (04) or reprise (05) carries the company, the establishment, the
adhésions, the employee's identity, his contract number and the stoppage, but no salary and no
affiliation; a FCTU (07) carries the contract end with the affiliations. Rubrics the usages
forbid for a nature are never written for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from contracts.parameters import ContractParameters, Cover
from dsn_parser.validation.official import DISMISSAL_REASONS, NOTIFIED_REASONS
from synthetic.calendar import (
    add_months,
    dsn_date,
    month_end,
    month_of,
    months_between,
)
from synthetic.contracts import (
    CENT,
    PREVOYANCE_ORGANISME,
    SANTE_POPULATION,
    Contribution,
    contribution,
    money,
    pmss,
    population_for,
)
from synthetic.dsn_writer import Line
from synthetic.portfolio import (
    Company,
    ContractEnd,
    Dependant,
    Employee,
    Establishment,
    Stoppage,
)

MONTHLY, SIGNALEMENT_ARRET, SIGNALEMENT_REPRISE, FCTU = "01", "04", "05", "07"
# End reasons (S21.G00.62.002) of a rupture conventionnelle, with its signature date (62.004);
# the mobility leave ones (111-115) also have a notification date (62.003).
CONVENTION_REASONS = ("043", "110", "111")
MOBILITY_LEAVE_REASONS = ("111", "112", "113", "115")
# Stoppage reasons (S21.G00.60.001) that carry the accident's or disease's date (60.012):
# commuting accident, occupational disease, work accident.
ACCIDENT_REASONS = ("04", "05", "06")
NORMAL, NORMAL_WITHOUT_INDIVIDUAL, REPLACEMENT, CANCELLATION = "01", "02", "03", "04"
UNKNOWN_OPTION_CODE = "OPT9"
UNKNOWN_POPULATION_CODE = "POPX"


def norm_version(day: date) -> str:
    return f"P{day.year % 100:02d}V01"


def amount(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


@dataclass(frozen=True)
class AffiliationMonth:
    """One affiliation of an employee in one month, as declared and as the contract expects."""

    reference: str
    organisme: str
    known: bool  # False: a contract the insurer does not know (a fault)
    option: str | None  # declared in 70.004
    population: str  # declared in 70.005
    declared: Contribution  # what payroll declares (79 components, 059)
    expected: Decimal  # rate × base from the contract parameters
    dependants: tuple[Dependant, ...]
    start: date | None = None  # 70.014
    end: date | None = None  # 70.015


@dataclass
class DeclaredPayment:
    """A declared payment (S21.G00.20) and its components (S21.G00.55)."""

    organisme: str
    period_start: date
    period_end: date
    mode: str  # 05 SEPA direct debit, 02 transfer
    pay_date: date
    components: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.components.values(), Decimal("0.00"))


def activity_in(employee: Employee, month: date) -> tuple[date, date]:
    """The days of the month under contract: payroll declares a base 31's period (78.002-003)
    over them, which the contract's activity must cover (S21.G00.78.003/SIG-17)."""
    first = max(month, employee.contract_start)
    last = min(month_end(month), employee.end.day if employee.end else month_end(month))
    return first, last


def gross_in(employee: Employee, month: date) -> Decimal:
    """Pay of the month, prorated on days under contract in the months of hiring and leaving."""
    if employee.end is not None and month > employee.end.day:
        return employee.gross  # still paid as usual by a payroll that missed the departure
    first, last = activity_in(employee, month)
    worked = max(0, (last - first).days + 1)
    total_days = month_end(month).day
    if worked == total_days:
        return employee.gross
    return money(employee.gross * worked / total_days)


def affiliations(company: Company, employee: Employee, month: date) -> list[AffiliationMonth]:
    gross = gross_in(employee, month)
    faults = employee.faults
    result = []
    for contract in company.contracts:
        entry = _affiliation(contract, employee, month, gross)
        if entry is not None:
            result.append(entry)
    unknown = faults.get("unknown_contract")
    if isinstance(unknown, str):
        declared = Contribution(
            components=(("11", money(min(gross, pmss(month)))),),
            amount=money(min(gross, pmss(month)) * Decimal("0.0080")),
        )
        result.append(
            AffiliationMonth(
                reference=unknown,
                organisme=PREVOYANCE_ORGANISME,
                known=False,
                option=None,
                population="ENSPR",
                declared=declared,
                expected=declared.amount,
                dependants=(),
            )
        )
    return result


def _affiliation(
    contract: ContractParameters, employee: Employee, month: date, gross: Decimal
) -> AffiliationMonth | None:
    faults = employee.faults
    if faults.get("missing_affiliation") == contract.contract_reference:
        return None
    if contract.cover is Cover.SANTE:
        if employee.sante_dispensed and not faults.get("exempted_but_declared"):
            return None
        option: str | None = employee.sante_option
        population: str | None = SANTE_POPULATION.code
        dependants = tuple(d for d in employee.dependants if d.since <= month_end(month))
    else:
        option, population = None, population_for(contract, employee.category)
        dependants = ()
    if population is None:
        return None
    expected = contribution(contract, option, population, gross, month)
    declared = expected
    off_rate = faults.get("off_rate")
    if (
        isinstance(off_rate, tuple)
        and off_rate[0] == contract.contract_reference
        and (month >= off_rate[1])
    ):
        declared = Contribution(expected.components, money(expected.amount * off_rate[2]))
    declared_option = option
    if option is not None and faults.get("unknown_option"):
        declared_option = UNKNOWN_OPTION_CODE
    declared_population = population
    if faults.get("unknown_population") == contract.contract_reference:
        declared_population = UNKNOWN_POPULATION_CODE
    start = employee.contract_start if month_of(employee.contract_start) == month else None
    end = None
    restated = faults.get("end_before_start")
    if isinstance(restated, tuple) and contract.cover is Cover.SANTE:
        first_start, restated_start, ended = end_before_start_dates(restated[0])
        if month == restated[0]:
            start = first_start
        elif month == restated[1]:
            start, end = restated_start, ended
    return AffiliationMonth(
        reference=contract.contract_reference,
        organisme=contract.organisme_code,
        known=True,
        option=declared_option,
        population=declared_population,
        declared=declared,
        expected=expected.amount,
        dependants=dependants,
        start=start,
        end=end,
    )


def end_before_start_dates(month: date) -> tuple[date, date, date]:
    """The fault end_before_start (`synthetic.faults`): the santé affiliation declared in
    `month` from its 15th, then, by the next month's DSN, from its 1st and ended on its 5th.
    Each block is valid on its own (S21.G00.70.015/CCH-11, SIG-11/12); together they end the
    affiliation before the start first declared (AFF011)."""
    return month.replace(day=15), month.replace(day=1), month.replace(day=5)


class DeclarationBuilder:
    """Writes the rubric lines of one company's declarations."""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.head_office = company.establishments[0]
        self.norm = "P25V01"  # norm of the declaration being written (set by the caller)

    # -- envoi and declaration headers -------------------------------------------------------

    def envoi_header(
        self, norm: str, day: date, service: bool, *, empty: bool = False
    ) -> list[Line]:
        """`empty`: an envoi néant, whose only declaration is a monthly DSN without individual
        (S10.G00.00.008/CCH-11)."""
        company, office = self.company, self.head_office
        lines: list[Line] = [
            ("S10.G00.00.001", company.payroll_software),
            ("S10.G00.00.002", company.payroll_software.split()[0]),
            ("S10.G00.00.003", "v2.4"),
            ("S10.G00.00.005", "02"),
            ("S10.G00.00.006", norm),
            ("S10.G00.00.007", "01"),
            ("S10.G00.00.008", "02" if empty else "01"),
            ("S10.G00.01.001", company.siren),
            ("S10.G00.01.002", office.siret[9:]),
            ("S10.G00.01.003", _name60(company.name)),
            ("S10.G00.01.004", office.street),
            ("S10.G00.01.005", office.postcode),
            ("S10.G00.01.006", office.city),
            ("S10.G00.02.001", "02"),
            ("S10.G00.02.002", "SERVICE PAIE"),
            ("S10.G00.02.004", f"paie@{company.siren}.example.fr"),
            ("S10.G00.02.005", "0102030405"),
        ]
        if service:  # rubrics the deposit platform adds on the way to the insurer
            lines += [
                ("S10.G00.95.001", _name60(company.name)),
                ("S10.G00.95.003", office.siret),
                ("S10.G00.95.006", "MtoM"),
                ("S10.G00.95.008", day.strftime("%Y%m%d") + "020000"),
            ]
        return lines

    def declaration_header(
        self,
        nature: str,
        kind: str,
        *,
        fraction: str,
        order: str,
        built: date,
        month: date | None = None,
        replaced_id: str | None = None,
        service: bool = False,
    ) -> list[Line]:
        lines: list[Line] = [
            ("S20.G00.05.001", nature),
            ("S20.G00.05.002", kind),
            ("S20.G00.05.003", fraction),
            ("S20.G00.05.004", order),
        ]
        if nature == MONTHLY and month is not None:
            lines.append(("S20.G00.05.005", dsn_date(month)))
        if nature != MONTHLY and replaced_id is not None:
            lines.append(("S20.G00.05.006", replaced_id))
        lines.append(("S20.G00.05.007", dsn_date(built)))
        if nature == MONTHLY:
            lines.append(("S20.G00.05.008", "01"))
        if nature in (MONTHLY, FCTU):
            lines.append(("S20.G00.05.010", "01"))
        contact_type = {
            MONTHLY: "08",
            SIGNALEMENT_ARRET: "01",
            SIGNALEMENT_REPRISE: "01",
            FCTU: "02",
        }[nature]
        lines += [
            ("S20.G00.07.001", "SERVICE PAIE"),
            ("S20.G00.07.002", "0102030405"),
            ("S20.G00.07.003", f"paie@{self.company.siren}.example.fr"),
            ("S20.G00.07.004", contact_type),
        ]
        if service:
            lines.append(("S20.G00.96.902", "1"))
        return lines

    def company_and_establishment(
        self, establishment: Establishment, nature: str, headcount: int, service: bool = False
    ) -> list[Line]:
        company = self.company
        full = nature in (MONTHLY, FCTU)
        lines: list[Line] = [
            ("S21.G00.06.001", company.siren),
            ("S21.G00.06.002", self.head_office.siret[9:]),
        ]
        if full:
            lines += [
                ("S21.G00.06.003", company.naf),
                ("S21.G00.06.004", self.head_office.street),
                ("S21.G00.06.005", self.head_office.postcode),
                ("S21.G00.06.006", self.head_office.city),
            ]
        if nature == MONTHLY and self.norm < "P26V01":  # P26 dropped the headcounts
            lines.append(("S21.G00.06.009", str(company.headcount)))
        if service:
            lines.append(("S21.G00.06.903", _name60(company.name)))
        lines.append(("S21.G00.11.001", establishment.siret[9:]))
        if full:
            lines.append(("S21.G00.11.002", company.naf))
        lines += [
            ("S21.G00.11.003", establishment.street),
            ("S21.G00.11.004", establishment.postcode),
            ("S21.G00.11.005", establishment.city),
        ]
        if nature == MONTHLY and self.norm < "P26V01":
            lines.append(("S21.G00.11.008", str(headcount)))
        if full:
            lines.append(("S21.G00.11.022", company.idcc))
        if service:
            lines.append(("S21.G00.11.904", _name60(company.name)))
        return lines

    def adhesions(
        self, references: list[tuple[str, str]], nature: str, covered: set[str] | None = None
    ) -> list[Line]:
        """S21.G00.15 per (contract reference, organisme); technical ids are 1..n in the file.
        A monthly DSN says whether the contract covers someone declared (15.004 01, then an
        affiliation of the declaration references it: S21.G00.15.001/CCH-13) or nobody (02);
        `covered`: the references of the declaration's affiliations."""
        lines: list[Line] = []
        for technical_id, (reference, organisme) in enumerate(references, start=1):
            lines += [("S21.G00.15.001", reference), ("S21.G00.15.002", organisme)]
            if nature == MONTHLY:
                lines.append(("S21.G00.15.004", "01" if reference in (covered or ()) else "02"))
            lines.append(("S21.G00.15.005", str(technical_id)))
        return lines

    def payments(self, payments: list[DeclaredPayment], establishment: Establishment) -> list[Line]:
        lines: list[Line] = []
        for payment in payments:
            if payment.total <= 0:
                continue
            lines.append(("S21.G00.20.001", payment.organisme))
            if payment.mode == "05":
                lines += [
                    ("S21.G00.20.003", self.company.bic),
                    ("S21.G00.20.004", self.company.iban),
                ]
            lines += [
                ("S21.G00.20.005", amount(payment.total)),
                ("S21.G00.20.006", dsn_date(payment.period_start)),
                ("S21.G00.20.007", dsn_date(payment.period_end)),
                ("S21.G00.20.010", payment.mode),
                ("S21.G00.20.011", dsn_date(payment.pay_date)),
                ("S21.G00.20.012", establishment.siret),
            ]
            for (reference, population, period), value in sorted(payment.components.items()):
                lines += [
                    ("S21.G00.55.001", amount(value)),
                    ("S21.G00.55.002", population),
                    ("S21.G00.55.003", reference),
                    ("S21.G00.55.004", period),
                ]
        return lines

    # -- the individual ----------------------------------------------------------------------

    def identity(self, employee: Employee, month: date, nature: str) -> list[Line]:
        nir = employee.nir_in(month)
        full = nature in (MONTHLY, FCTU)
        lines: list[Line] = []
        if nir is not None:
            lines.append(("S21.G00.30.001", nir))
        lines += [("S21.G00.30.002", employee.last_name), ("S21.G00.30.004", employee.first_names)]
        if full:
            lines.append(("S21.G00.30.005", f"{employee.sex:02d}"))
        lines.append(("S21.G00.30.006", dsn_date(employee.birth)))
        if full:
            establishment = self.company.establishments[employee.establishment]
            lines += [
                ("S21.G00.30.007", "PARIS"),
                ("S21.G00.30.008", f"{employee.serial % 90 + 1} RUE DES LILAS"),
                ("S21.G00.30.009", establishment.postcode),
                ("S21.G00.30.010", establishment.city),
                ("S21.G00.30.013", "01"),
                ("S21.G00.30.014", employee.birth_department),
                ("S21.G00.30.015", "FR"),
            ]
        lines.append(("S21.G00.30.019", employee.matricule))
        declares_ntt = employee.ntt is not None and (
            nir is None or (employee.nir_from is not None and month == employee.nir_from)
        )
        if declares_ntt and employee.ntt is not None:
            lines.append(("S21.G00.30.020", employee.ntt))
        if nature == MONTHLY and self.declares_identity_change(employee, month):
            assert employee.nir_fixed_on is not None and employee.wrong_nir is not None
            lines += [
                ("S21.G00.31.001", dsn_date(employee.nir_fixed_on)),
                ("S21.G00.31.008", employee.wrong_nir),
            ]
        return lines

    @staticmethod
    def declares_identity_change(employee: Employee, month: date) -> bool:
        return (
            employee.nir_fixed_on is not None
            and month_of(employee.nir_fixed_on) == month
            and not employee.faults.get("nir_change_without_31")
        )

    def employment_contract(
        self,
        employee: Employee,
        nature: str,
        establishment: Establishment,
    ) -> list[Line]:
        lines: list[Line] = [("S21.G00.40.001", dsn_date(employee.contract_start))]
        full = nature in (MONTHLY, FCTU)
        if full:
            lines += [
                ("S21.G00.40.002", "04" if employee.category == "01" else "06"),
                ("S21.G00.40.003", employee.category),
                ("S21.G00.40.004", employee.pcs),
                ("S21.G00.40.006", employee.job),
                ("S21.G00.40.007", employee.nature),
                ("S21.G00.40.008", "99"),
            ]
        lines.append(("S21.G00.40.009", employee.contract_number))
        if full:
            if employee.planned_end is not None:
                lines.append(("S21.G00.40.010", dsn_date(employee.planned_end)))
            lines += [
                ("S21.G00.40.011", "10"),
                ("S21.G00.40.012", "151.67"),
                ("S21.G00.40.013", "151.67"),
                ("S21.G00.40.014", "10"),
                ("S21.G00.40.016", "99"),
                ("S21.G00.40.017", self.company.idcc),
                ("S21.G00.40.018", "200"),
            ]
        lines.append(("S21.G00.40.019", establishment.siret))
        if full:
            lines.append(("S21.G00.40.020", "200"))
            if employee.nature == "02":
                lines.append(("S21.G00.40.021", "02"))
            lines += [
                ("S21.G00.40.024", "99"),
                ("S21.G00.40.026", "99"),
                ("S21.G00.40.036", "01"),
                ("S21.G00.40.037", "01"),
            ]
        if nature == MONTHLY:
            lines += [
                ("S21.G00.40.039", "200"),
                ("S21.G00.40.040", self.company.risk_code),
                ("S21.G00.40.043", "01.10"),
            ]
        return lines

    def stoppage(self, stoppage: Stoppage, month: date, nature: str) -> list[Line]:
        """S21.G00.60 (and its 66 therapeutic part-time period) as a declaration shows it."""
        start_month = month_of(stoppage.first_day_off)
        cancelling = stoppage.cancelled and month == add_months(start_month, 1)
        planned = stoppage.planned_end_in(max(0, months_between(start_month, month)))
        if nature == SIGNALEMENT_ARRET:
            planned = stoppage.planned_ends[0]
        if nature == SIGNALEMENT_REPRISE:
            planned = stoppage.planned_ends[-1]
        lines: list[Line] = [
            ("S21.G00.60.001", "99" if cancelling else stoppage.reason),
            ("S21.G00.60.002", dsn_date(stoppage.last_day_worked)),
            ("S21.G00.60.003", dsn_date(planned)),
        ]
        if nature in (MONTHLY, SIGNALEMENT_ARRET):
            subrogated = stoppage.subrogation_end is not None
            lines.append(("S21.G00.60.004", "01" if subrogated else "02"))
            if stoppage.subrogation_end is not None:
                # The employer is paid the daily allowances on its own account (60.007/.008).
                lines += [
                    ("S21.G00.60.005", dsn_date(stoppage.first_day_off)),
                    ("S21.G00.60.006", dsn_date(stoppage.subrogation_end)),
                    ("S21.G00.60.007", self.company.iban),
                    ("S21.G00.60.008", self.company.bic),
                ]
        returned = stoppage.return_date is not None and (
            nature == SIGNALEMENT_REPRISE
            or (nature == MONTHLY and month_of(stoppage.return_date) == month)
        )
        if returned and not cancelling and stoppage.return_date is not None:
            lines += [
                ("S21.G00.60.010", dsn_date(stoppage.return_date)),
                ("S21.G00.60.011", stoppage.return_reason),
            ]
        # The accident's date, for the signalements only (the usages forbid it in a monthly DSN).
        if nature != MONTHLY and stoppage.reason in ACCIDENT_REASONS:
            lines.append(("S21.G00.60.012", dsn_date(stoppage.last_day_worked)))
        if nature == MONTHLY and stoppage.therapeutic_pay is not None and not cancelling:
            last_off = (
                (stoppage.return_date - timedelta(days=1))
                if stoppage.return_date
                else month_end(month)
            )
            lines += [
                ("S21.G00.66.001", dsn_date(max(month, stoppage.first_day_off))),
                ("S21.G00.66.002", dsn_date(min(month_end(month), last_off))),
                ("S21.G00.66.003", amount(stoppage.therapeutic_pay)),
            ]
        return lines

    def contract_end(self, end: ContractEnd, nature: str, contract_start: date) -> list[Line]:
        lines: list[Line] = [("S21.G00.62.001", dsn_date(end.day)), ("S21.G00.62.002", end.reason)]
        notice_start = max(contract_start, end.day - timedelta(days=30))
        if nature == FCTU:  # the usages forbid the end's procedure dates in a monthly DSN
            lines += _end_procedure_dates(end, contract_start, notice_start)
            lines += [("S21.G00.62.006", dsn_date(end.day)), ("S21.G00.62.008", "02")]
        if end.maintien:
            lines.append(("S21.G00.62.016", "01"))
        if nature == FCTU:
            lines += [
                ("S21.G00.62.020", dsn_date(month_of(end.day))),
                ("S21.G00.63.001", "01"),
                ("S21.G00.63.002", dsn_date(notice_start)),
                ("S21.G00.63.003", dsn_date(end.day)),
            ]
        return lines

    @staticmethod
    def complementary_pension() -> list[Line]:
        """S21.G00.71: every contract has one (AGIRC-ARRCO), even in the insurer's copy."""
        return [("S21.G00.71.002", "RUAA")]

    def fctu_pay(self, employee: Employee, end: ContractEnd) -> list[Line]:
        """The FCTU's S21.G00.50/51: the last pay, attached to the monthly DSN of the end."""
        month = month_of(end.day)
        return [
            ("S21.G00.50.001", dsn_date(end.day)),
            ("S21.G00.50.020", "01"),
            ("S21.G00.51.001", dsn_date(max(month, employee.contract_start))),
            ("S21.G00.51.002", dsn_date(end.day)),
            ("S21.G00.51.010", employee.contract_number),
            ("S21.G00.51.011", "001"),
            ("S21.G00.51.013", amount(gross_in(employee, month))),
        ]

    @staticmethod
    def invalidity(employee: Employee) -> list[Line]:
        assert employee.invalidity is not None
        code, since = employee.invalidity
        return [("S21.G00.65.001", code), ("S21.G00.65.002", dsn_date(since))]

    def affiliation_blocks(
        self,
        entries: list[AffiliationMonth],
        adhesion_ids: dict[str, int],
        employee: Employee,
        nature: str,
    ) -> list[Line]:
        lines: list[Line] = []
        for technical_id, entry in enumerate(entries, start=1):
            if entry.option is not None and nature == MONTHLY:
                lines.append(("S21.G00.70.004", entry.option))
            lines.append(("S21.G00.70.005", entry.population))
            if nature == MONTHLY:
                lines += self._dependant_counts(entry, employee)
            lines += [
                ("S21.G00.70.012", str(technical_id)),
                ("S21.G00.70.013", str(adhesion_ids[entry.reference])),
            ]
            if entry.start is not None:
                lines.append(("S21.G00.70.014", dsn_date(entry.start)))
            if entry.end is not None:
                lines.append(("S21.G00.70.015", dsn_date(entry.end)))
            if nature == MONTHLY:
                for dependant in entry.dependants:
                    lines += _dependant(dependant)
        return lines

    @staticmethod
    def _dependant_counts(entry: AffiliationMonth, employee: Employee) -> list[Line]:
        children = sum(d.kind == "02" for d in entry.dependants)
        adults = sum(d.kind == "01" for d in entry.dependants)
        others = sum(d.kind == "03" for d in entry.dependants)
        if employee.faults.get("dependant_mismatch") and entry.dependants:
            children += 1
        return [
            ("S21.G00.70.007", str(children)),
            ("S21.G00.70.008", str(adults)),
            ("S21.G00.70.009", str(children + adults + others)),
            ("S21.G00.70.010", str(others)),
            ("S21.G00.70.011", str(children)),
        ]

    def pay_and_contributions(
        self, employee: Employee, month: date, entries: list[AffiliationMonth]
    ) -> list[Line]:
        gross = gross_in(employee, month)
        net = money(gross * Decimal("0.78"))
        tax = money(net * Decimal("0.032"))
        last = month_end(month)
        active_from, active_to = activity_in(employee, month)
        if active_to < active_from:  # a payroll still paying after a departure it missed
            active_from, active_to = month, last
        lines: list[Line] = [
            ("S21.G00.50.001", dsn_date(last)),
            ("S21.G00.50.002", amount(net)),
            ("S21.G00.50.004", amount(net - tax)),
            ("S21.G00.50.006", "03.20"),
            ("S21.G00.50.007", "01"),
            ("S21.G00.50.008", "123456789"),
            ("S21.G00.50.009", amount(tax)),
            ("S21.G00.50.013", amount(net)),
            ("S21.G00.51.001", dsn_date(max(month, employee.contract_start))),
            ("S21.G00.51.002", dsn_date(last)),
            ("S21.G00.51.010", employee.contract_number),
            ("S21.G00.51.011", "001"),
            ("S21.G00.51.013", amount(gross)),
        ]
        for technical_id, entry in enumerate(entries, start=1):
            lines += [
                ("S21.G00.78.001", "31"),
                ("S21.G00.78.002", dsn_date(active_from)),
                ("S21.G00.78.003", dsn_date(active_to)),
                ("S21.G00.78.004", "00.00"),
                ("S21.G00.78.005", str(technical_id)),
                ("S21.G00.78.006", employee.contract_number),
            ]
            for component_type, value in entry.declared.components:
                lines += [("S21.G00.79.001", component_type), ("S21.G00.79.004", amount(value))]
            lines += [("S21.G00.81.001", "059"), ("S21.G00.81.004", amount(entry.declared.amount))]
        return lines


def _end_procedure_dates(end: ContractEnd, contract_start: date, notified: date) -> list[Line]:
    """The dates of the procedure behind the end, for the reasons that have one: notification
    (62.003, the notice's first day), the signature of a rupture conventionnelle (62.004, before
    the end) and the start of a dismissal procedure (62.005)."""
    lines: list[Line] = []
    if end.reason in (*NOTIFIED_REASONS, *MOBILITY_LEAVE_REASONS):
        lines.append(("S21.G00.62.003", dsn_date(notified)))
    if end.reason in CONVENTION_REASONS:
        signed = min(max(contract_start, end.day - timedelta(days=40)), end.day - timedelta(days=1))
        lines.append(("S21.G00.62.004", dsn_date(signed)))
    if end.reason in DISMISSAL_REASONS:
        lines.append(
            ("S21.G00.62.005", dsn_date(max(contract_start, notified - timedelta(days=15))))
        )
    return lines


def _dependant(dependant: Dependant) -> list[Line]:
    lines: list[Line] = [
        ("S21.G00.73.003", dependant.kind),
        ("S21.G00.73.004", dsn_date(dependant.since)),
        ("S21.G00.73.005", dsn_date(dependant.birth)),
        ("S21.G00.73.006", dependant.last_name),
    ]
    if dependant.nir is not None:
        lines.append(("S21.G00.73.007", dependant.nir))
    lines.append(("S21.G00.73.009", dependant.first_name))
    return lines


def _name60(name: str) -> str:
    return name[:60].strip()
