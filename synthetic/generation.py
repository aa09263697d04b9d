"""`generate`: the whole landing directory, company after company, then the bank."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from contracts.parameters import Periodicity, PmssTable
from synthetic.company_files import CompanyFiles
from synthetic.contracts import ASSUMED_PMSS_YEARS, PMSS_BY_YEAR
from synthetic.expectations import CompanyExpectations
from synthetic.faults import inject_employee_faults
from synthetic.ledger import Ledger
from synthetic.output import OutputFolder
from synthetic.payments import BankSimulation
from synthetic.portal_files import PORTAL_FILES, PortalWriter
from synthetic.portfolio import Portfolio, SerialCounter, company_sizes, draw_company
from synthetic.truth import PORTABILITY_MONTHS, PORTABILITY_REASONS, TruthWriter

GENERATOR_VERSION = "1"


@dataclass(frozen=True)
class Summary:
    companies: int
    employees: int
    files: int
    bytes: int
    out_dir: Path


def generate(
    out_dir: Path | str,
    *,
    companies: int = 8,
    employees: int = 150,
    months: int = 12,
    start: date = date(2025, 1, 1),
    seed: int = 1,
    fault_rate: float = 0.03,
    quarterly: int = 0,
    without_parameters: int = 0,
) -> Summary:
    """Write a synthetic portfolio's landing directory (dsn/, bank/, reference/, portal/,
    truth/) into `out_dir`, which must not already hold a generated portfolio.

    The first `quarterly` companies pay quarterly (S21.G00.55.004 `AAAAT0n`, quarterly
    payments and due dates), whatever their draw; the first `without_parameters` companies'
    contracts have no parameter file in `reference/` (as real landings with DSN files only): the
    truth expects every affiliation to them as AFF003, none of the checks their parameters would
    allow, and their ledger provisional. They get no employee faults."""
    root = Path(out_dir)
    if (root / "dsn").exists() and any((root / "dsn").iterdir()):
        raise FileExistsError(f"{root} contient déjà un portefeuille généré")
    if (
        not 1 <= months <= 48
        or companies < 1
        or not 0 <= fault_rate <= 1
        or not 0 <= quarterly <= companies
        or not 0 <= without_parameters <= companies
    ):
        raise ValueError("paramètres de génération invalides")
    portfolio = Portfolio(
        seed=seed, start=start.replace(day=1), months=months, fault_rate=fault_rate
    )
    years = {month.year for month in portfolio.month_list}
    if unknown := sorted(years - PMSS_BY_YEAR.keys()):
        raise ValueError(f"pas de plafond de la sécurité sociale connu pour {unknown}")
    out = OutputFolder(root)
    truth = TruthWriter(root / "truth")
    portal = PortalWriter(root / "portal", seed, truth)
    ledger = Ledger()
    serials = SerialCounter()
    sizes = company_sizes(random.Random(f"{seed}:sizes"), companies, employees)
    total_employees = 0
    for index, size in enumerate(sizes):
        company = draw_company(portfolio, index, size, serials)
        if index < quarterly:
            company.contracts = [
                c.model_copy(update={"payment_periodicity": Periodicity.QUARTERLY})
                for c in company.contracts
            ]
        parameters = index >= without_parameters
        inject_employee_faults(
            random.Random(f"{seed}:faults:{index}"),
            company,
            portfolio,
            fault_rate if parameters else 0.0,
        )
        for contract in company.contracts:
            ledger.add_contract(contract, parameters=parameters)
            if parameters:
                write_reference(
                    out, contract.contract_reference, contract.model_dump_json(indent=2), portfolio
                )
        files = CompanyFiles(portfolio, company, out, truth, ledger)
        files.run()
        CompanyExpectations(files, parameters=parameters).write()
        portal.company(company, portfolio, serials, files.declared_nir)
        total_employees += company.headcount
    portal.close()
    stamp_folder(out, "portal", portfolio)
    table = PmssTable(pmss_by_year=PMSS_BY_YEAR, assumed_years=ASSUMED_PMSS_YEARS)
    write_reference(out, "pmss", table.model_dump_json(indent=2), portfolio)
    bank = BankSimulation(seed, ledger, fault_rate)
    bank.run()
    bank.write_files(out)
    bank.write_truth(truth)
    for name in PORTAL_FILES:
        truth.row(
            "files",
            file_name=name,
            folder="portal",
            format="csv",
            encoding="utf-8-sig",
            line_ending="crlf",
        )
    truth.close(
        {
            "generator_version": GENERATOR_VERSION,
            "seed": seed,
            "start": portfolio.start.isoformat(),
            "months": months,
            "companies": companies,
            "employees_drawn": total_employees,
            "fault_rate": fault_rate,
            "quarterly": quarterly,
            "without_parameters": without_parameters,
            "as_of": portfolio.as_of.isoformat(),
            "window_end": portfolio.window_end.isoformat(),
            "portability_reasons": sorted(PORTABILITY_REASONS),
            "portability_months": PORTABILITY_MONTHS,
        }
    )
    stamp_folder(out, "truth", portfolio)
    return Summary(
        companies=companies,
        employees=total_employees,
        files=out.files,
        bytes=out.bytes,
        out_dir=root,
    )


def write_reference(out: OutputFolder, name: str, text: str, portfolio: Portfolio) -> None:
    moment = datetime.combine(portfolio.start, time(0, 0), tzinfo=UTC).replace(tzinfo=None)
    out.write("reference", name.replace("/", "_") + ".json", (text + "\n").encode("utf-8"), moment)


def stamp_folder(out: OutputFolder, folder: str, portfolio: Portfolio) -> None:
    moment = datetime.combine(portfolio.as_of, time(0, 0))
    for path in sorted((out.root / folder).iterdir()):
        out.stamp(path, moment)
