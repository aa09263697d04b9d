"""`dsnpipe validate PATH... [--json]`: the insurer's return on DSN files, for an operator.

Per file: the declarations (nature, type, SIRET, month, status) then the diagnostics grouped by
severity. Exit 0 when no declaration is rejected, 1 when one is or a file is unreadable (argparse
exits 2 on wrong usage). A bad file never ends in a traceback: it is reported as unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from dsn_parser.model import DeclarationStatus, Severity

STATUS_LABELS = {
    DeclarationStatus.ACCEPTED: "Acceptée",
    DeclarationStatus.ACCEPTED_WITH_ANOMALIES: "Acceptée avec anomalies",
    DeclarationStatus.PARTIALLY_ACCEPTED: "Partiellement acceptée",
    DeclarationStatus.REJECTED: "Rejetée",
}
LOG_WIDTH = 200
SEVERITY_LABELS = {Severity.ERROR.value: "erreur", Severity.WARNING.value: "avertissement"}
SEVERITY_TITLES = {Severity.ERROR: "Erreurs", Severity.WARNING: "Avertissements"}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="CHEMIN", help="fichier DSN (.dsn, .gz, .zip)")
    parser.add_argument(
        "--json", action="store_true", help="un document JSON au lieu du compte rendu lisible"
    )


def run(args: argparse.Namespace) -> int:
    reports = [report for path in args.paths for report in file_reports(path)]
    if args.json:
        json.dump({"files": reports}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_reports(reports)
    return 1 if any(report["rejected"] for report in reports) else 0


def file_reports(path: str) -> list[dict[str, Any]]:
    """One report per DSN file found at `path` (a zip may hold several)."""
    from dsn_parser import parse

    if not Path(path).is_file():
        return [_unreadable(path, "Fichier introuvable ou illisible.")]
    try:
        parsed_files = parse(path)
    except Exception as error:  # a bad file is reported, never a traceback
        return [_unreadable(path, f"Lecture impossible ({type(error).__name__}).")]
    return [_report(parsed) for parsed in parsed_files]


def _report(parsed: Any) -> dict[str, Any]:
    declarations = [
        {
            "nature": row["nature"],
            "type": row["type"],
            "siret": row["siret"],
            "month": row["month"].isoformat() if row["month"] else None,
            "status": row["status"],
        }
        for row in parsed.declarations.sort("declaration_id").iter_rows(named=True)
    ]
    diagnostics = [
        {
            "code": row["code"],
            "severity": row["severity"],
            "line": row["line"],
            "rubric": row["rubric"],
            "label": row["label"],
            "message": row["message"],
        }
        for row in parsed.diagnostics.iter_rows(named=True)
    ]
    return {
        "path": parsed.source,
        "encoding": parsed.encoding,
        "norm": parsed.norm,
        "rejected": parsed.rejected,
        "declarations": declarations,
        "diagnostics": diagnostics,
    }


def _unreadable(path: str, message: str) -> dict[str, Any]:
    return {
        "path": path,
        "encoding": None,
        "norm": None,
        "rejected": True,
        "declarations": [],
        "diagnostics": [
            {
                "code": "FILE-UNREADABLE",
                "severity": Severity.ERROR.value,
                "line": None,
                "rubric": None,
                "label": None,
                "message": message,
            }
        ],
    }


def _print_reports(reports: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    # Piped to a log file, rich would wrap at 80 columns: keep a readable width there.
    console = Console() if sys.stdout.isatty() else Console(width=LOG_WIDTH)
    for report in reports:
        console.rule(f"[bold]{report['path']}")
        console.print(
            f"Encodage : {report['encoding'] or '—'}    Norme : {report['norm'] or '—'}    "
            f"Déclarations : {len(report['declarations'])}"
        )
        if report["declarations"]:
            table = Table("Nature", "Type", "SIRET", "Mois", "Statut", title="Déclarations")
            for declaration in report["declarations"]:
                table.add_row(
                    _nature_label(declaration["nature"]),
                    _type_label(declaration["type"]),
                    declaration["siret"] or "—",
                    declaration["month"] or "—",
                    _status_label(declaration["status"]),
                )
            console.print(table)
        if report["diagnostics"]:
            console.print(_summary_table(report["diagnostics"]))
        for severity, title in SEVERITY_TITLES.items():
            found = [d for d in report["diagnostics"] if d["severity"] == severity.value]
            if not found:
                continue
            table = Table(
                "Ligne", "Rubrique", "Libellé", "Code", "Message", title=f"{title} ({len(found)})"
            )
            for diagnostic in found:
                table.add_row(
                    str(diagnostic["line"] or "—"),
                    diagnostic["rubric"] or "—",
                    diagnostic["label"] or "",
                    diagnostic["code"],
                    diagnostic["message"],
                )
            console.print(table)
        if not report["diagnostics"]:
            console.print("Aucune anomalie.")


def _summary_table(diagnostics: list[dict[str, Any]]) -> Any:
    """How many findings of each control: hundreds of lines read better with this first."""
    from rich.table import Table

    from dsn_parser.validation import CATALOGUE

    counts = Counter((d["severity"], d["code"]) for d in diagnostics)
    table = Table("Gravité", "Code", "Contrôle", "Nombre", title="Synthèse")
    for (severity, code), count in sorted(counts.items()):
        control = CATALOGUE.get(code)
        table.add_row(
            SEVERITY_LABELS.get(severity, severity),
            code,
            control.title if control else "",
            str(count),
        )
    return table


def _status_label(status: int | None) -> str:
    if status is None:
        return "—"
    return f"{status} – {STATUS_LABELS[DeclarationStatus(status)]}"


def _nature_label(code: str | None) -> str:
    return _code_label("S20.G00.05.001", code)


def _type_label(code: str | None) -> str:
    return _code_label("S20.G00.05.002", code)


def _code_label(rubric: str, code: str | None) -> str:
    """ "01 – DSN Mensuelle": the label comes from the latest norm's code list."""
    if code is None:
        return "—"
    from dsn_parser.norm import resolve_norm

    codes = resolve_norm(None)[0].codes
    labels = codes.filter((codes["rubric"] == rubric) & (codes["code"] == code))["label"]
    return f"{code} – {labels[0]}" if labels.len() else code
