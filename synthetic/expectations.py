"""What the pipeline should conclude about one company: expected anomalies, stoppage episodes
and signals, final affiliation statuses, and the situations worth knowing about.

Everything is derived from the company's drawn lives and faults and from where the company's
files put each employee (`CompanyFiles` traces), once the company's files are written.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from contracts.parameters import ContractParameters, Cover, FranchiseMode
from synthetic.calendar import (
    add_months,
    days,
    month_end,
    month_of,
    months_between,
    same_day_months_later,
)
from synthetic.company_files import CompanyFiles
from synthetic.contracts import SANTE_POPULATION, population_for
from synthetic.declarations import (
    UNKNOWN_OPTION_CODE,
    UNKNOWN_POPULATION_CODE,
    affiliations,
    end_before_start_dates,
)
from synthetic.faults import EmployeeFault
from synthetic.portal_files import exemption_start
from synthetic.portfolio import Employee, Stoppage
from synthetic.truth import (
    ANOMALIES,
    NTT_MONTHS_TOLERATED,
    PORTABILITY_MONTHS,
    PORTABILITY_REASONS,
    Anomaly,
    Signal,
)


def _month_key(month: date) -> str:
    return month.strftime("%Y-%m")


class CompanyExpectations:
    def __init__(self, files: CompanyFiles, *, parameters: bool = True) -> None:
        """`parameters=False`: the insurer has no parameter file for the company's contracts."""
        self.files = files
        self.parameters = parameters
        self.company = files.company
        self.portfolio = files.portfolio
        self.truth = files.truth
        self.last_month = self.portfolio.month_list[-1]

    def write(self) -> None:
        self.company_situations()
        for employee in self.company.employees:
            if not self.home_months(employee):
                continue
            self.keys(employee)
            if self.parameters:
                self.anomalies(employee)
                self.affiliation_statuses(employee)
            else:
                self.unknown_contracts(employee)
            self.forgotten_absences(employee)
            self.stoppages(employee)
            self.employee_situations(employee)

    # -- helpers -------------------------------------------------------------------------------

    def home_months(self, employee: Employee) -> list[date]:
        return self.files.declared_months(employee)

    def key(self, employee: Employee) -> str:
        return self.files.employee_key(employee)

    def declared_nir(self, employee: Employee) -> str:
        return self.files.declared_nir(employee)

    def file_of(self, employee: Employee, month: date) -> str:
        return self.files.traces[employee.serial].first_file.get(_month_key(month), "")

    def siret(self, employee: Employee) -> str:
        return self.company.establishments[employee.establishment].siret

    def fraction(self, employee: Employee) -> str:
        establishment = self.company.establishments[employee.establishment]
        return f"{employee.fraction}{establishment.fractions}"

    def month_night(self, employee: Employee, month: date) -> date | None:
        """The first night the declarations in force show the employee in `month`: his
        establishment's monthly DSN of that month, an original later replaced included, unless
        that original forgot him (then its replacement)."""
        if (forgotten := self.files.forgotten.get((employee.serial, month))) is not None:
            return self.truth.night_of(forgotten[1].file_name)
        return self.truth.monthly_night(self.siret(employee), month, self.fraction(employee))

    def keys(self, employee: Employee) -> None:
        """The key the pipeline knows an employee by on each night, when it changes over the
        window (an NTT then a NIR, a NIR fixed): the key of the latest month arrived."""
        months = self.home_months(employee)
        if len({employee.key(m) for m in months}) == 1:
            return
        for month in months:
            self.truth.row(
                "employee_keys",
                siren=self.company.siren,
                employee_key=self.key(employee),
                month=_month_key(month),
                known_from=self.month_night(employee, month),
                key=employee.key(month),
            )

    def anomaly(
        self,
        code: Anomaly,
        employee: Employee,
        month: date,
        *,
        reference: str = "",
        file_name: str | None = None,
        siret: str | None = None,
        detail: str = "",
        known_from: date | None = None,
        true_until: date | None = None,
    ) -> None:
        self.truth.row(
            "anomalies",
            code=code,
            severity=ANOMALIES[code],
            siren=self.company.siren,
            siret=siret or self.siret(employee),
            employee_key=self.key(employee),
            nir=self.declared_nir(employee),
            ntt=employee.ntt,
            last_name=employee.last_name,
            contract_start=employee.contract_start.isoformat(),
            contract_number=employee.contract_number,
            contract_reference=reference,
            month=_month_key(month),
            file_name=file_name if file_name is not None else self.file_of(employee, month),
            detail=detail,
            known_from=known_from or self.month_night(employee, month),
            true_until=true_until,
        )

    def sante(self) -> ContractParameters:
        return self.company.contract(Cover.SANTE)[0]

    def provident_contract(self, employee: Employee) -> ContractParameters | None:
        """The prévoyance contract covering the employee, as far as the insurer knows it."""
        if not self.parameters:
            return None
        for contract in self.company.contract(Cover.PREVOYANCE):
            if population_for(contract, employee.category):
                return contract
        return None

    # -- anomalies -----------------------------------------------------------------------------

    def anomalies(self, employee: Employee) -> None:
        months = self.home_months(employee)
        first = months[0]
        faults = employee.faults
        if (ref := faults.get(EmployeeFault.MISSING_AFFILIATION)) is not None:
            self.anomaly(Anomaly.NOT_AFFILIATED, employee, first, reference=str(ref))
        if isinstance(absent := faults.get(EmployeeFault.ABSENT_WITHOUT_END), date):
            establishment = self.company.establishments[employee.establishment]
            fraction = f"{employee.fraction}{establishment.fractions}"
            file_name = self.files.monthly_files.get((employee.establishment, fraction, absent), "")
            self.anomaly(
                Anomaly.ABSENT_WITHOUT_END,
                employee,
                absent,
                file_name=file_name,
                reference=self.sante().contract_reference,
                known_from=self.truth.monthly_night(establishment.siret, absent, fraction),
            )
        if (ref := faults.get(EmployeeFault.UNKNOWN_CONTRACT)) is not None:
            self.anomaly(Anomaly.UNKNOWN_CONTRACT, employee, first, reference=str(ref))
        if faults.get(EmployeeFault.UNKNOWN_OPTION):
            self.anomaly(
                Anomaly.UNKNOWN_OPTION, employee, first, reference=self.sante().contract_reference
            )
        if (ref := faults.get(EmployeeFault.UNKNOWN_POPULATION)) is not None:
            self.anomaly(Anomaly.UNKNOWN_POPULATION, employee, first, reference=str(ref))
        if faults.get(EmployeeFault.NTT_WITHOUT_NIR):
            late = add_months(month_of(employee.contract_start), NTT_MONTHS_TOLERATED)
            if late in months:
                self.anomaly(Anomaly.NTT_WITHOUT_NIR, employee, late)
        if faults.get(EmployeeFault.NIR_CHANGE_WITHOUT_31) and employee.nir_fixed_on:
            changed = [m for m in months if m >= month_of(employee.nir_fixed_on)]
            if changed:
                self.anomaly(
                    Anomaly.NIR_CHANGE_WITHOUT_S2131,
                    employee,
                    changed[0],
                    detail="ancien NIR déclaré avant le changement",
                )
        second = faults.get(EmployeeFault.SECOND_ESTABLISHMENT)
        if isinstance(second, tuple):
            other = self.company.establishments[second[0]]
            trace = self.files.traces[employee.serial]
            file_name = trace.first_file.get("second:" + _month_key(second[1]), "")
            nights = (self.month_night(employee, second[1]), self.truth.night_of(file_name))
            self.anomaly(
                Anomaly.NIR_IN_TWO_ESTABLISHMENTS,
                employee,
                second[1],
                siret=other.siret,
                file_name=file_name,
                known_from=_latest(nights),
            )
        if faults.get(EmployeeFault.DECLARED_AFTER_END) and employee.end is not None:
            self.anomaly(
                Anomaly.DECLARED_AFTER_END,
                employee,
                add_months(month_of(employee.end.day), 1),
                reference=self.sante().contract_reference,
            )
        if faults.get(EmployeeFault.DEPENDANT_MISMATCH):
            with_dependants = [
                m for m in months if any(d.since <= month_end(m) for d in employee.dependants)
            ]
            if with_dependants:
                self.anomaly(
                    Anomaly.DEPENDANT_COUNT_MISMATCH,
                    employee,
                    with_dependants[0],
                    reference=self.sante().contract_reference,
                )
        if isinstance(restated := faults.get(EmployeeFault.END_BEFORE_START), tuple):
            self.end_before_start(employee, *restated)
        if isinstance(off := faults.get(EmployeeFault.OFF_RATE), tuple):
            self.off_rate(employee, months, off)
        if faults.get(EmployeeFault.EXEMPTED_BUT_DECLARED):
            self.anomaly(
                Anomaly.DECLARED_BUT_EXEMPTED,
                employee,
                first,
                reference=self.sante().contract_reference,
            )
        if isinstance(radiated := faults.get(EmployeeFault.RADIATED_BUT_DECLARED), date):
            after = [m for m in months if m > radiated]
            if after:
                self.anomaly(
                    Anomaly.DECLARED_BUT_RADIATED,
                    employee,
                    after[0],
                    reference=self.sante().contract_reference,
                    detail=f"radié le {radiated.isoformat()}",
                )

    def end_before_start(self, employee: Employee, month: date, restated: date) -> None:
        """AFF011 from the night both months' DSNs are in force, seen in the later one; the
        detail gives the start the first one declared."""
        declared, _, _ = end_before_start_dates(month)
        self.anomaly(
            Anomaly.AFFILIATION_END_BEFORE_START,
            employee,
            restated,
            reference=self.sante().contract_reference,
            detail=f"début déclaré {declared.isoformat()}",
            known_from=_latest(
                (self.month_night(employee, month), self.month_night(employee, restated))
            ),
        )

    def unknown_contracts(self, employee: Employee) -> None:
        """Without parameter files every contract is unknown to the insurer: AFF003 on each
        affiliation, from the first month declaring it; no register row for them."""
        first: dict[str, date] = {}
        for month in self.home_months(employee):
            for entry in affiliations(self.company, employee, month):
                first.setdefault(entry.reference, month)
        for reference, month in first.items():
            self.anomaly(Anomaly.UNKNOWN_CONTRACT, employee, month, reference=reference)

    def forgotten_absences(self, employee: Employee) -> None:
        """AFF002 while an original that forgot an affiliated employee is in force: from the
        night it lands to the night its replacement declares him again (an original landing
        after its replacement is never in force)."""
        months = self.home_months(employee)
        for month in months[1:]:
            if (forgotten := self.files.forgotten.get((employee.serial, month))) is None:
                continue
            original, replacement = forgotten
            known = self.truth.night_of(original.file_name)
            until = self.truth.night_of(replacement.file_name)
            before = months[months.index(month) - 1]
            if known is None or until is None or until <= known:
                continue
            if contracts := self.affiliated_contracts(employee, before):
                sante = self.sante().contract_reference
                self.anomaly(
                    Anomaly.ABSENT_WITHOUT_END,
                    employee,
                    month,
                    file_name=original.file_name,
                    reference=sante if sante in contracts else contracts[0],
                    known_from=known,
                    true_until=until,
                )

    def affiliated_contracts(self, employee: Employee, month: date) -> list[str]:
        """The insurer's contracts the register holds the employee affiliated to after `month`
        (not those he is exempted or radiated from)."""
        sante = self.sante().contract_reference
        off_sante = employee.sante_dispensed or isinstance(
            employee.faults.get(EmployeeFault.RADIATED_BUT_DECLARED), date
        )
        return [
            entry.reference
            for entry in affiliations(self.company, employee, month)
            if entry.known and not (off_sante and entry.reference == sante)
        ]

    def off_rate(self, employee: Employee, months: list[date], off: tuple) -> None:
        reference, since, _ = off
        for month in months:
            if month < since:
                continue
            for entry in affiliations(self.company, employee, month):
                if entry.reference == reference and entry.declared.amount != entry.expected:
                    self.anomaly(
                        Anomaly.CONTRIBUTION_OFF_RATE,
                        employee,
                        month,
                        reference=reference,
                        detail=f"attendu={entry.expected} declare={entry.declared.amount}",
                    )

    # -- stoppages and signals -----------------------------------------------------------------

    def stoppages(self, employee: Employee) -> None:
        trace = self.files.traces[employee.serial]
        provident = self.provident_contract(employee)
        visible = [
            (stoppage, trace.stoppage_files[number])
            for number, stoppage in enumerate(employee.stoppages)
            if trace.stoppage_files.get(number)
        ]
        # Days off the franchise counts, per stoppage (a cumulated franchise adds them up).
        counted = [
            (stoppage.first_day_off, self.last_day_off(employee, stoppage))
            for stoppage, _ in visible
            if provident is not None
            and not stoppage.cancelled
            and stoppage.reason in provident.provident_franchise_reasons
        ]
        for stoppage, files in visible:
            self.stoppage(employee, stoppage, files, provident, counted)
        if isinstance(fake := employee.faults.get(EmployeeFault.RETURN_WITHOUT_STOPPAGE), date):
            # Known once the monthly DSN of the return month is in (it would show the stoppage).
            file_name = trace.first_file.get("return_without_stoppage", "")
            monthly = self.truth.monthly_night(self.siret(employee), month_of(fake))
            self.signal(
                Signal.RETURN_WITHOUT_STOPPAGE,
                employee,
                provident,
                fake - days(9),
                fake,
                file_name,
                known_from=_latest((self.truth.night_of(file_name), monthly)),
            )
        if employee.end is not None and employee.end.reason == "066" and provident is not None:
            month = month_of(employee.end.day)
            if month in self.home_months(employee):
                fctu = self.truth.night_of(trace.first_file.get("fctu", ""))
                self.signal(
                    Signal.DEATH,
                    employee,
                    provident,
                    None,
                    employee.end.day,
                    self.file_of(employee, month),
                    known_from=_earliest([self.month_night(employee, month), fctu]),
                )
        if employee.invalidity is not None and provident is not None:
            since = employee.invalidity[1]
            shown = [m for m in self.home_months(employee) if m >= month_of(since)]
            if shown:
                self.signal(
                    Signal.INVALIDITY,
                    employee,
                    provident,
                    None,
                    since,
                    self.file_of(employee, shown[0]),
                    detail=employee.invalidity[0],
                    known_from=self.month_night(employee, shown[0]),
                )

    def visible_planned_ends(self, employee: Employee, stoppage: Stoppage) -> list[date]:
        """The planned ends the files show, in order (signalement first, then monthly DSNs)."""
        shown = (
            [stoppage.planned_ends[0]]
            if stoppage.signalements and (stoppage.first_day_off >= self.portfolio.start)
            else []
        )
        start = month_of(stoppage.first_day_off)
        for month in self.home_months(employee):
            if self.files.stoppage_in_monthly(stoppage, month):
                if stoppage.cancelled and month != start:
                    continue
                shown.append(stoppage.planned_end_in(max(0, months_between(start, month))))
        if self.files.return_signalement_due(stoppage):
            shown.append(stoppage.planned_ends[-1])
        return shown

    def return_visible(self, employee: Employee, stoppage: Stoppage) -> bool:
        """The files show the return (a monthly DSN of its month, or a 05)."""
        return (
            stoppage.return_date is not None
            and (
                (
                    month_of(stoppage.return_date) in self.home_months(employee)
                    and stoppage.in_monthly
                )
                or self.files.return_signalement_due(stoppage)
            )
            and not stoppage.cancelled
        )

    def last_day_off(self, employee: Employee, stoppage: Stoppage) -> date:
        """The day before the visible return, else the window's end (still off)."""
        if self.return_visible(employee, stoppage) and stoppage.return_date is not None:
            return stoppage.return_date - days(1)
        return self.portfolio.window_end

    def stoppage(
        self,
        employee: Employee,
        stoppage: Stoppage,
        files: list[str],
        provident: ContractParameters | None,
        counted: list[tuple[date, date]],
    ) -> None:
        planned = self.visible_planned_ends(employee, stoppage)
        # Each planned end shown comes from one of the stoppage's files, in the same order.
        shown_in = files if len(files) == len(planned) else [files[0]] * len(planned)
        prolongations = [
            (a, b, where)
            for (a, b), where in zip(pairwise(planned), shown_in[1:], strict=False)
            if b > a
        ]
        returned = self.return_visible(employee, stoppage)
        if stoppage.cancelled:
            status = "annulé"
        elif returned:
            status = "terminé"
        else:
            status = "prolongé" if prolongations else "en cours"
        self.truth.row(
            "stoppages",
            siren=self.company.siren,
            siret=self.siret(employee),
            employee_key=self.key(employee),
            contract_start=employee.contract_start.isoformat(),
            contract_number=employee.contract_number,
            reason=stoppage.reason,
            last_day_worked=stoppage.last_day_worked.isoformat(),
            first_day_off=stoppage.first_day_off.isoformat(),
            planned_end=planned[-1].isoformat() if planned else "",
            prolongations=len(prolongations),
            return_date=stoppage.return_date.isoformat()
            if returned and stoppage.return_date
            else "",
            return_reason=stoppage.return_reason if returned else "",
            status=status,
            subrogation_end=stoppage.subrogation_end.isoformat()
            if stoppage.subrogation_end
            else "",
            therapeutic=stoppage.therapeutic_pay is not None,
            first_file=files[0],
            files=files,
        )
        first_day = stoppage.first_day_off
        # The night the stoppage is first known: its signalement, or a monthly DSN showing it.
        known = _earliest(
            [self.truth.night_of(files[0])]
            + [
                self.month_night(employee, month)
                for month in self.home_months(employee)
                if self.files.stoppage_in_monthly(stoppage, month)
            ]
        )
        self.signal(
            Signal.NEW_STOPPAGE,
            employee,
            provident,
            first_day,
            first_day,
            files[0],
            detail=stoppage.reason,
            known_from=known,
        )
        if stoppage.cancelled:
            return
        for before, after, where in prolongations:
            # Known from the first file landed that shows the new end or a later one (a 05
            # showing the last planned end lands before the monthly DSN of its month).
            showing = [f for f, end in zip(shown_in, planned, strict=True) if end >= after]
            self.signal(
                Signal.PROLONGATION,
                employee,
                provident,
                first_day,
                before + days(1),
                where,
                known_from=_earliest([self.truth.night_of(f) for f in showing]),
            )
        if returned and stoppage.return_date is not None:
            self.signal(
                Signal.RETURN,
                employee,
                provident,
                first_day,
                stoppage.return_date,
                files[-1],
                detail=stoppage.return_reason,
                known_from=self.return_night(employee, stoppage, files),
            )
        last_off = self.last_day_off(employee, stoppage)
        if (
            provident is not None
            and provident.provident_franchise_days
            and stoppage.reason in provident.provident_franchise_reasons
        ):
            cumulated = provident.provident_franchise_mode is FranchiseMode.CUMULATED_12_MONTHS
            allowances = allowances_start(
                (first_day, last_off),
                provident.provident_franchise_days,
                [period for period in counted if period[0] < first_day] if cumulated else [],
            )
            # True once the data shows him still off that day (the return, when known, is
            # later): the stoppage rules observe up to the end of the latest declared month.
            if allowances is not None:
                self.signal(
                    Signal.FRANCHISE_REACHED,
                    employee,
                    provident,
                    first_day,
                    allowances,
                    files[0],
                    known_from=known,
                    still_off_on=allowances,
                )
        if first_day + days(365) <= last_off:
            self.signal(
                Signal.LONGER_THAN_A_YEAR,
                employee,
                provident,
                first_day,
                first_day + days(365),
                files[0],
                known_from=known,
                still_off_on=first_day + days(365),
            )
        if stoppage.subrogation_end is not None and stoppage.subrogation_end < last_off:
            self.signal(
                Signal.SUBROGATION_ENDED_WHILE_OFF,
                employee,
                provident,
                first_day,
                stoppage.subrogation_end,
                files[0],
                known_from=known,
                still_off_on=stoppage.subrogation_end + days(1),
            )
        if not stoppage.in_monthly:
            # Known once the monthly DSN of the first day off's month is in without it.
            monthly = self.truth.monthly_night(self.siret(employee), month_of(first_day))
            self.signal(
                Signal.SIGNALEMENT_NOT_IN_MONTHLY,
                employee,
                provident,
                first_day,
                first_day,
                files[0],
                known_from=_latest((known, monthly)),
            )
        if employee.faults.get(EmployeeFault.OVERLAPPING_STOPPAGE) and stoppage.reason == "06":
            self.signal(
                Signal.OVERLAPPING_STOPPAGES,
                employee,
                provident,
                first_day,
                first_day,
                files[0],
                known_from=known,
            )

    def return_night(self, employee: Employee, stoppage: Stoppage, files: list[str]) -> date | None:
        """The first night a file shows the return: the 05, or the monthly DSN of its month."""
        assert stoppage.return_date is not None
        month = month_of(stoppage.return_date)
        nights = (
            [self.truth.night_of(files[-1])] if self.files.return_signalement_due(stoppage) else []
        )
        if stoppage.in_monthly and month in self.home_months(employee):
            nights.append(self.month_night(employee, month))
        return _earliest(nights)

    def signal(
        self,
        code: Signal,
        employee: Employee,
        provident: ContractParameters | None,
        first_day: date | None,
        on: date,
        file_name: str,
        detail: str = "",
        *,
        known_from: date | None,
        still_off_on: date | None = None,
    ) -> None:
        self.truth.row(
            "signals",
            code=code,
            siren=self.company.siren,
            siret=self.siret(employee),
            employee_key=self.key(employee),
            contract_start=employee.contract_start.isoformat(),
            contract_number=employee.contract_number,
            contract_reference=provident.contract_reference if provident else "",
            stoppage_first_day=first_day.isoformat() if first_day else "",
            signal_date=on.isoformat(),
            file_name=file_name,
            detail=detail,
            known_from=known_from,
            still_off_on=still_off_on,
        )

    # -- affiliation statuses ------------------------------------------------------------------

    def affiliation_statuses(self, employee: Employee) -> None:
        faults = employee.faults
        for contract in self.company.contracts:
            if contract.cover is Cover.SANTE:
                option: str | None = employee.sante_option
                population: str | None = SANTE_POPULATION.code
            else:
                option, population = None, population_for(contract, employee.category)
            if population is None or faults.get(EmployeeFault.MISSING_AFFILIATION) == (
                contract.contract_reference
            ):
                continue
            if faults.get(EmployeeFault.UNKNOWN_OPTION) and option is not None:
                option = UNKNOWN_OPTION_CODE
            if faults.get(EmployeeFault.UNKNOWN_POPULATION) == contract.contract_reference:
                population = UNKNOWN_POPULATION_CODE
            status, since, portability_end = self.status(employee, contract)
            self.truth.row(
                "affiliations",
                siren=self.company.siren,
                siret=self.siret(employee),
                employee_key=self.key(employee),
                nir=self.declared_nir(employee),
                ntt=employee.ntt,
                contract_reference=contract.contract_reference,
                cover=contract.cover,
                option=option or "",
                population=population,
                status=status,
                status_since=since.isoformat(),
                portability_end=portability_end.isoformat() if portability_end else "",
                end_reason=employee.end.reason if employee.end and status != "affilié" else "",
            )

    def status(
        self, employee: Employee, contract: ContractParameters
    ) -> tuple[str, date, date | None]:
        end = employee.end
        radiated = employee.faults.get(EmployeeFault.RADIATED_BUT_DECLARED)
        if contract.cover is Cover.SANTE and employee.sante_dispensed:
            return "dispensé", exemption_start(employee, self.portfolio), None
        if contract.cover is Cover.SANTE and isinstance(radiated, date):
            return "radié", radiated, None
        if end is None or end.maintien:
            return "affilié", employee.contract_start, None
        if end.reason in PORTABILITY_REASONS:
            # covered up to the same day PORTABILITY_MONTHS months after the end, that day included
            portability_end = same_day_months_later(end.day, PORTABILITY_MONTHS)
            if portability_end >= self.portfolio.as_of:
                return "en portabilité", end.day + days(1), portability_end
        return "radié", end.day, None

    # -- situations ----------------------------------------------------------------------------

    def situation(
        self,
        name: str,
        employee: Employee | None,
        month: date | None,
        detail: str = "",
        reference: str = "",
    ) -> None:
        self.truth.row(
            "situations",
            situation=name,
            siren=self.company.siren,
            siret=self.siret(employee) if employee else self.company.establishments[0].siret,
            employee_key=self.key(employee) if employee else "",
            contract_reference=reference,
            month=_month_key(month) if month else "",
            file_name=self.file_of(employee, month) if employee and month else "",
            detail=detail,
        )

    def company_situations(self) -> None:
        company = self.company
        if len(company.establishments) > 1:
            self.situation(
                "etablissements_multiples", None, None, detail=str(len(company.establishments))
            )
        if any(e.fractions > 1 for e in company.establishments):
            self.situation("declaration_fractionnee", None, None)
        if company.lot_envelope:
            self.situation("enveloppe_lot", None, None)
        for contract in company.contracts:
            if len({r.effective_from for r in contract.rates}) > 1:
                self.situation(
                    "revision_de_taux", None, None, reference=contract.contract_reference
                )

    def employee_situations(self, employee: Employee) -> None:
        months = self.home_months(employee)
        if employee.ntt and employee.nir_from and employee.nir_from in months:
            self.situation("ntt_remplace_par_nir", employee, employee.nir_from)
        if employee.nir_fixed_on and not employee.faults.get(EmployeeFault.NIR_CHANGE_WITHOUT_31):
            month = month_of(employee.nir_fixed_on)
            if month in months:
                self.situation("changement_nir_s2131", employee, month)
        if employee.end is not None and month_of(employee.end.day) in months:
            month = month_of(employee.end.day)
            if employee.end.maintien:
                self.situation("maintien_affiliation", employee, month, employee.end.reason)
            elif employee.end.reason == "066":
                self.situation("deces", employee, month)
            elif employee.end.reason in PORTABILITY_REASONS:
                self.situation("portabilite", employee, month, employee.end.reason)
            else:
                self.situation("radiation_fin_de_contrat", employee, month, employee.end.reason)
        if month_of(employee.contract_start) in months:
            self.situation("embauche", employee, month_of(employee.contract_start))
        if employee.invalidity is not None:
            shown = [m for m in months if m >= month_of(employee.invalidity[1])]
            if shown:
                self.situation("invalidite", employee, shown[0], employee.invalidity[0])
        for dependant in employee.dependants:
            if month_of(dependant.since) in months and dependant.since >= self.portfolio.start:
                self.situation("ayant_droit_ajoute", employee, month_of(dependant.since))
        for stoppage in employee.stoppages:
            if stoppage.therapeutic_pay is not None and month_of(stoppage.first_day_off) in months:
                self.situation(
                    "temps_partiel_therapeutique", employee, month_of(stoppage.first_day_off)
                )
            if stoppage.cancelled and add_months(month_of(stoppage.first_day_off), 1) in months:
                self.situation(
                    "arret_annule", employee, add_months(month_of(stoppage.first_day_off), 1)
                )


def _latest(nights: tuple[date | None, ...]) -> date | None:
    """The night all of these are known (None when one never is)."""
    return None if None in nights else max(n for n in nights if n is not None)


def _earliest(nights: list[date | None]) -> date | None:
    """The night the first of these is known."""
    return min((n for n in nights if n is not None), default=None)


def allowances_start(
    own: tuple[date, date], franchise_days: int, earlier: list[tuple[date, date]]
) -> date | None:
    """The first day off of `own` (first day, last day off) with `franchise_days` days off
    before it: its own days, plus the days of `earlier` stoppages (started before it) within the
    year before that day and before `own` started (a cumulated franchise; none for a continuous
    one). None when `own` ends first."""
    first, last = own
    for offset in range(franchise_days + 1):
        day = first + days(offset)
        if day > last:
            return None
        year_before = _a_year_before(day)
        before = sum(
            max(0, (min(end, first - days(1)) - max(start, year_before)).days + 1)
            for start, end in earlier
        )
        if offset + before >= franchise_days:
            return day
    return None


def _a_year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)
