"""What the company portal exports: affiliation requests (pre-affiliation by the employer),
completions (by the employee), exemptions (dispenses) and radiations entered online.

Format (documented in FORMATS.md): CSV, `;` separated, UTF-8 with a byte-order mark (as the
portal's "export Excel" writes it), one header line with French column names, dates in
JJ/MM/AAAA. Requests are keyed by `id_demande`, which completions repeat.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO, Any

from contracts.parameters import Cover
from synthetic import identifiers, names
from synthetic.calendar import add_months, days, month_of
from synthetic.faults import EmployeeFault
from synthetic.portfolio import Company, Employee, Portfolio, SerialCounter
from synthetic.truth import ANOMALIES, Anomaly, TruthWriter

PORTAL_FILES: dict[str, tuple[str, ...]] = {
    "demandes_affiliation.csv": (
        "id_demande",
        "date_demande",
        "siren",
        "siret",
        "contrat",
        "nom",
        "prenoms",
        "date_naissance",
        "nir",
        "date_embauche",
        "statut_professionnel",
        "email_salarie",
    ),
    "completions_affiliation.csv": (
        "id_demande",
        "date_completion",
        "option",
        "nb_ayants_droit",
        "mandat_sepa",
    ),
    "dispenses.csv": (
        "id_dispense",
        "date_saisie",
        "siren",
        "siret",
        "contrat",
        "nom",
        "prenoms",
        "nir",
        "motif_code",
        "motif_libelle",
        "date_debut",
        "date_fin",
        "justificatif_recu",
    ),
    "radiations.csv": (
        "id_radiation",
        "date_saisie",
        "siren",
        "siret",
        "contrat",
        "nom",
        "prenoms",
        "nir",
        "date_radiation",
        "motif",
    ),
}
EXEMPTION_REASONS = (
    ("01", "Couverture obligatoire en tant qu'ayant droit"),
    ("02", "Salarié en CDD de moins de 3 mois"),
    ("03", "Bénéficiaire de la complémentaire santé solidaire"),
    ("04", "Contrat individuel en cours jusqu'à échéance"),
    ("05", "Salarié à temps très partiel"),
)
PENDING_DAYS = 8  # "en cours d'affiliation" for at most 8 days, then "à relancer"


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# Exemptions of employees already there were entered on the portal before the window opened.
EXEMPTION_ENTERED_BEFORE_WINDOW = days(200)


def exemption_start(employee: Employee, portfolio: Portfolio) -> date:
    """The day an employee's exemption (dispense) starts: his hiring, or for someone hired long
    before the window, the day it was entered on the portal. The truth's `dispensé` status dates
    from it too."""
    return max(employee.contract_start, portfolio.start - EXEMPTION_ENTERED_BEFORE_WINDOW)


class PortalWriter:
    def __init__(self, folder: Path, seed: int, truth: TruthWriter) -> None:
        self.rng = random.Random(f"{seed}:portal")
        self.truth = truth
        self._handles: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        for name, columns in PORTAL_FILES.items():
            handle = (folder / name).open("w", encoding="utf-8-sig", newline="")
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(columns)
            self._handles[name], self._writers[name] = handle, writer
        self.counter = 0

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:08d}"

    def company(
        self,
        company: Company,
        portfolio: Portfolio,
        serials: SerialCounter,
        declared_nir: Callable[[Employee], str],
    ) -> None:
        """The portal rows of a company's employees. `declared_nir` gives the NIR an employee's
        DSNs declare last (empty when only his NTT is known): the one the employer sees on the
        portal, which its exemptions and radiations carry."""
        sante = company.contract(Cover.SANTE)[0].contract_reference
        for employee in company.employees:
            siret = company.establishments[employee.establishment].siret
            hired_in_window = employee.contract_start >= portfolio.start
            if hired_in_window and self.rng.random() < 0.7:
                self.request(company, employee, siret, sante, portfolio)
            if employee.sante_dispensed:
                self.exemption(company, employee, siret, sante, portfolio, declared_nir(employee))
            radiated = employee.faults.get(EmployeeFault.RADIATED_BUT_DECLARED)
            if isinstance(radiated, date):
                self.write(
                    "radiations.csv",
                    self.next_id("R"),
                    _d(radiated),
                    company.siren,
                    siret,
                    sante,
                    employee.last_name,
                    employee.first_names,
                    declared_nir(employee),
                    _d(radiated),
                    "Départ de l'entreprise",
                )
        self.pending_requests(company, portfolio, serials, sante)

    def write(self, name: str, *values: object) -> None:
        self._writers[name].writerow(["" if v is None else v for v in values])

    def request(
        self, company: Company, employee: Employee, siret: str, contract: str, portfolio: Portfolio
    ) -> None:
        request_id = self.next_id("D")
        asked = employee.contract_start - days(self.rng.randrange(0, 10))
        known_nir = employee.nir if employee.ntt is None else ""
        self.write(
            "demandes_affiliation.csv",
            request_id,
            _d(asked),
            company.siren,
            siret,
            contract,
            employee.last_name,
            employee.first_names,
            _d(employee.birth),
            known_nir,
            _d(employee.contract_start),
            "cadre" if employee.category == "01" else "non-cadre",
            f"salarie{employee.serial}@example.fr",
        )
        if not employee.sante_dispensed:
            done = asked + days(self.rng.randrange(1, 8))
            if done <= portfolio.as_of:
                self.write(
                    "completions_affiliation.csv",
                    request_id,
                    _d(done),
                    employee.sante_option,
                    len(employee.dependants),
                    "oui" if self.rng.random() < 0.8 else "non",
                )

    def exemption(
        self,
        company: Company,
        employee: Employee,
        siret: str,
        contract: str,
        portfolio: Portfolio,
        nir: str,
    ) -> None:
        code, label = self.rng.choice(EXEMPTION_REASONS)
        since = exemption_start(employee, portfolio)
        self.write(
            "dispenses.csv",
            self.next_id("X"),
            _d(since),
            company.siren,
            siret,
            contract,
            employee.last_name,
            employee.first_names,
            nir,
            code,
            label,
            _d(since),
            "",
            "oui",
        )

    def pending_requests(
        self, company: Company, portfolio: Portfolio, serials: SerialCounter, contract: str
    ) -> None:
        """Requests for people not (yet) in any DSN: recent ones are simply pending; old ones
        whose hiring month's DSN is in are an anomaly (a fault)."""
        siret = company.establishments[0].siret
        if self.rng.random() < 0.3:
            asked = portfolio.as_of - days(self.rng.randrange(0, 20))
            hired = month_of(add_months(portfolio.window_end, 1)) + days(self.rng.randrange(0, 25))
            status = (
                "en cours d'affiliation"
                if (portfolio.as_of - asked).days <= PENDING_DAYS
                else "à relancer"
            )
            self.newcomer(company, portfolio, serials, siret, contract, asked, hired, status)
        if self.rng.random() < portfolio.fault_rate * 2:
            hired = portfolio.start + days(
                self.rng.randrange(0, max(1, (portfolio.window_end - portfolio.start).days - 40))
            )
            self.newcomer(
                company,
                portfolio,
                serials,
                siret,
                contract,
                hired - days(3),
                hired,
                "à relancer",
                anomaly=True,
            )

    def newcomer(
        self,
        company: Company,
        portfolio: Portfolio,
        serials: SerialCounter,
        siret: str,
        contract: str,
        asked: date,
        hired: date,
        status: str,
        anomaly: bool = False,
    ) -> None:
        sex = self.rng.choice([1, 2])
        birth = date(self.rng.randrange(1970, 2004), self.rng.randrange(1, 13), 11)
        nir = identifiers.nir(self.rng, serials.take(), sex, birth.year, birth.month)
        last = self.rng.choice(names.LAST_NAMES)
        first = self.rng.choice(names.MALE_FIRST_NAMES if sex == 1 else names.FEMALE_FIRST_NAMES)
        self.write(
            "demandes_affiliation.csv",
            self.next_id("D"),
            _d(asked),
            company.siren,
            siret,
            contract,
            last,
            first,
            _d(birth),
            nir,
            _d(hired),
            "non-cadre",
            f"nouveau{serials.next}@example.fr",
        )
        self.truth.row(
            "affiliations",
            siren=company.siren,
            siret=siret,
            employee_key=nir,
            nir=nir,
            contract_reference=contract,
            cover=Cover.SANTE,
            status=status,
            status_since=asked.isoformat(),
        )
        if anomaly:
            code = Anomaly.PORTAL_REQUEST_NOT_IN_DSN
            self.truth.row(
                "anomalies",
                code=code,
                severity=ANOMALIES[code],
                siren=company.siren,
                siret=siret,
                employee_key=nir,
                nir=nir,
                last_name=last,
                contract_reference=contract,
                month=hired.strftime("%Y-%m"),
                file_name="demandes_affiliation.csv",
                detail=f"embauche le {hired.isoformat()}",
                known_from=self.request_overdue_night(siret, asked, hired),
            )

    def request_overdue_night(self, siret: str, asked: date, hired: date) -> date | None:
        """A request is overdue once past its pending days, and only then missing from the DSN
        when the establishment's monthly DSN of the hiring month is in."""
        monthly = self.truth.monthly_night(siret, month_of(hired))
        return None if monthly is None else max(monthly, asked + days(PENDING_DAYS))
