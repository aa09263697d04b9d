"""The steward's Excel workbook: the anomalies to handle, one row each, and a summary per rule.

Written with xlsxwriter directly rather than `polars.write_excel` for a plain autofilter range
(not an Excel table object), explicit text cells for NIRs and SIRETs (Excel would turn them into
numbers and drop leading zeros) and real date cells.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import xlsxwriter

from quality.anomalies.model import severity_label, status_label
from quality.report.content import StewardReport

ANOMALIES_SHEET = "Anomalies à traiter"
SUMMARY_SHEET = "Synthèse par règle"

# (header, width, how to read the value from a row of StewardReport.active, kind)
_Column = tuple[str, int, Callable[[dict[str, Any]], Any], str]
ANOMALY_COLUMNS: tuple[_Column, ...] = (
    ("Identifiant", 18, lambda r: r["anomaly_id"], "text"),
    ("Code", 8, lambda r: r["rule_code"], "text"),
    ("Anomalie", 48, lambda r: r["rule_label"], "text"),
    ("Gravité", 11, lambda r: severity_label(r["severity"]), "text"),
    ("Statut", 16, lambda r: status_label(r["status"]), "text"),
    ("Nouvelle", 9, lambda r: "oui" if r["is_new"] else "non", "text"),
    ("SIREN", 11, lambda r: r["siren"], "text"),
    ("SIRET", 16, lambda r: r["siret"], "text"),
    ("Salarié", 26, lambda r: r["employee_name"], "text"),
    ("NIR / NTT", 16, lambda r: r["employee_key"], "text"),
    ("Contrat", 16, lambda r: r["contract_reference"], "text"),
    ("Date d'affiliation", 12, lambda r: r["affiliation_date"], "date"),
    ("Période", 9, lambda r: r["period"], "month"),
    ("Détail", 70, lambda r: r["detail"], "text"),
    ("Que faire", 70, lambda r: r["explanation"], "text"),
    (
        "Déclaration",
        30,
        lambda r: (
            r["source_file"]
            and r["source_file"] + (f", ligne {r['source_line']}" if r["source_line"] else "")
        ),
        "text",
    ),
    ("Vue depuis", 12, lambda r: r["first_seen"], "date"),
    ("Dernière vue", 12, lambda r: r["last_seen"], "date"),
)

SUMMARY_COLUMNS: tuple[_Column, ...] = (
    ("Code", 8, lambda r: r["rule_code"], "text"),
    ("Anomalie", 60, lambda r: r["rule_label"], "text"),
    ("Gravité", 11, lambda r: severity_label(r["severity"]), "text"),
    ("À traiter", 10, lambda r: r["active"], "number"),
    ("Dont prises en charge", 12, lambda r: r["acknowledged"], "number"),
    ("Nouvelles", 10, lambda r: r["new_tonight"], "number"),
    ("Résolues par les données", 12, lambda r: r["resolved_by_data_tonight"], "number"),
    ("Résolues par un gestionnaire", 12, lambda r: r["resolved_by_steward_tonight"], "number"),
)


def write_excel(report: StewardReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    try:
        formats = {
            "header": workbook.add_format(
                {
                    "bold": True,
                    "bg_color": "#1D3F72",
                    "font_color": "#FFFFFF",
                    "text_wrap": True,
                    "valign": "top",
                }
            ),
            "text": workbook.add_format({"valign": "top", "text_wrap": False}),
            "date": workbook.add_format({"num_format": "dd/mm/yyyy", "valign": "top"}),
            "month": workbook.add_format({"num_format": "mm/yyyy", "valign": "top"}),
            "number": workbook.add_format({"valign": "top"}),
        }
        _sheet(workbook, ANOMALIES_SHEET, ANOMALY_COLUMNS, report.active.to_dicts(), formats)
        _sheet(workbook, SUMMARY_SHEET, SUMMARY_COLUMNS, report.per_rule.to_dicts(), formats)
        workbook.set_properties(
            {
                "title": f"Anomalies d'affiliation — nuit du {report.night:%d/%m/%Y}",
                "comments": "Document interne : contient des NIR.",
            }
        )
    finally:
        workbook.close()
    return path


def _sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    columns: tuple[_Column, ...],
    rows: list[dict[str, Any]],
    formats: dict[str, Any],
) -> None:
    sheet = workbook.add_worksheet(name)
    for index, (header, width, _, _) in enumerate(columns):
        sheet.write_string(0, index, header, formats["header"])
        sheet.set_column(index, index, width)
    for row_index, row in enumerate(rows, start=1):
        for index, (_, _, value_of, kind) in enumerate(columns):
            value = value_of(row)
            if value is None:
                sheet.write_blank(row_index, index, None, formats[kind])
            elif kind in ("date", "month"):
                sheet.write_datetime(row_index, index, value, formats[kind])
            elif kind == "number":
                sheet.write_number(row_index, index, value, formats[kind])
            else:
                sheet.write_string(row_index, index, str(value), formats[kind])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
