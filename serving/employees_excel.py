"""The employees list of one company as an Excel file, read from the serving snapshot (the
portal's « extraction en format Excel »): what the portal shows, never the working warehouse."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from warehouse.connections import connect_serving

HEADERS = {
    "last_name": "Nom",
    "first_names": "Prénoms",
    "nir": "NIR",
    "ntt": "NTT",
    "birth_date": "Date de naissance",
    "siret": "SIRET",
    "contract_start": "Début du contrat",
    "contract_number": "N° de contrat",
    "category": "Statut catégoriel",
    "contract_nature": "Nature du contrat",
    "end_date": "Fin du contrat",
    "affiliations": "Affiliations (contrat : état)",
}

_QUERY = """
    SELECT e.last_name, e.first_names, e.nir, e.ntt,
        try_strptime(e.birth_date, '%d%m%Y')::DATE AS birth_date, e.siret, e.contract_start,
        e.contract_number, e.category, e.contract_nature, e.end_date,
        (SELECT string_agg(a.contract_reference || ' : ' || a.status, ', '
                           ORDER BY a.contract_reference)
         FROM portal_v1.affiliation_states AS a
         WHERE a.siren = e.siren AND a.employee_key = e.employee_key) AS affiliations
    FROM portal_v1.employees AS e
    WHERE e.siren = ?
    ORDER BY e.last_name, e.first_names, e.contract_start, e.contract_number
"""


class UnknownCompanyError(LookupError):
    pass


def write_employees_excel(serving_path: Path, siren: str, out: Path) -> int:
    """Write the company's employees (one row per employment contract); return the row count."""
    with connect_serving(serving_path) as connection:
        known = connection.execute(
            "SELECT count(*) FROM portal_v1.companies WHERE siren = ?", [siren]
        ).fetchone()
        if not known or not known[0]:
            raise UnknownCompanyError(f"SIREN {siren} inconnu de la publication {serving_path}")
        rows = connection.execute(_QUERY, [siren]).fetchall()
        night = connection.execute("SELECT night FROM portal_v1.publication").fetchone()
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(out)
    try:
        sheet = workbook.add_worksheet("Salariés")
        bold = workbook.add_format({"bold": True})
        header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        day = workbook.add_format({"num_format": "dd/mm/yyyy"})
        as_of = f" – données de la nuit du {night[0]:%d/%m/%Y}" if night else ""
        sheet.write(0, 0, f"Salariés – SIREN {siren}{as_of}", bold)
        first = 2
        for col, label in enumerate(HEADERS.values()):
            sheet.write(first, col, label, header)
        for offset, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(first + offset, col, datetime(*value.timetuple()[:3]), day)
                else:  # NIR, SIRET and codes stay text: leading zeros matter
                    sheet.write_string(first + offset, col, str(value))
        sheet.freeze_panes(first + 1, 0)
        sheet.autofilter(first, 0, first + len(rows), len(HEADERS) - 1)
        for col, width in enumerate((20, 20, 16, 12, 14, 16, 14, 12, 10, 10, 14, 40)):
            sheet.set_column(col, col, width)
    finally:
        workbook.close()
    return len(rows)
