"""Everything one company sends the insurer over the window, and what the truth says about it.

A company is generated month by month: each month's declarations are built, written to disk and
forgotten before the next month, so memory holds one company-month of DSN lines at a time. The
truth rows are written as soon as they are known; the contribution ledger keeps only sums per
company, contract and period.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from contracts.parameters import Periodicity
from synthetic import dsn_writer
from synthetic.calendar import (
    add_months,
    days,
    is_period_last_month,
    month_end,
    month_of,
    period_bounds,
    period_code,
)
from synthetic.declarations import (
    CANCELLATION,
    FCTU,
    MONTHLY,
    NORMAL,
    NORMAL_WITHOUT_INDIVIDUAL,
    REPLACEMENT,
    SIGNALEMENT_ARRET,
    SIGNALEMENT_REPRISE,
    AffiliationMonth,
    DeclarationBuilder,
    DeclaredPayment,
    affiliations,
    norm_version,
)
from synthetic.dsn_writer import Line
from synthetic.faults import EmployeeFault, FileCorruption, corrupt
from synthetic.ledger import Ledger, PaymentDue, contract_due_date
from synthetic.output import OutputFolder
from synthetic.portfolio import (
    NTT_KEY_PREFIX,
    THERAPEUTIC_PART_TIME_RETURN,
    Company,
    ContractEnd,
    Employee,
    Establishment,
    Portfolio,
    Stoppage,
)
from synthetic.truth import TruthWriter

REPLACEMENT_RATE = 0.04  # share of declarations sent again as annule-et-remplace
REPLACEMENT_FIRST_RATE = 0.3  # share of those whose replacement arrives before the original


@dataclass
class Declaration:
    """One declaration ready to be put in an envoi, with what the truth needs to know of it."""

    nature: str
    kind: str
    establishment: Establishment
    fraction: str
    month: date | None
    built: date
    arrival: datetime
    lines: list[Line]
    norm: str = ""
    employees: list[Employee] = field(default_factory=list)  # declared in a monthly DSN
    situation: str = ""
    content: bytes = b""  # the rendered envoi, until written
    order: str = "0"  # S20.G00.05.004
    replaces: Declaration | None = None
    file_name: str = ""


@dataclass
class EmployeeTrace:
    """Where an employee showed up, for the truth written at the end of the company."""

    first_file: dict[str, str] = field(default_factory=dict)  # month (YYYY-MM) -> file name
    stoppage_files: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


class CompanyFiles:
    def __init__(
        self,
        portfolio: Portfolio,
        company: Company,
        out: OutputFolder,
        truth: TruthWriter,
        ledger: Ledger,
    ) -> None:
        self.portfolio, self.company, self.out = portfolio, company, out
        self.truth, self.ledger = truth, ledger
        self.rng = random.Random(f"{portfolio.seed}:files:{company.index}")
        self.builder = DeclarationBuilder(company)
        self.encoding = "utf-8" if company.utf8 else "latin-1"
        self.traces: dict[int, EmployeeTrace] = defaultdict(EmployeeTrace)
        self.order = 0
        # (establishment, fraction code, month) -> file of the effective monthly declaration
        self.monthly_files: dict[tuple[int, str, date], str] = {}
        # (employee serial, month) -> (original, replacement): the employee an original forgot,
        # absent from the files in force until its replacement lands (the per-night truth)
        self.forgotten: dict[tuple[int, date], tuple[Declaration, Declaration]] = {}
        # (establishment, fraction, organisme) -> (contract, population, period) -> amount
        self.to_pay: dict[tuple[int, str, str], dict[tuple[str, str, str], Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )

    # -- driver ------------------------------------------------------------------------------

    def run(self) -> None:
        for month in self.portfolio.month_list:
            groups = self.declared_employees(month)
            declarations = []
            for establishment in self.company.establishments:
                for fraction in range(1, establishment.fractions + 1):
                    employees = groups.get((establishment.index, fraction), [])
                    declarations += self.monthly(establishment, fraction, month, employees)
            self.write_monthly(declarations)
        for employee in self.company.employees:
            self.signalements(employee)

    def next_order(self) -> str:
        self.order += 1
        return str(self.order)

    # -- monthly DSN ---------------------------------------------------------------------------

    def declared_here(self, employee: Employee, establishment: int, month: date) -> bool:
        faults = employee.faults
        second = faults.get(EmployeeFault.SECOND_ESTABLISHMENT)
        at_home = employee.establishment == establishment
        as_second = isinstance(second, tuple) and second[0] == establishment and month >= second[1]
        if not (at_home or as_second):
            return False
        absent = faults.get(EmployeeFault.ABSENT_WITHOUT_END)
        if isinstance(absent, date) and month >= absent:
            return False
        if employee.employed_in(month):
            return True
        return bool(
            faults.get(EmployeeFault.DECLARED_AFTER_END)
            and employee.end is not None
            and month == add_months(month_of(employee.end.day), 1)
        )

    def declared_employees(self, month: date) -> dict[tuple[int, int], list[Employee]]:
        """Who each (establishment, fraction) declares in a month, in matricule order."""
        groups: dict[tuple[int, int], list[Employee]] = defaultdict(list)
        second_key = EmployeeFault.SECOND_ESTABLISHMENT
        for employee in self.company.employees:
            places = [employee.establishment]
            second = employee.faults.get(second_key)
            if isinstance(second, tuple):
                places.append(second[0])
            for index in places:
                if self.declared_here(employee, index, month):
                    establishment = self.company.establishments[index]
                    groups[(index, self.fraction_of(employee, establishment))].append(employee)
        for members in groups.values():
            members.sort(key=lambda e: e.matricule)
        return groups

    def fraction_of(self, employee: Employee, establishment: Establishment) -> int:
        if employee.establishment == establishment.index:
            return employee.fraction
        return 1 + employee.serial % establishment.fractions

    def monthly(
        self, establishment: Establishment, fraction: int, month: date, employees: list[Employee]
    ) -> list[Declaration]:
        fraction_code = f"{fraction}{establishment.fractions}"
        self.builder.norm = norm_version(month)
        entries = {e.serial: affiliations(self.company, e, month) for e in employees}
        for employee in employees:
            self.record_contributions(
                employee, establishment, fraction_code, month, entries[employee.serial]
            )
        payments = self.due_payments(establishment, fraction_code, month)
        built = self.monthly_build_date(month)
        arrival = self.arrival(built)
        kind = NORMAL if employees else NORMAL_WITHOUT_INDIVIDUAL
        final = Declaration(
            MONTHLY,
            kind,
            establishment,
            fraction_code,
            month,
            built,
            arrival,
            [],
            norm=self.builder.norm,
            employees=employees,
        )
        if len(employees) >= 2 and self.rng.random() < REPLACEMENT_RATE:
            # The company first sent a declaration that forgot one employee, then replaced it.
            forgotten = self.rng.choice(employees)
            original = Declaration(
                MONTHLY,
                NORMAL,
                establishment,
                fraction_code,
                month,
                built,
                arrival,
                [],
                norm=self.builder.norm,
                situation="declaration_remplacee",
            )
            kept = [e for e in employees if e is not forgotten]
            original.employees = kept
            self.seal(
                original,
                self.monthly_chunks(
                    original,
                    kept,
                    entries,
                    self.without(payments, entries[forgotten.serial], month),
                ),
            )
            final.kind, final.replaces, final.order = REPLACEMENT, original, "1"
            final.built = built + days(self.rng.randrange(2, 12))
            final.arrival = self.arrival(final.built)
            final.situation = "annule_et_remplace"
            if self.rng.random() < REPLACEMENT_FIRST_RATE:
                original.arrival = final.arrival + timedelta(hours=self.rng.randrange(2, 72))
                final.situation = "remplacement_arrive_avant_l_original"
        self.seal(final, self.monthly_chunks(final, employees, entries, payments))
        return [final] if final.replaces is None else [final.replaces, final]

    def seal(self, declaration: Declaration, chunks: Iterable[list[Line]] | None = None) -> None:
        """Render the declaration's envoi now: a company-month of a large company is held as
        bytes, never as millions of small strings."""
        header = self.builder.envoi_header(
            declaration.norm,
            declaration.built,
            self.company.lot_envelope,
            empty=declaration.kind == NORMAL_WITHOUT_INDIVIDUAL,
        )
        declaration.content = dsn_writer.render_envoi(
            header,
            chunks if chunks is not None else [declaration.lines],
            encoding=self.encoding,
            crlf=self.company.crlf,
        )
        declaration.lines = []

    def monthly_chunks(
        self,
        declaration: Declaration,
        employees: list[Employee],
        entries: dict[int, list[AffiliationMonth]],
        payments: list[DeclaredPayment],
    ) -> Iterator[list[Line]]:
        """The declaration's lines: its head (declaration, company, establishment, adhésions,
        payments), then one chunk per employee."""
        month = declaration.month
        assert month is not None
        establishment = declaration.establishment
        service = self.company.lot_envelope
        references = [(c.contract_reference, c.organisme_code) for c in self.company.contracts]
        for employee in employees:
            for entry in entries[employee.serial]:
                if (entry.reference, entry.organisme) not in references:
                    references.append((entry.reference, entry.organisme))
        adhesion_ids = {ref: i for i, (ref, _) in enumerate(references, start=1)}
        covered = {entry.reference for employee in employees for entry in entries[employee.serial]}
        head = self.builder.declaration_header(
            MONTHLY,
            declaration.kind,
            fraction=declaration.fraction,
            order=declaration.order,
            built=declaration.built,
            month=month,
            service=service,
        )
        head += self.builder.company_and_establishment(
            establishment, MONTHLY, len(employees), service
        )
        head += self.builder.adhesions(references, MONTHLY, covered)
        head += self.builder.payments(payments, establishment)
        yield head
        for employee in employees:
            yield self.individual(
                employee, establishment, month, entries[employee.serial], adhesion_ids
            )

    def individual(
        self,
        employee: Employee,
        establishment: Establishment,
        month: date,
        entries: list[AffiliationMonth],
        adhesion_ids: dict[str, int],
    ) -> list[Line]:
        builder = self.builder
        lines = builder.identity(employee, month, MONTHLY)
        contract_lines = builder.employment_contract(employee, MONTHLY, establishment)
        if employee.establishment != establishment.index:  # the duplicate in a 2nd establishment
            contract_lines = [
                (r, "9" + v[1:]) if r == "S21.G00.40.009" else (r, v) for r, v in contract_lines
            ]
        lines += contract_lines
        for stoppage in employee.stoppages:
            if self.stoppage_in_monthly(stoppage, month):
                lines += builder.stoppage(stoppage, month, MONTHLY)
        if employee.end is not None and month_of(employee.end.day) == month:
            lines += builder.contract_end(employee.end, MONTHLY, employee.contract_start)
        if employee.invalidity is not None and employee.invalidity[1] <= month_end(month):
            lines += builder.invalidity(employee)
        lines += builder.affiliation_blocks(entries, adhesion_ids, employee, MONTHLY)
        lines += builder.complementary_pension()
        lines += builder.pay_and_contributions(employee, month, entries)
        return lines

    def stoppage_in_monthly(self, stoppage: Stoppage, month: date) -> bool:
        if not stoppage.in_monthly:
            return False
        start = month_of(stoppage.first_day_off)
        if stoppage.cancelled:
            return month in (start, add_months(start, 1))
        last = month_of(stoppage.return_date) if stoppage.return_date else date.max
        return max(start, self.portfolio.start) <= month <= last

    def record_contributions(
        self,
        employee: Employee,
        establishment: Establishment,
        fraction: str,
        month: date,
        entries: list[AffiliationMonth],
    ) -> None:
        for entry in entries:
            if not entry.known:
                continue  # payroll does not pay the insurer for a contract it does not have
            quarterly = self.quarterly
            period = period_code(month, quarterly)
            self.ledger.add_due(
                self.company.siren, entry.reference, period, entry.declared.amount, entry.expected
            )
            key = (establishment.index, fraction, entry.organisme)
            self.to_pay[key][(entry.reference, entry.population, period)] += entry.declared.amount

    @property
    def quarterly(self) -> bool:
        return self.company.contracts[0].payment_periodicity is Periodicity.QUARTERLY

    def due_payments(
        self, establishment: Establishment, fraction: str, month: date
    ) -> list[DeclaredPayment]:
        if not is_period_last_month(month, self.quarterly):
            return []
        payments = []
        for organisme in sorted({c.organisme_code for c in self.company.contracts}):
            components = self.to_pay.pop((establishment.index, fraction, organisme), {})
            if not components:
                continue
            first, last = period_bounds(month, self.quarterly)
            contract = next(c for c in self.company.contracts if c.organisme_code == organisme)
            due = contract_due_date(contract.due_date_rule, last)
            mode = "05" if self.company.direct_debit else "02"
            payment = DeclaredPayment(
                organisme=organisme,
                period_start=first,
                period_end=last,
                mode=mode,
                pay_date=due,
                components=dict(components),
            )
            payments.append(payment)
            self.ledger.add_payment(
                PaymentDue(
                    siren=self.company.siren,
                    siret=establishment.siret,
                    fraction=fraction,
                    organisme=organisme,
                    period=period_code(month, self.quarterly),
                    period_end=last,
                    due_date=due,
                    mode=mode,
                    amount=payment.total,
                    components=_per_contract_and_period(components),
                    payer_name=self.company.name,
                    payer_iban=self.company.iban,
                    payer_bic=self.company.bic,
                )
            )
        return payments

    def without(
        self, payments: list[DeclaredPayment], entries: list[AffiliationMonth], month: date
    ) -> list[DeclaredPayment]:
        """The payments an original declaration showed when it forgot one employee."""
        result = []
        period = period_code(month, self.quarterly)
        for payment in payments:
            components = dict(payment.components)
            for entry in entries:
                key = (entry.reference, entry.population, period)
                if entry.known and entry.organisme == payment.organisme and key in components:
                    components[key] -= entry.declared.amount
            result.append(
                DeclaredPayment(
                    payment.organisme,
                    payment.period_start,
                    payment.period_end,
                    payment.mode,
                    payment.pay_date,
                    components,
                )
            )
        return result

    # -- dates ---------------------------------------------------------------------------------

    def monthly_build_date(self, month: date) -> date:
        deadline = 5 if self.company.headcount >= 50 else 15
        return add_months(month, 1).replace(day=deadline) - days(self.rng.randrange(0, 4))

    def arrival(self, built: date) -> datetime:
        moment = time(self.rng.randrange(0, 6), self.rng.randrange(60), self.rng.randrange(60))
        return datetime.combine(built + days(self.rng.randrange(0, 2)), moment)

    # -- writing -------------------------------------------------------------------------------

    def write_monthly(self, declarations: list[Declaration]) -> None:
        if self.company.lot_envelope:
            in_lot = [d for d in declarations if d.replaces is None and not d.situation]
            self.write_file(in_lot)
            for declaration in declarations:
                if declaration not in in_lot:
                    self.write_file([declaration])
        else:
            for declaration in declarations:
                self.write_file([declaration])
        for declaration in declarations:
            self.note_monthly(declaration)

    def write_file(self, declarations: list[Declaration]) -> None:
        if not declarations:
            return
        lot = self.company.lot_envelope
        for declaration in declarations:
            if not declaration.content:
                self.seal(declaration)
        arrival = max(d.arrival for d in declarations)
        first = declarations[0]
        if lot:
            lot_number = f"{self.company.index + 1:03d}{self.order:05d}"
            self.order += 1
            head, tail = dsn_writer.lot_envelope(
                lot_number,
                first.built.strftime("%d%m%Y"),
                arrival.strftime("%H%M%S"),
                len(declarations),
            )
            content = b"".join(
                [self.render(head), *(d.content for d in declarations), self.render(tail)]
            )
            name = f"LOT_{lot_number}_{arrival:%Y%m%d%H%M%S}.dsn"
        else:
            content = first.content
            name = (
                f"DSN_{first.nature}_{first.establishment.siret}_"
                f"{arrival:%Y%m%d%H%M%S}_{self.next_order()}.dsn"
            )
        if self.rng.random() < self.portfolio.fault_rate / 3:
            self.write_corrupted_copy(content, first, arrival)
        self.out.write_dsn(name, content, arrival)
        for declaration in declarations:
            declaration.file_name = name
            declaration.content = b""
            self.file_row(name, declaration, lot=lot)

    def render(self, lines: list[Line]) -> bytes:
        return dsn_writer.render(lines, encoding=self.encoding, crlf=self.company.crlf)

    def write_corrupted_copy(
        self, content: bytes, declaration: Declaration, arrival: datetime
    ) -> None:
        kind = self.rng.choice(list(FileCorruption))
        early = arrival - timedelta(hours=self.rng.randrange(1, 12))
        name = (
            f"DSN_{declaration.nature}_{declaration.establishment.siret}_"
            f"{early:%Y%m%d%H%M%S}_{self.next_order()}.dsn"
        )
        self.out.write_dsn(name, corrupt(self.rng, content, kind), early)
        self.file_row(name, declaration, lot=self.company.lot_envelope, corruption=kind)

    def file_row(
        self, name: str, declaration: Declaration, *, lot: bool, corruption: str = ""
    ) -> None:
        self.truth.row(
            "files",
            file_name=name,
            folder="dsn",
            format="dsn",
            encoding="utf-16" if corruption == FileCorruption.WRONG_ENCODING else self.encoding,
            line_ending="crlf" if self.company.crlf else "lf",
            lot=lot,
            corruption=corruption,
            nature=declaration.nature,
            type=declaration.kind,
            siren=self.company.siren,
            siret=declaration.establishment.siret,
            month=declaration.month.strftime("%Y-%m") if declaration.month else "",
            fraction=declaration.fraction,
            built_on=declaration.built.isoformat(),
            arrival=declaration.arrival.isoformat(),
            replaces_file=declaration.replaces.file_name if declaration.replaces else "",
            situation=declaration.situation,
        )
        if declaration.situation and not corruption:
            self.truth.row(
                "situations",
                situation=declaration.situation,
                siren=self.company.siren,
                siret=declaration.establishment.siret,
                month=declaration.month.strftime("%Y-%m") if declaration.month else "",
                file_name=name,
                detail=declaration.replaces.file_name if declaration.replaces else "",
            )

    def note_monthly(self, declaration: Declaration) -> None:
        """Remember where each employee and stoppage appears (effective declarations only)."""
        if declaration.situation == "declaration_remplacee" or declaration.month is None:
            return
        month = declaration.month
        establishment = declaration.establishment
        key = month.strftime("%Y-%m")
        if (original := declaration.replaces) is not None:
            kept = {e.serial for e in original.employees}
            for employee in declaration.employees:
                if employee.serial not in kept:
                    self.forgotten[(employee.serial, month)] = (original, declaration)
        self.monthly_files[(establishment.index, declaration.fraction, month)] = (
            declaration.file_name
        )
        for employee in declaration.employees:
            trace = self.traces[employee.serial]
            if employee.establishment == establishment.index:
                trace.first_file.setdefault(key, declaration.file_name)
                for number, stoppage in enumerate(employee.stoppages):
                    if self.stoppage_in_monthly(stoppage, month):
                        trace.stoppage_files[number].append(declaration.file_name)
            else:
                trace.first_file.setdefault("second:" + key, declaration.file_name)

    def declared_months(self, employee: Employee) -> list[date]:
        """The months an effective monthly DSN of his establishment declares the employee."""
        trace = self.traces[employee.serial]
        return [m for m in self.portfolio.month_list if m.strftime("%Y-%m") in trace.first_file]

    def employee_key(self, employee: Employee) -> str:
        """The employee's key as the reader finds it in the last month his files declare him
        (`Employee.key`); the window's last month for someone no monthly DSN declares."""
        declared = self.declared_months(employee)
        return employee.key(declared[-1] if declared else self.portfolio.month_list[-1])

    def declared_nir(self, employee: Employee) -> str:
        """The NIR of the employee's key, empty when he is known by his NTT only."""
        key = self.employee_key(employee)
        return "" if key.startswith(NTT_KEY_PREFIX) else key

    # -- signalements --------------------------------------------------------------------------

    def signalements(self, employee: Employee) -> None:
        window = (self.portfolio.start, self.portfolio.window_end)
        for number, stoppage in enumerate(employee.stoppages):
            if not stoppage.signalements or not window[0] <= stoppage.first_day_off <= window[1]:
                continue
            self.stoppage_signalement(employee, number, stoppage)
            if self.return_signalement_due(stoppage) and stoppage.return_date is not None:
                self.return_signalement(employee, number, stoppage, stoppage.return_date)
        fake_return = employee.faults.get(EmployeeFault.RETURN_WITHOUT_STOPPAGE)
        if isinstance(fake_return, date):
            ghost = Stoppage(
                reason="01",
                last_day_worked=fake_return - days(10),
                planned_ends=[fake_return - days(1)],
                return_date=fake_return,
            )
            self.return_signalement(employee, None, ghost, fake_return)
        if employee.end is not None and employee.end.fctu:
            self.fctu(employee, employee.end)
        elif employee.end is None and not employee.faults and self.rng.random() < 0.01:
            self.mistaken_fctu(employee)

    def signalement(
        self,
        employee: Employee,
        nature: str,
        built: date,
        body: list[Line],
        kind: str = NORMAL,
        replaced: Declaration | None = None,
    ) -> Declaration:
        establishment = self.company.establishments[employee.establishment]
        self.builder.norm = norm_version(built)
        order = self.next_order()
        replaced_id = f"{replaced.built:%d%m%Y}{replaced.order}" if replaced else None
        lines = self.builder.declaration_header(
            nature,
            kind,
            fraction="11",
            order=order,
            built=built,
            replaced_id=replaced_id,
            service=self.company.lot_envelope,
        )
        lines += self.builder.company_and_establishment(
            establishment, nature, 0, self.company.lot_envelope
        )
        lines += body
        return Declaration(
            nature,
            kind,
            establishment,
            "11",
            None,
            built,
            self.arrival(built),
            lines,
            norm=self.builder.norm,
            order=order,
        )

    def signalement_body(
        self, employee: Employee, nature: str, stoppage: Stoppage | None, month: date
    ) -> list[Line]:
        establishment = self.company.establishments[employee.establishment]
        references = [(c.contract_reference, c.organisme_code) for c in self.company.contracts]
        lines = self.builder.adhesions(references, nature)
        lines += self.builder.identity(employee, month, nature)
        lines += self.builder.employment_contract(employee, nature, establishment)
        if stoppage is not None:
            lines += self.builder.stoppage(stoppage, month, nature)
        return lines

    def stoppage_signalement(self, employee: Employee, number: int, stoppage: Stoppage) -> None:
        built = stoppage.first_day_off + days(self.rng.randrange(0, 5))
        month = month_of(stoppage.first_day_off)
        body = self.signalement_body(employee, SIGNALEMENT_ARRET, stoppage, month)
        declaration = self.signalement(employee, SIGNALEMENT_ARRET, built, body)
        trace = self.traces[employee.serial]
        if self.rng.random() < REPLACEMENT_RATE:
            # First sent with a wrong planned end, then replaced (type 03) with the right one.
            right_end = stoppage.planned_ends[0]
            wrong = [
                (r, v) if r != "S21.G00.60.003" else (r, _shift(right_end, 7))
                for r, v in declaration.lines
            ]
            declaration.lines = wrong
            declaration.situation = "declaration_remplacee"
            self.write_file([declaration])
            replacement = self.signalement(
                employee,
                SIGNALEMENT_ARRET,
                built + days(self.rng.randrange(1, 4)),
                body,
                kind=REPLACEMENT,
                replaced=declaration,
            )
            replacement.replaces = declaration
            replacement.situation = "annule_et_remplace"
            if self.rng.random() < REPLACEMENT_FIRST_RATE:
                declaration.arrival = replacement.arrival + timedelta(hours=5)
                replacement.situation = "remplacement_arrive_avant_l_original"
            self.write_file([replacement])
            trace.stoppage_files[number].insert(0, replacement.file_name)
            return
        self.write_file([declaration])
        trace.stoppage_files[number].insert(0, declaration.file_name)

    def return_signalement_due(self, stoppage: Stoppage) -> bool:
        """A 05 follows the return of a signalled stoppage, unless the return is therapeutic
        part-time (motif 02): the norm allows that motif in a monthly DSN or a FCTU only
        (S21.G00.60.011/CCH-12), so payroll declares it in the monthly DSN."""
        window = (self.portfolio.start, self.portfolio.window_end)
        return (
            stoppage.signalements
            and window[0] <= stoppage.first_day_off <= window[1]
            and stoppage.return_date is not None
            and not stoppage.cancelled
            and stoppage.return_date <= window[1]
            and stoppage.return_reason != THERAPEUTIC_PART_TIME_RETURN
        )

    def return_signalement(
        self, employee: Employee, number: int | None, stoppage: Stoppage, returned: date
    ) -> None:
        built = returned + days(self.rng.randrange(0, 4))
        body = self.signalement_body(employee, SIGNALEMENT_REPRISE, stoppage, month_of(returned))
        declaration = self.signalement(employee, SIGNALEMENT_REPRISE, built, body)
        self.write_file([declaration])
        if number is not None:
            self.traces[employee.serial].stoppage_files[number].append(declaration.file_name)
        else:
            self.traces[employee.serial].first_file["return_without_stoppage"] = (
                declaration.file_name
            )

    def fctu_body(self, employee: Employee, end: ContractEnd) -> list[Line]:
        month = month_of(end.day)
        establishment = self.company.establishments[employee.establishment]
        entries = affiliations(self.company, employee, month)
        references = [(c.contract_reference, c.organisme_code) for c in self.company.contracts]
        references += [
            (e.reference, e.organisme)
            for e in entries
            if (e.reference, e.organisme) not in references
        ]
        adhesion_ids = {ref: i for i, (ref, _) in enumerate(references, start=1)}
        body = self.builder.adhesions(references, FCTU)
        body += self.builder.identity(employee, month, FCTU)
        body += self.builder.employment_contract(employee, FCTU, establishment)
        body += self.builder.contract_end(end, FCTU, employee.contract_start)
        body += self.builder.affiliation_blocks(entries, adhesion_ids, employee, FCTU)
        body += self.builder.complementary_pension()
        body += self.builder.fctu_pay(employee, end)
        return body

    def fctu(self, employee: Employee, end: ContractEnd) -> Declaration:
        built = end.day + days(self.rng.randrange(0, 4))
        body = self.fctu_body(employee, end)
        declaration = self.signalement(employee, FCTU, built, body)
        self.write_file([declaration])
        self.traces[employee.serial].first_file["fctu"] = declaration.file_name
        return declaration

    def mistaken_fctu(self, employee: Employee) -> None:
        """A FCTU sent by mistake for someone who stays, then cancelled (type 04)."""
        months = [m for m in self.portfolio.month_list if employee.employed_in(m)]
        day = months[self.rng.randrange(len(months))].replace(day=self.rng.randrange(1, 28))
        day = max(day, employee.contract_start + days(1))
        end = ContractEnd(day=day, reason="059", maintien=False, fctu=True)
        mistake = self.fctu(employee, end)
        body = self.fctu_body(employee, end)  # a cancellation repeats what it cancels
        cancellation = self.signalement(
            employee,
            FCTU,
            mistake.built + days(self.rng.randrange(2, 10)),
            body,
            kind=CANCELLATION,
            replaced=mistake,
        )
        cancellation.replaces = mistake
        cancellation.situation = "fctu_annulee"
        mistake.situation = "fctu_envoyee_par_erreur"
        self.write_file([cancellation])
        self.truth.row(
            "situations",
            situation="fctu_envoyee_par_erreur",
            siren=self.company.siren,
            siret=mistake.establishment.siret,
            employee_key=employee.key(self.portfolio.month_list[-1]),
            file_name=mistake.file_name,
            detail=cancellation.file_name,
        )


def _per_contract_and_period(
    components: dict[tuple[str, str, str], Decimal],
) -> dict[tuple[str, str], Decimal]:
    """(contract, population, period) amounts added up per (contract, period): what a bank
    payment is allocated to. A population unknown to the insurer (AFF004) is paid like any
    other: the declared payment covers everything declared."""
    summed: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (reference, _, period), value in components.items():
        summed[(reference, period)] += value
    return dict(summed)


def _shift(day: date, count: int) -> str:
    return (day + days(count)).strftime("%d%m%Y")
