"""The steward's Excel workbook: the anomalies to handle, one row each, a summary per rule, and
the decision columns a steward fills so that the next night applies them
(`quality.anomalies.decisions` reads the workbook back; its sheet and headers are defined there).

Written with xlsxwriter directly rather than `polars.write_excel` for a plain autofilter range
(not an Excel table object), explicit text cells for NIRs and SIRETs (Excel would turn them into
numbers and drop leading zeros), real date cells and data validation on the decision columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import xlsxwriter

from quality.anomalies.decisions import (
    ACTION_WORDS,
    DECISION_HEADER,
    EFFECTIVE_DATE_HEADER,
    ID_HEADER,
    REASON_HEADER,
    STEWARD_HEADER,
    WORKBOOK_NIGHT_PROPERTY,
    WORKBOOK_SHEET,
)
from quality.anomalies.model import severity_label, status_label
from quality.report.content import StewardReport

ANOMALIES_SHEET = WORKBOOK_SHEET
SUMMARY_SHEET = "Synthèse par règle"
HOW_TO_SHEET = "Mode d'emploi"

# (header, width, how to read the value from a row of StewardReport.active, kind)
_Column = tuple[str, int, Callable[[dict[str, Any]], Any], str]
ANOMALY_COLUMNS: tuple[_Column, ...] = (
    (ID_HEADER, 18, lambda r: r["anomaly_id"], "text"),
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
    # Filled by the steward: blank cells of their own colour, checked by data validation.
    (DECISION_HEADER, 22, lambda r: None, "input"),
    (REASON_HEADER, 40, lambda r: None, "input"),
    (EFFECTIVE_DATE_HEADER, 12, lambda r: None, "input_date"),
    (STEWARD_HEADER, 16, lambda r: None, "input"),
)
_WORDS = ", ".join(ACTION_WORDS)
# (header, what Excel checks, the help shown when the cell is selected)
_VALIDATIONS: tuple[tuple[str, dict[str, Any], str], ...] = (
    (
        DECISION_HEADER,
        {"validate": "list", "source": list(ACTION_WORDS)},
        "Choisir dans la liste ; laisser vide pour ne rien décider.",
    ),
    (
        EFFECTIVE_DATE_HEADER,
        {"validate": "date", "criteria": "between", "minimum": date(1900, 1, 1)}
        | {"maximum": date(2999, 12, 31)},
        "JJ/MM/AAAA, seulement pour forcer l'affiliation ou la radiation.",
    ),
    (REASON_HEADER, {"validate": "any"}, "Obligatoire sauf pour « prendre en charge »."),
    (STEWARD_HEADER, {"validate": "any"}, "Votre identifiant : il est gardé avec la décision."),
)

HOW_TO = (
    "Décider depuis ce classeur",
    "",
    f"1. Dans la feuille « {ANOMALIES_SHEET} », remplir pour chaque anomalie décidée les "
    "colonnes de droite :",
    f"   • « {DECISION_HEADER} » : {_WORDS} (liste déroulante) ;",
    f"   • « {REASON_HEADER} » : obligatoire, sauf pour « prendre en charge » ;",
    f"   • « {EFFECTIVE_DATE_HEADER} » : JJ/MM/AAAA, seulement pour forcer l'affiliation ou la "
    "radiation (facultative) ;",
    f"   • « {STEWARD_HEADER} » : votre identifiant, gardé avec la décision.",
    f"   Ne pas modifier la colonne « {ID_HEADER} ». Les lignes sans décision sont ignorées.",
    "2. Enregistrer le classeur (format .xlsx) dans le répertoire des décisions : le dossier "
    "« decisions » à côté de l'entrepôt, sauf paramétrage contraire.",
    "3. La nuit suivante applique les décisions. Une ligne refusée (décision inconnue, motif "
    "manquant, date illisible, identifiant modifié) est signalée avec sa raison et n'est pas "
    "appliquée : la corriger et enregistrer à nouveau.",
    "Le classeur peut rester dans le répertoire et être complété : une décision déjà appliquée "
    "ne l'est jamais une seconde fois.",
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
            "input_header": workbook.add_format(
                {"bold": True, "bg_color": "#B54708", "font_color": "#FFFFFF", "valign": "top"}
            ),
            "input": workbook.add_format({"valign": "top", "bg_color": "#FEF6E7"}),
            "input_date": workbook.add_format(
                {"num_format": "dd/mm/yyyy", "valign": "top", "bg_color": "#FEF6E7"}
            ),
        }
        active = report.active.to_dicts()
        sheet = _sheet(workbook, ANOMALIES_SHEET, ANOMALY_COLUMNS, active, formats)
        _validate_decisions(sheet, len(active))
        _sheet(workbook, SUMMARY_SHEET, SUMMARY_COLUMNS, report.per_rule.to_dicts(), formats)
        _how_to(workbook)
        workbook.set_properties(
            {
                "title": f"Anomalies d'affiliation — nuit du {report.night:%d/%m/%Y}",
                "comments": "Document interne : contient des NIR.",
            }
        )
        # Read back with the decisions: the same decision in this workbook saved again
        # (completed, sorted) keeps its id, so that the next nights never apply it twice.
        workbook.set_custom_property(WORKBOOK_NIGHT_PROPERTY, report.night.isoformat())
    finally:
        workbook.close()
    return path


def _sheet(
    workbook: xlsxwriter.Workbook,
    name: str,
    columns: tuple[_Column, ...],
    rows: list[dict[str, Any]],
    formats: dict[str, Any],
) -> Any:
    sheet = workbook.add_worksheet(name)
    for index, (header, width, _, kind) in enumerate(columns):
        header_format = formats["input_header" if kind.startswith("input") else "header"]
        sheet.write_string(0, index, header, header_format)
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
    return sheet


def _validate_decisions(sheet: Any, rows: int) -> None:
    if not rows:
        return
    headers = [header for header, *_ in ANOMALY_COLUMNS]
    for header, rule, help_text in _VALIDATIONS:
        column = headers.index(header)
        sheet.data_validation(
            1,
            column,
            rows,
            column,
            rule
            | {
                "input_title": header,
                "input_message": help_text,
                "error_title": header,
                "error_message": help_text,
            },
        )


def _how_to(workbook: xlsxwriter.Workbook) -> None:
    sheet = workbook.add_worksheet(HOW_TO_SHEET)
    sheet.set_column(0, 0, 110)
    title = workbook.add_format({"bold": True, "font_size": 14, "font_color": "#1D3F72"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    for index, line in enumerate(HOW_TO):
        sheet.write_string(index, 0, line, title if index == 0 else wrapped)
